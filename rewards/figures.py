"""The owner's figures about rewards, vouchers and stamp cards, aggregated in the database.

Two queries for any number of rewards and vouchers, two for stamp cards; the definitions are
in docs/dashboard.md.
"""

from __future__ import annotations

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce

from loyalty.figures import Window
from loyalty.models import StampKind, StampLine
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


def stamp_figures(now: Window, before: Window) -> dict:
    """Stamp cards started, completed and redeemed in both windows, and the average days a
    completed card took: two queries, for the whole shop (a completion belongs to no branch).

    A card starts with its first stamp: a stamp on an empty card, or the stamps a completion
    carried over to the next card. A completion later undone (its purchase reversed) does not
    count. Redeemed: the vouchers stamp cards earned that were used in the window."""
    took = ExpressionWrapper(F("created_at") - F("started_at"), output_field=DurationField())
    started = Q(kind=StampKind.STAMP, stamps_after=F("stamps")) | Q(
        kind=StampKind.COMPLETION, stamps_after__gt=0
    )
    completed = Q(kind=StampKind.COMPLETION, undone_by__isnull=True)
    lines, vouchers = {}, {}
    for side, window in (("now", now), ("before", before)):
        lines[f"started_{side}"] = Count("pk", filter=window.q() & started)
        lines[f"completed_{side}"] = Count("pk", filter=window.q() & completed)
        lines[f"took_{side}"] = Avg(
            took, filter=window.q() & completed & Q(started_at__isnull=False)
        )
        vouchers[f"redeemed_{side}"] = Count(
            "pk", filter=window.q("fulfilled_at") & Q(status=RedemptionStatus.FULFILLED)
        )
    totals = StampLine.objects.filter(created_at__gte=before.start).aggregate(**lines)
    totals |= Redemption.objects.filter(
        stamp_line__isnull=False, fulfilled_at__gte=before.start
    ).aggregate(**vouchers)
    figures = {}
    for side in ("now", "before"):
        took_side = totals[f"took_{side}"]
        figures[side] = {
            "started": totals[f"started_{side}"],
            "completed": totals[f"completed_{side}"],
            "redeemed": totals[f"redeemed_{side}"],
            # Kept as plain data in the nightly rollup: days, as a number.
            "days_to_complete": (
                round(took_side.total_seconds() / 86400, 1) if took_side is not None else None
            ),
        }
    return figures
