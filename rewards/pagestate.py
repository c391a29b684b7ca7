"""What the member pages show of vouchers and the catalog, as parts of a kept page's state
(see core.pagecache). A reward's own texts are the shop's content (its version)."""

from __future__ import annotations

from core.pagecache import Part, counts_by, joined, text
from loyalty.models import Card
from rewards.models import Redemption, RedemptionStatus, Reward


def voucher_parts(user_id: int) -> list[Part]:
    """The member's vouchers, card by card: the newest, and how many are in each status."""
    cards, redemptions = Card._meta.db_table, Redemption._meta.db_table
    statuses = counts_by("status", RedemptionStatus.values)
    vouchers = (
        f"(SELECT MAX(id) || ':' || {statuses} FROM {redemptions} "
        f"WHERE {redemptions}.card_id = {cards}.id)"
    )
    return [Part(joined(text(vouchers), cards, "user_id = %s", "id"), (user_id,))]


def stock_parts() -> list[Part]:
    """The stock of every reward, which redemptions change without saving the reward."""
    row = f"{text('id')} || ':' || {text('stock')}"
    return [Part(joined(row, Reward._meta.db_table, "stock IS NOT NULL", "id"))]
