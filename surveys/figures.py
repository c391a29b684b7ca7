"""The owner's voice-of-the-customer figures: NPS and CSAT with their trend, the latest
detractors, complaints and testimonials, aggregated in the database.

A fixed number of queries whatever the number of answers or cases; medians are read from the
database in order (the middle one or two rows), never by loading every case. Definitions are
in docs/dashboard.md.
"""

from __future__ import annotations

import datetime

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from loyalty.figures import Window
from surveys.models import (
    Answer,
    Complaint,
    QuestionKind,
    Testimonial,
    TestimonialStatus,
    open_filter,
    overdue_filter,
)
from surveys.results import csat, nps
from surveys.selectors.complaints import median_duration

DETRACTORS_SHOWN = 5
SCORED = (QuestionKind.NPS, QuestionKind.CSAT)


def score_figures(now: Window, before: Window) -> dict:
    """NPS and CSAT over every survey for both windows, from one grouped query."""
    rows = (
        Answer.objects.filter(
            question__kind__in=SCORED,
            number__isnull=False,
            response__created_at__gte=before.start,
            response__created_at__lt=now.end,
        )
        .values("question__kind", "number")
        .annotate(
            now=Count("pk", filter=now.q("response__created_at")),
            before=Count("pk", filter=before.q("response__created_at")),
        )
        .order_by()
    )
    counts: dict[tuple[str, str], dict[int, int]] = {}
    for row in rows:  # at most 11 + 5 rows per window: one per kind and score
        for side in ("now", "before"):
            if row[side]:
                counts.setdefault((row["question__kind"], side), {})[row["number"]] = row[side]
    return {
        side: {
            "nps": nps(counts.get((QuestionKind.NPS, side), {})),
            "csat": csat(counts.get((QuestionKind.CSAT, side), {})),
        }
        for side in ("now", "before")
    }


def weekly_scores(window: Window) -> list[dict]:
    """NPS and CSAT per week (weeks start on Monday) over the window, one grouped query.
    Every week of the window is listed, those without answers too; a week with fewer than
    MIN_RESPONSES answers has no score and says so."""
    tz = timezone.get_current_timezone()
    rows = (
        Answer.objects.filter(
            window.q("response__created_at"), question__kind__in=SCORED, number__isnull=False
        )
        .annotate(week=TruncWeek("response__created_at", tzinfo=tz))
        .values("week", "question__kind", "number")
        .annotate(count=Count("pk"))
        .order_by("week")
    )
    weeks: dict[datetime.date, dict[str, dict[int, int]]] = {}
    for row in rows:  # one row per week, kind and score: at most 16 a week
        week = row["week"]
        week = timezone.localtime(week).date() if isinstance(week, datetime.datetime) else week
        weeks.setdefault(week, {}).setdefault(row["question__kind"], {})[row["number"]] = row[
            "count"
        ]
    first = timezone.localtime(window.start).date()
    first -= datetime.timedelta(days=first.weekday())
    last = timezone.localtime(window.end - datetime.timedelta(microseconds=1)).date()
    trend = []
    week = first
    while week <= last:
        counts = weeks.get(week, {})
        trend.append(
            {
                "start": week,
                "nps": nps(counts.get(QuestionKind.NPS, {})),
                "csat": csat(counts.get(QuestionKind.CSAT, {})),
            }
        )
        week += datetime.timedelta(days=7)
    return trend


def latest_detractors(now: Window) -> QuerySet[Answer]:
    """The last NPS answers of 0–6 in the window, with the member and the follow-up case."""
    return (
        Answer.objects.filter(
            now.q("response__created_at"), question__kind=QuestionKind.NPS, number__lte=6
        )
        .select_related("response__user", "response__follow_up", "response__survey")
        .order_by("-response__created_at", "-pk")[:DETRACTORS_SHOWN]
    )


def complaint_state(moment: datetime.datetime) -> dict:
    """Cases open and overdue at `moment`, and testimonials waiting for review: two queries."""
    return {
        **Complaint.objects.aggregate(
            open=Count("pk", filter=open_filter()),
            overdue=Count("pk", filter=overdue_filter(moment)),
        ),
        "testimonials_waiting": Testimonial.objects.filter(
            status=TestimonialStatus.PENDING
        ).count(),
    }


def complaint_period(now: Window, before: Window) -> dict:
    """Cases received in both windows, the members' rating of the handling of the cases
    resolved in them, and for the cases received in this window the median time to the first
    reply and to resolution: five queries."""
    totals = Complaint.objects.aggregate(
        received_now=Count("pk", filter=now.q()),
        received_before=Count("pk", filter=before.q()),
        rated_now=Count("rating", filter=now.q("resolved_at")),
        rated_before=Count("rating", filter=before.q("resolved_at")),
        satisfaction_now=Avg("rating", filter=now.q("resolved_at")),
        satisfaction_before=Avg("rating", filter=before.q("resolved_at")),
    )
    for side in ("now", "before"):  # the database's own number type, made plain
        value = totals[f"satisfaction_{side}"]
        totals[f"satisfaction_{side}"] = round(float(value), 2) if value is not None else None
    received = Complaint.objects.filter(now.q())
    return {
        **totals,
        "median_first_reply": median_duration(received, "first_response_at"),
        "median_resolution": median_duration(received, "resolved_at"),
    }


def queue_counts(user, moment: datetime.datetime) -> dict:
    """The complaint queue at a glance for staff: open, overdue and assigned to `user`."""
    return Complaint.objects.aggregate(
        open=Count("pk", filter=open_filter()),
        overdue=Count("pk", filter=overdue_filter(moment)),
        mine=Count("pk", filter=open_filter() & Q(assignee=user)),
    )
