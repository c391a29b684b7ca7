"""The owner's figures about rewards and vouchers, aggregated in the database.

Two queries for any number of rewards and vouchers; the definitions are in docs/dashboard.md.
"""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from loyalty.figures import Window
from rewards.models import Redemption, RedemptionStatus, RewardKind

TOP_REWARDS = 5


def reward_figures(now: Window, before: Window) -> dict:
    """Vouchers issued, used, cancelled and expired in both windows, donations, and the
    rewards members chose most in this window. At one branch, the vouchers used there (members
    choose rewards online, for the whole shop)."""
    counts = {}
    used = Q(status=RedemptionStatus.FULFILLED) & now.at_branch("fulfilled_store")
    for side, window in (("now", now), ("before", before)):
        counts.update(
            {
                f"issued_{side}": Count("pk", filter=window.q()),
                f"used_{side}": Count("pk", filter=window.q("fulfilled_at") & used),
                f"cancelled_{side}": Count(
                    "pk", filter=window.q("closed_at") & Q(status=RedemptionStatus.CANCELLED)
                ),
                f"expired_{side}": Count(
                    "pk", filter=window.q("closed_at") & Q(status=RedemptionStatus.EXPIRED)
                ),
                f"donated_{side}": Coalesce(
                    Sum(
                        "points",
                        filter=window.q("fulfilled_at")
                        & used
                        & Q(reward__kind=RewardKind.DONATION),
                    ),
                    0,
                ),
            }
        )
    earliest = before.start
    touched = (
        Q(created_at__gte=earliest) | Q(fulfilled_at__gte=earliest) | Q(closed_at__gte=earliest)
    )
    totals = Redemption.objects.filter(touched).aggregate(**counts)
    top = list(
        Redemption.objects.filter(now.q())
        .exclude(status=RedemptionStatus.CANCELLED)
        .values("reward", "reward__name", "reward__kind")
        .annotate(vouchers=Count("pk"), units=Sum("quantity"), points=Sum("points"))
        .order_by("-vouchers", "-points", "reward")[:TOP_REWARDS]
    )
    figures = {
        side: {
            name: totals[f"{name}_{side}"]
            for name in ("issued", "used", "cancelled", "expired", "donated")
        }
        for side in ("now", "before")
    }
    figures["top"] = top
    return figures
