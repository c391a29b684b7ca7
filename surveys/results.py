"""Survey results for the owner, aggregated in the database.

Every figure comes from a fixed number of grouped queries, whatever the number of responses.
Scores are honest about small numbers: each carries its n, NPS its 95% margin of error, and
a segment with fewer than MIN_RESPONSES answers gives no score at all.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.models import Card, CardStatus, Kind, PointTransaction
from surveys.models import (
    CHOICE_KINDS,
    SCALES,
    TEXT_KINDS,
    Answer,
    Choice,
    QuestionKind,
    Response,
    Survey,
)

MIN_RESPONSES = 5


@dataclass
class Filters:
    """The owner's choice on the results page: a date range, a tier and a text search."""

    start: datetime.date | None = None
    end: datetime.date | None = None
    tier_id: int | None = None
    search: str = ""

    def apply(self, queryset: QuerySet, *, moment: str | None = "created_at", tier="tier_id"):
        """`queryset` within the date range (by its date-time field `moment`; None ignores
        the range) and the tier (by its field `tier`)."""
        if moment and self.start:
            queryset = queryset.filter(**{f"{moment}__date__gte": self.start})
        if moment and self.end:
            queryset = queryset.filter(**{f"{moment}__date__lte": self.end})
        if self.tier_id:
            queryset = queryset.filter(**{tier: self.tier_id})
        return queryset


@dataclass
class Score:
    n: int
    value: float | None = None
    margin: float | None = None
    promoters: float | None = None
    passives: float | None = None
    detractors: float | None = None

    @property
    def too_few(self):
        return self.n < MIN_RESPONSES


def nps(counts: dict[int, int]) -> Score:
    """% promoters (9–10) − % detractors (0–6), with a 95% margin of error."""
    n = sum(counts.values())
    if n < MIN_RESPONSES:
        return Score(n)
    promoters = sum(count for score, count in counts.items() if score >= 9) / n
    detractors = sum(count for score, count in counts.items() if score <= 6) / n
    value = promoters - detractors
    # Each answer is +1, 0 or −1; the score is their mean, so its variance is E[x²] − mean².
    variance = promoters + detractors - value**2
    margin = 1.96 * math.sqrt(variance / n)
    return Score(
        n,
        value=round(value * 100, 1),
        margin=round(margin * 100, 1),
        promoters=round(promoters * 100, 1),
        passives=round((1 - promoters - detractors) * 100, 1),
        detractors=round(detractors * 100, 1),
    )


def csat(counts: dict[int, int]) -> Score:
    """% of 1–5 ratings that are 4 or 5."""
    n = sum(counts.values())
    if n < MIN_RESPONSES:
        return Score(n)
    satisfied = sum(count for score, count in counts.items() if score >= 4)
    return Score(n, value=round(satisfied * 100 / n, 1))


def ces(counts: dict[int, int]) -> Score:
    """The mean effort score, 1–7."""
    n = sum(counts.values())
    if n < MIN_RESPONSES:
        return Score(n)
    return Score(n, value=round(sum(score * count for score, count in counts.items()) / n, 2))


SCORERS = {QuestionKind.NPS: nps, QuestionKind.CSAT: csat, QuestionKind.CES: ces}


def filtered_responses(survey: Survey, filters: Filters) -> QuerySet[Response]:
    return filters.apply(Response.objects.filter(survey=survey))


@dataclass
class Bar:
    label: str
    count: int
    percent: float
    y: int = 0
    width: float = 0


@dataclass
class QuestionResult:
    question: object
    answered: int = 0
    bars: list[Bar] = field(default_factory=list)
    score: Score | None = None
    chart_height: int = 0


BAR_HEIGHT = 22
CHART_WIDTH = 300


def _bars(labelled_counts: list[tuple[str, int]], answered: int) -> list[Bar]:
    biggest = max((count for _label, count in labelled_counts), default=0) or 1
    return [
        Bar(
            label=label,
            count=count,
            percent=round(count * 100 / answered, 1) if answered else 0,
            y=index * BAR_HEIGHT,
            width=round(count * CHART_WIDTH / biggest, 1),
        )
        for index, (label, count) in enumerate(labelled_counts)
    ]


def question_results(
    survey: Survey, responses: QuerySet[Response], questions
) -> list[QuestionResult]:
    """Distribution of every question's answers: one query for numbers, one for choices."""
    numbers: dict[int, dict[int, int]] = {}
    for row in (
        Answer.objects.filter(response__in=responses, number__isnull=False)
        .values("question_id", "number")
        .annotate(count=Count("id"))
    ):
        numbers.setdefault(row["question_id"], {})[row["number"]] = row["count"]
    chosen: dict[int, int] = dict(
        Choice.objects.filter(question__survey=survey)
        .annotate(count=Count("answers", filter=Q(answers__response__in=responses)))
        .values_list("pk", "count")
    )
    answered_by_question = dict(
        Answer.objects.filter(response__in=responses)
        .values("question_id")
        .annotate(count=Count("id"))
        .values_list("question_id", "count")
    )
    results = []
    for question in questions:
        answered = answered_by_question.get(question.pk, 0)
        result = QuestionResult(question=question, answered=answered)
        counts = numbers.get(question.pk, {})
        if question.kind in SCALES:
            low, high = SCALES[question.kind]
            result.bars = _bars(
                [(str(n), counts.get(n, 0)) for n in range(low, high + 1)], answered
            )
            result.score = SCORERS[question.kind](counts)
        elif question.kind == QuestionKind.YES_NO:
            result.bars = _bars(
                [(_("Yes"), counts.get(1, 0)), (_("No"), counts.get(0, 0))], answered
            )
        elif question.kind in CHOICE_KINDS:
            result.bars = _bars(
                [(choice.label, chosen.get(choice.pk, 0)) for choice in question.choices.all()],
                answered,
            )
        result.chart_height = len(result.bars) * BAR_HEIGHT
        results.append(result)
    return results


def headline(results: list[QuestionResult]) -> dict[str, Score | None]:
    """The survey's NPS, CSAT and CES: from its first question of each kind."""
    scores = {}
    for kind in (QuestionKind.NPS, QuestionKind.CSAT, QuestionKind.CES):
        first = next((r for r in results if r.question.kind == kind), None)
        scores[kind.value] = first.score if first else None
    return scores


@dataclass
class Week:
    start: datetime.date
    nps: Score
    csat: Score


def weekly_trend(responses: QuerySet[Response], questions) -> list[Week]:
    """NPS and CSAT per week (weeks start on Monday), from one grouped query."""
    wanted = {
        kind: next((q for q in questions if q.kind == kind), None)
        for kind in (QuestionKind.NPS, QuestionKind.CSAT)
    }
    ids = [question.pk for question in wanted.values() if question is not None]
    if not ids:
        return []
    rows = (
        Answer.objects.filter(response__in=responses, question_id__in=ids, number__isnull=False)
        .annotate(week=TruncWeek("response__created_at", tzinfo=timezone.get_current_timezone()))
        .values("week", "question_id", "number")
        .annotate(count=Count("id"))
        .order_by("week")
    )
    weeks: dict[datetime.date, dict[int, dict[int, int]]] = {}
    for row in rows:
        week = row["week"].date() if isinstance(row["week"], datetime.datetime) else row["week"]
        weeks.setdefault(week, {}).setdefault(row["question_id"], {})[row["number"]] = row["count"]
    nps_question, csat_question = wanted[QuestionKind.NPS], wanted[QuestionKind.CSAT]
    return [
        Week(
            start=week,
            nps=nps(counts.get(nps_question.pk, {}) if nps_question else {}),
            csat=csat(counts.get(csat_question.pk, {}) if csat_question else {}),
        )
        for week, counts in sorted(weeks.items())
    ]


def trend_points(weeks: list[Week], *, width=600, height=160) -> list[dict]:
    """Where each week's NPS sits on a −100…100 line chart (weeks with too few answers skipped)."""
    if not weeks:
        return []
    step = width / max(len(weeks) - 1, 1)
    return [
        {
            "x": round(index * step, 1),
            "y": round(height / 2 - week.nps.value * height / 200, 1),
            "week": week,
        }
        for index, week in enumerate(weeks)
        if week.nps.value is not None
    ]


def text_answers(responses: QuerySet[Response], questions, *, search: str = "") -> QuerySet[Answer]:
    ids = [question.pk for question in questions if question.kind in TEXT_KINDS]
    answers = (
        Answer.objects.filter(response__in=responses, question_id__in=ids)
        .exclude(text="")
        .select_related("question", "response")
        .order_by("-response__created_at", "-id")
    )
    if search:
        answers = answers.filter(text__icontains=search)
    return answers


def response_rate(survey: Survey, responses: QuerySet[Response], filters: Filters):
    """Members who answered over members invited. A visit survey invites every member who
    made a purchase in the period (by slip or on their page); other surveys invite every
    member with an active card."""
    answered = responses.filter(user__isnull=False).values("user").distinct().count()
    if survey.is_post_visit:
        visits = PointTransaction.objects.filter(
            kind=Kind.PURCHASE, card__user__isnull=False, created_at__gte=survey.starts_at
        )
        visits = filters.apply(visits, tier="card__tier_id")
        invited = visits.values("card__user").distinct().count()
    else:
        members = Card.objects.filter(user__isnull=False, status=CardStatus.ACTIVE)
        invited = filters.apply(members, moment=None).count()
    rate = round(answered * 100 / invited, 1) if invited else None
    return {"members": answered, "invited": invited, "rate": rate}
