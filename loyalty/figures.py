"""The owner's figures about members, points, tiers and staff, aggregated in the database.

Each function takes a `Window` pair (this period and the one before it, of the same length)
and answers with one or two grouped queries, whatever the number of members or ledger lines:
no Python loop ever walks over members or lines. The definitions are in docs/dashboard.md.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, DateTimeField, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, TruncDay, TruncMonth
from django.utils import timezone

from core.dates import shift_months
from loyalty.models import Card, CardStatus, Kind, PointTransaction, Program, Tier, TierChange

ACTIVE_DAYS = 90
RETURN_WINDOWS = (30, 60, 90)
COHORT_MONTHS = 12
# What a purchase close below the program's single-purchase ceiling looks like (a split bill?).
NEAR_CEILING = Decimal("0.9")
# What staff record by hand: on their own card, it needs a second look.
OWN_CARD_KINDS = [Kind.PURCHASE, Kind.GOODWILL, Kind.ADJUSTMENT]
# Kinds that move points that already exist: they are neither issued nor redeemed. An opening
# balance brought over from a previous system was issued there; points forfeited when a member
# deletes the account leave the outstanding balance without being redeemed.
NOT_ISSUED = {
    Kind.REDEMPTION,
    Kind.REDEMPTION_REFUND,
    Kind.EXPIRY,
    Kind.TRANSFER,
    Kind.OPENING_BALANCE,
    Kind.FORFEIT,
}


@dataclass(frozen=True)
class Window:
    """[start, end) in aware date-times."""

    start: datetime.datetime
    end: datetime.datetime
    store_id: int | None = None  # one branch's sales only; None for the whole shop

    def q(self, field: str = "created_at") -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})

    def at_branch(self, field: str = "store") -> Q:
        """The rows of the chosen branch (`field` names the branch column), or every row."""
        return at_branch(self.store_id, field)

    def ending(self, days: int) -> Window:
        """The `days` before this window's end, at the same branch."""
        return Window(self.end - datetime.timedelta(days=days), self.end, self.store_id)


def at_branch(store_id: int | None, field: str = "store") -> Q:
    return Q(**{f"{field}_id": store_id}) if store_id else Q()


def first_cards() -> Q:
    """Cards that started a membership: not the replacement of a lost or damaged card."""
    return ~Q(Exists(Card.objects.filter(replaced_by=OuterRef("pk"))))


def visits():
    """Purchases that still stand (a reversed purchase was no visit)."""
    return PointTransaction.objects.filter(kind=Kind.PURCHASE, reversal__isnull=True)


def member_figures(now: Window, before: Window) -> dict[str, dict]:
    """Members: total, new, active, visits, spend and repeat visitors for both windows.

    Two queries: one over cards, one over the purchases of both windows and the activity
    spans before their ends.
    """
    cards = Card.objects.filter(first_cards()).aggregate(
        total_now=Count("pk", filter=Q(created_at__lt=now.end)),
        total_before=Count("pk", filter=Q(created_at__lt=before.end)),
        new_now=Count("pk", filter=now.q()),
        new_before=Count("pk", filter=before.q()),
    )
    active_now = now.ending(ACTIVE_DAYS)
    active_before = before.ending(ACTIVE_DAYS)
    earliest = min(before.start, active_before.start)
    per_card = (
        visits()
        .filter(now.at_branch(), created_at__gte=earliest, created_at__lt=now.end)
        .values("card")
        .annotate(
            visits_now=Count("pk", filter=now.q()),
            visits_before=Count("pk", filter=before.q()),
            spend_now=Sum("amount", filter=now.q()),
            spend_before=Sum("amount", filter=before.q()),
            active_now=Count("pk", filter=active_now.q()),
            active_before=Count("pk", filter=active_before.q()),
        )
        .order_by()
    )
    totals = _summarise(per_card)
    figures = {}
    for side in ("now", "before"):
        visits_count = totals[f"visits_{side}"]
        spend = totals[f"spend_{side}"] or Decimal("0")
        active = totals[f"active_{side}"]
        visitors = totals[f"visitors_{side}"]
        figures[side] = {
            "total": cards[f"total_{side}"],
            "new": cards[f"new_{side}"],
            "active": active,
            "visits": visits_count,
            "spend": spend,
            "visits_per_active": _ratio(visits_count, active),
            "spend_per_visit": (spend / visits_count).quantize(Decimal("0.01"))
            if visits_count
            else None,
            "visitors": visitors,
            "repeat": totals[f"repeat_{side}"],
            "repeat_rate": _ratio(totals[f"repeat_{side}"], visitors),
        }
    return figures


def _summarise(per_card) -> dict:
    """Sum the per-card counts in the database: the grouped query becomes a subquery."""
    sql, params = per_card.query.sql_with_params()
    columns = []
    for side in ("now", "before"):
        columns += [
            f"COALESCE(SUM(visits_{side}), 0) AS visits_{side}",
            f"SUM(spend_{side}) AS spend_{side}",
            f"COUNT(CASE WHEN visits_{side} >= 1 THEN 1 END) AS visitors_{side}",
            f"COUNT(CASE WHEN visits_{side} >= 2 THEN 1 END) AS repeat_{side}",
            f"COUNT(CASE WHEN active_{side} >= 1 THEN 1 END) AS active_{side}",
        ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM ({sql}) per_card", params)  # noqa: S608
        row = cursor.fetchone()
        names = [column[0] for column in cursor.description]
    totals = dict(zip(names, row, strict=True))
    for side in ("now", "before"):  # SQLite sums decimals as floats or text
        spend = totals[f"spend_{side}"]
        totals[f"spend_{side}"] = Decimal(str(spend)).quantize(Decimal("0.01")) if spend else None
    return totals


def cohorts(today: datetime.date) -> list[dict]:
    """Members who joined in each of the last COHORT_MONTHS months (this one included): how
    many, and how many came back (a purchase on a later day than the day they joined) within
    30, 60 and 90 days, and how many are active now. One query.

    A share whose window has not fully passed yet is None: it is still growing.
    """
    tz = timezone.get_current_timezone()
    first_month = shift_months(today.replace(day=1), -(COHORT_MONTHS - 1))
    start = timezone.make_aware(datetime.datetime.combine(first_month, datetime.time.min), tz)
    end = timezone.make_aware(
        datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min), tz
    )
    # The first purchase after the day the card was issued: "joined" days count as the first
    # visit, so a member who signed up at the till and bought there has not come back yet.
    first_return = (
        visits()
        .filter(card=OuterRef("pk"), created_at__gte=OuterRef("joined_next_day"))
        .order_by("created_at")
        .values("created_at")[:1]
    )
    active_since = end - datetime.timedelta(days=ACTIVE_DAYS)
    active = visits().filter(card=OuterRef("pk"), created_at__gte=active_since)
    rows = (
        Card.objects.filter(first_cards(), created_at__gte=start, created_at__lt=end)
        .annotate(month=TruncMonth("created_at", tzinfo=tz))
        .annotate(joined_next_day=_start_of_next_day("created_at"))
        .annotate(came_back=first_return, is_active=Exists(active))
        .values("month")
        .annotate(
            members=Count("pk"),
            active=Count("pk", filter=Q(is_active=True)),
            **{
                f"back_{days}": Count(
                    "pk",
                    filter=Q(came_back__lt=F("created_at") + datetime.timedelta(days=days)),
                )
                for days in RETURN_WINDOWS
            },
        )
        .order_by("month")
    )
    by_month = {_as_date(row["month"]): row for row in rows}
    table = []
    month = first_month
    while month <= today:
        row = by_month.get(month, {})
        members = row.get("members", 0)
        # The window of the month's last joiner has passed when the month's end + N days is past.
        month_end = shift_months(month, 1)
        table.append(
            {
                "month": month,
                "members": members,
                "back": [
                    {
                        "days": days,
                        "count": row.get(f"back_{days}", 0),
                        "share": _ratio(row.get(f"back_{days}", 0), members)
                        if month_end + datetime.timedelta(days=days) <= today
                        else None,
                    }
                    for days in RETURN_WINDOWS
                ],
                "active": row.get("active", 0),
                "active_share": _ratio(row.get("active", 0), members),
                "start": month,
                "end": month_end,
            }
        )
        month = month_end
    return table


def _start_of_next_day(field: str):
    """The local midnight after `field`: TruncDay in the current time zone plus one day."""
    return TruncDay(field, tzinfo=timezone.get_current_timezone(), output_field=DateTimeField()) + (
        datetime.timedelta(days=1)
    )


def period_points(now: Window, before: Window) -> dict:
    """Points issued by kind, redeemed and expired in both windows: one grouped query. At one
    branch, the lines recorded there: purchases, reversals and payments with points."""
    rows = (
        PointTransaction.objects.filter(
            now.at_branch(), created_at__gte=before.start, created_at__lt=now.end
        )
        .values("kind")
        .annotate(
            now=Coalesce(Sum("points", filter=now.q()), 0),
            before=Coalesce(Sum("points", filter=before.q()), 0),
        )
        .order_by()
    )
    by_kind = {row["kind"]: row for row in rows}
    figures: dict = {}
    for side in ("now", "before"):
        issued = sum(row[side] for kind, row in by_kind.items() if kind not in NOT_ISSUED)
        redeemed = -sum(
            by_kind.get(kind, {}).get(side, 0) for kind in (Kind.REDEMPTION, Kind.REDEMPTION_REFUND)
        )
        figures[side] = {
            "issued": issued,
            "redeemed": redeemed,
            "expired": -by_kind.get(Kind.EXPIRY, {}).get(side, 0),
            "redemption_rate": _ratio(redeemed, issued) if issued > 0 else None,
        }
    figures["issued_by_kind"] = sorted(
        (
            {"kind": kind, "now": row["now"], "before": row["before"]}
            for kind, row in by_kind.items()
            if kind not in NOT_ISSUED and (row["now"] or row["before"])
        ),
        key=lambda row: (-row["now"], row["kind"]),
    )
    return figures


def today_so_far(start: datetime.datetime, store_id: int | None = None) -> dict:
    """Visits, spend and points issued since `start` (today's midnight), at one branch or the
    whole shop, and new members: three small queries over today's rows only."""
    issued = ~Q(kind__in=NOT_ISSUED)
    here = at_branch(store_id)
    lines = PointTransaction.objects.filter(here, created_at__gte=start).aggregate(
        points=Coalesce(Sum("points", filter=issued), 0)
    )
    purchases = (
        visits()
        .filter(here, created_at__gte=start)
        .aggregate(visits=Count("pk"), spend=Sum("amount"))
    )
    joined = Card.objects.filter(first_cards(), created_at__gte=start).count()
    return {**lines, **purchases, "new": joined}


def card_figures(program: Program, today: datetime.date) -> dict:
    """What the cards hold today, from one grouped scan of the cards: the balance owed with its
    value, the breakage forecast (the balances that expire within three months if their cards
    stay inactive), and the active cards per tier."""
    tz = timezone.get_current_timezone()
    start_of_today = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min), tz)
    owed = Q(balance__gt=0)
    expiring = Q(pk__in=[])  # nothing expires when the program keeps points for ever
    horizon = None
    if program.expiry_months:
        horizon = shift_months(start_of_today, 3)
        # A balance expires expiry_months after the card's last activity.
        expiring = owed & Q(last_activity_at__lt=shift_months(horizon, -program.expiry_months))
    rows = list(
        Card.objects.values("tier")
        .annotate(
            members=Count("pk", filter=Q(status=CardStatus.ACTIVE)),
            outstanding=Coalesce(Sum("balance", filter=owed), 0),
            cards=Count("pk", filter=owed),
            expiring=Coalesce(Sum("balance", filter=expiring), 0),
            expiring_cards=Count("pk", filter=expiring),
        )
        .order_by()
    )
    totals = {
        name: sum(row[name] for row in rows)
        for name in ("outstanding", "cards", "expiring", "expiring_cards")
    }
    counts = {row["tier"]: row["members"] for row in rows}
    members = sum(counts.values())
    tier_rows = [
        {
            "tier": tier,
            "members": counts.get(tier.pk, 0),
            "share": _ratio(counts.get(tier.pk, 0), members),
        }
        for tier in Tier.objects.order_by("threshold")
    ]
    if counts.get(None):
        tier_rows.insert(
            0, {"tier": None, "members": counts[None], "share": _ratio(counts[None], members)}
        )
    value = program.point_value
    return {
        "outstanding": totals["outstanding"],
        "outstanding_cards": totals["cards"],
        "liability": (totals["outstanding"] * value).quantize(Decimal("0.01")),
        "breakage": totals["expiring"],
        "breakage_cards": totals["expiring_cards"],
        "breakage_value": (totals["expiring"] * value).quantize(Decimal("0.01")),
        "breakage_until": horizon.date() if horizon else None,
        "breakage_cutoff": shift_months(horizon, -program.expiry_months) if horizon else None,
        "tiers": {"rows": tier_rows, "members": members},
    }


def tier_moves(now: Window) -> dict:
    """Moves up and down between tiers in the window: one query."""
    # A first tier on joining is no move; leaving every tier is a move down.
    return TierChange.objects.filter(now.q(), from_tier__isnull=False).aggregate(
        up=Count("pk", filter=Q(to_tier__threshold__gt=F("from_tier__threshold"))),
        down=Count(
            "pk",
            filter=Q(to_tier__isnull=True) | Q(to_tier__threshold__lt=F("from_tier__threshold")),
        ),
    )


def staff_figures(now: Window, program: Program | None = None) -> list[dict]:
    """Per staff member in the window: purchases recorded, reversals, goodwill given,
    pay-with-points, points recorded on their own card and purchases close below the
    single-purchase ceiling. One grouped query."""
    program = program or Program.current()
    near_ceiling = Q(
        kind=Kind.PURCHASE,
        amount__gte=program.purchase_ceiling * NEAR_CEILING,
        amount__lte=program.purchase_ceiling,
    )
    rows = (
        PointTransaction.objects.filter(
            now.q(), now.at_branch(), created_by__isnull=False, created_by__is_staff=True
        )
        .values(
            "created_by", "created_by__first_name", "created_by__last_name", "created_by__email"
        )
        .annotate(
            purchases=Count("pk", filter=Q(kind=Kind.PURCHASE)),
            reversals=Count("pk", filter=Q(kind=Kind.PURCHASE_REVERSAL)),
            goodwill=Coalesce(Sum("points", filter=Q(kind=Kind.GOODWILL)), 0),
            paid_with_points=Count("pk", filter=Q(kind=Kind.REDEMPTION, source_id__isnull=True)),
            own_card=Count(
                "pk",
                filter=Q(card__user=F("created_by"), kind__in=OWN_CARD_KINDS),
            ),
            near_ceiling=Count("pk", filter=near_ceiling),
        )
        .order_by("-purchases", "created_by")
    )
    staff = []
    for row in rows:
        name = " ".join(
            part for part in (row["created_by__first_name"], row["created_by__last_name"]) if part
        )
        staff.append({**row, "id": row["created_by"], "name": name or row["created_by__email"]})
    _flag(staff)
    return staff


def _flag(staff: list[dict]) -> None:
    """Mark what looks wrong: reversals or goodwill far above the others (more than twice the
    others' average, and at least a few), any points on one's own card, and several purchases
    just below the ceiling."""
    for row in staff:
        row["flags"] = []
        others = [other for other in staff if other is not row]
        for field, minimum in (("reversals", 3), ("goodwill", 100)):
            if not others:  # nobody to compare with
                continue
            average = sum(other[field] for other in others) / len(others)
            if row[field] >= minimum and row[field] > 2 * average:
                row["flags"].append(field)
        if row["own_card"]:
            row["flags"].append("own_card")
        if row["near_ceiling"] >= 3:
            row["flags"].append("near_ceiling")


def _ratio(part, whole):
    return part / whole if whole else None


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value
