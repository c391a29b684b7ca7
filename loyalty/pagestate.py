"""What the member pages show of the member's cards, ledger and stamps, as parts of a kept
page's state (see core.pagecache)."""

from __future__ import annotations

from core.pagecache import Part, joined, text
from loyalty.models import Card, PointTransaction, StampLine


def member_parts(user_id: int) -> list[Part]:
    """The member's cards row by row, and the newest line of their ledger and of their stamps
    (both ledgers only grow, so a new line is any change)."""
    cards = Card._meta.db_table
    columns = ("id", "status", "balance", "tier_id", "number", "is_physical", "replaced_by_id")
    row = " || ':' || ".join(text(column) for column in (*columns, "last_activity_at"))
    return [
        Part(joined(row, cards, "user_id = %s", "id"), (user_id,)),
        Part(_newest(PointTransaction._meta.db_table, cards), (user_id,)),
        Part(_newest(StampLine._meta.db_table, cards), (user_id,)),
    ]


def _newest(table: str, cards: str) -> str:
    return (
        f"SELECT MAX(line.id) FROM {table} line "
        f"WHERE line.card_id IN (SELECT id FROM {cards} WHERE user_id = %s)"
    )
