"""What the member pages show of vouchers and the catalog, as parts of a kept page's state
(see core.pagecache). A reward's own texts are the shop's content (its version)."""

from __future__ import annotations

from core.pagecache import Part, counts_by, joined, text
from loyalty.models import Card
from rewards.models import Redemption, RedemptionStatus, Reward


def voucher_parts(user_id: int) -> list[Part]:
    """The member's vouchers: the newest, and how many are in each status."""
    cards = Card._meta.db_table
    statuses = counts_by("status", RedemptionStatus.values)
    where = f"card_id IN (SELECT id FROM {cards} WHERE user_id = %s)"
    return [
        Part(f"SELECT MAX(id) FROM {Redemption._meta.db_table} WHERE {where}", (user_id,)),
        Part(f"SELECT {statuses} FROM {Redemption._meta.db_table} WHERE {where}", (user_id,)),
    ]


def stock_parts() -> list[Part]:
    """The stock of every reward, which redemptions change without saving the reward."""
    row = f"{text('id')} || ':' || {text('stock')}"
    return [Part(joined(row, Reward._meta.db_table, "stock IS NOT NULL", "id"))]
