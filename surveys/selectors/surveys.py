"""Read-only questions about surveys, for members: what they may answer, and whether they did."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from loyalty.models import Kind, PointTransaction
from surveys.exceptions import AlreadyAnswered, SurveyClosed
from surveys.models import Choice, Question, Response, Survey


def open_surveys_for(user):
    """Surveys a member may answer now, with whether they already did."""
    now = timezone.now()
    answered = Response.objects.filter(survey=OuterRef("pk"), user=user, purchase__isnull=True)
    return (
        Survey.objects.filter(is_active=True, is_post_visit=False, starts_at__lte=now)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .annotate(answered=Exists(answered))
        .order_by("answered", "-starts_at")
    )


def post_visit_survey() -> Survey | None:
    """The open "How was your visit?" survey (the latest to start), if any."""
    now = timezone.now()
    return (
        Survey.objects.filter(is_post_visit=True, is_active=True, starts_at__lte=now)
        .exclude(ends_at__lte=now)
        .order_by("-starts_at")
        .first()
    )


def questions(survey: Survey):
    return list(
        Question.objects.filter(survey=survey).prefetch_related(
            Prefetch("choices", queryset=Choice.objects.order_by("order", "id"))
        )
    )


def refusal(survey: Survey, *, user, purchase=None, session_key="") -> str | None:
    """Why this person cannot answer now (closed, or already answered), or None."""
    if not survey.is_open():
        return str(SurveyClosed.message)
    if already_answered(survey, user=user, purchase=purchase, session_key=session_key):
        return str(AlreadyAnswered.message)
    return None


def already_answered(survey, *, user, purchase=None, session_key="") -> bool:
    """One response per purchase (visit surveys), per member, or per browser session."""
    if purchase is not None:
        return Response.objects.filter(purchase=purchase).exists()
    if user is not None:
        return Response.objects.filter(survey=survey, user=user, purchase__isnull=True).exists()
    return (
        bool(session_key)
        and Response.objects.filter(survey=survey, session_key=session_key).exists()
    )


def bonus_for_response(response_id: int) -> int:
    line = PointTransaction.objects.filter(
        kind=Kind.SURVEY_BONUS, source_id=response_id, source_type__model="response"
    ).first()
    return line.points if line else 0
