"""Read-only questions about complaints: a member's open case, the goodwill a case paid,
and the owner's figures."""

from __future__ import annotations

import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Sum,
)
from django.utils import timezone

from loyalty.models import Kind, PointTransaction
from surveys.models import (
    Answer,
    Complaint,
    ComplaintChannel,
    QuestionKind,
    open_filter,
    overdue_filter,
)


def has_open_complaint(user) -> bool:
    return Complaint.objects.open().filter(user=user).exists()


def goodwill_paid(complaint: Complaint) -> int:
    """Goodwill points the ledger holds for a case, over all its resolutions."""
    total = PointTransaction.objects.filter(
        kind=Kind.GOODWILL,
        source_type=ContentType.objects.get_for_model(Complaint),
        source_id=complaint.pk,
    ).aggregate(total=Sum("points"))["total"]
    return total or 0


def recovered_detractors() -> int:
    """Members whose survey follow-up case was resolved and who later answered a survey
    with NPS 7 or more."""
    resolved_follow_ups = Complaint.objects.filter(
        channel=ComplaintChannel.SURVEY_FOLLOW_UP, resolved_at__isnull=False, user__isnull=False
    )
    later_happy = Answer.objects.filter(
        question__kind=QuestionKind.NPS,
        number__gte=7,
        response__user=OuterRef("user"),
        response__created_at__gt=OuterRef("resolved_at"),
    )
    return resolved_follow_ups.filter(Exists(later_happy)).values("user").distinct().count()


def complaint_figures(now=None) -> dict:
    """What the owner needs to know about complaints, from a few aggregated queries."""
    totals = Complaint.objects.aggregate(
        open=Count("pk", filter=open_filter()),
        overdue=Count("pk", filter=overdue_filter(now or timezone.now())),
        rated=Count("rating"),
        satisfaction=Avg("rating"),
    )
    by_category = (
        Complaint.objects.values("category")
        .annotate(
            total=Count("pk"), open=Count("pk", filter=open_filter()), satisfaction=Avg("rating")
        )
        .order_by("-total")
    )
    labels = dict(Complaint._meta.get_field("category").choices)
    return {
        **totals,
        "median_first_response": median_duration(Complaint.objects.all(), "first_response_at"),
        "median_resolution": median_duration(Complaint.objects.all(), "resolved_at"),
        "by_category": [
            {**row, "label": labels.get(row["category"], row["category"])} for row in by_category
        ],
        "recovered": recovered_detractors(),
    }


def median_duration(cases: QuerySet[Complaint], moment: str) -> datetime.timedelta | None:
    """The median of `moment` − created_at over the cases that have `moment`: two queries
    (how many, then the middle one or two in order)."""
    took = ExpressionWrapper(F(moment) - F("created_at"), output_field=DurationField())
    timed = cases.filter(**{f"{moment}__isnull": False}).annotate(took=took)
    count = timed.count()
    if not count:
        return None
    middle = list(
        timed.order_by("took", "pk").values_list("took", flat=True)[
            (count - 1) // 2 : count // 2 + 1
        ]
    )
    return sum(middle, datetime.timedelta()) / len(middle)
