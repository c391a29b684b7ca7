"""What the member pages show of the member's cards, ledger and stamps, as parts of a kept
page's state (see core.pagecache)."""

from __future__ import annotations

from core.pagecache import Part, joined, text
from loyalty.models import Card, PointTransaction, StampLine

COLUMNS = ("id", "status", "balance", "tier_id", "number", "is_physical", "replaced_by_id")


def member_parts(user_id: int) -> list[Part]:
    """The member's cards row by row, each with the newest line of its ledger and of its
    stamps (both ledgers only grow, so a new line is any change)."""
    cards = Card._meta.db_table
    newest = [
        f"(SELECT MAX(line.id) FROM {table} line WHERE line.card_id = {cards}.id)"
        for table in (PointTransaction._meta.db_table, StampLine._meta.db_table)
    ]
    row = " || ':' || ".join(text(column) for column in (*COLUMNS, "last_activity_at", *newest))
    return [Part(joined(row, cards, "user_id = %s", "id"), (user_id,))]
