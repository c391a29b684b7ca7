"""The only writers of survey responses, their bonus points, survey copies and post-visit
invitations.

A response is saved once: one per member per survey, one per purchase for post-visit
surveys, one per browser session for anonymous public answers. The member's card row is
locked while deciding, so a form submitted twice at the same moment saves one response and
pays one bonus (through `loyalty.services.award_bonus`).
"""

from __future__ import annotations

import datetime

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.translations import texts_of
from loyalty import services as loyalty_services
from loyalty.models import CardStatus, Kind, PointTransaction, Program
from surveys.exceptions import AlreadyAnswered, InvalidVisitLink, LoginRequired, SurveyClosed
from surveys.models import (
    CHOICE_KINDS,
    NUMERIC_KINDS,
    Answer,
    Audience,
    Complaint,
    Invitation,
    Question,
    Response,
    Survey,
)
from surveys.selectors.surveys import already_answered, post_visit_survey
from surveys.services.complaints import follow_up_survey_answer

VISIT_SALT = "surveys.visit"
VISIT_LINK_DAYS = 30


def submit_response(
    survey: Survey,
    answers: dict[int, object],
    *,
    user=None,
    purchase: PointTransaction | None = None,
    session_key: str = "",
) -> Response:
    """Save one response with its answers (question id → number, text or list of choices)
    and credit the completion bonus to the member, once."""
    if not survey.is_open():
        raise SurveyClosed
    anonymous_allowed = purchase is not None or (
        survey.audience == Audience.PUBLIC and survey.allow_anonymous
    )
    if user is None and not anonymous_allowed:
        raise LoginRequired
    with transaction.atomic():
        # Locking the member's card serialises two submissions of the same form.
        card = loyalty_services.lock_member_card(user)
        if already_answered(survey, user=user, purchase=purchase, session_key=session_key):
            raise AlreadyAnswered
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    survey=survey,
                    user=user,
                    card=card,
                    tier_id=card.tier_id if card else None,
                    purchase=purchase,
                    # Visit answers are one per receipt; one phone may answer several receipts.
                    session_key=session_key if user is None and purchase is None else "",
                    created_at=timezone.now(),
                )
        except IntegrityError as error:  # the other submission won where rows cannot lock
            raise AlreadyAnswered from error
        _save_answers(response, answers)
        follow_up_survey_answer(response)
        bonus_card = (
            card if purchase is None or (card and purchase.card.user_id == user.pk) else None
        )
        if (
            bonus_card is not None
            and survey.completion_bonus
            and bonus_card.status == CardStatus.ACTIVE
        ):
            loyalty_services.award_bonus(
                bonus_card, Kind.SURVEY_BONUS, survey.completion_bonus, source=response
            )
    return response


def _save_answers(response: Response, answers: dict[int, object]) -> None:
    questions = {question.pk: question for question in response.survey.questions.all()}
    for question_id, value in answers.items():
        question = questions[question_id]
        if value in (None, "", []):
            continue  # skipped optional questions are not stored, so they never count as zero
        if question.kind in NUMERIC_KINDS:
            Answer.objects.create(response=response, question=question, number=int(value))
        elif question.kind in CHOICE_KINDS:
            answer = Answer.objects.create(response=response, question=question)
            answer.choices.set(value if isinstance(value, list | tuple) else [value])
        else:
            Answer.objects.create(response=response, question=question, text=str(value).strip())


@transaction.atomic
def copy_survey(survey: Survey) -> Survey:
    """A new, inactive survey with the same questions and choices, in every language."""
    questions = list(survey.questions.prefetch_related("choices"))
    texts = texts_of(survey)
    texts["title_en"] = f"{survey.title_en} (copy)"[:150]
    copy = Survey.objects.create(
        **texts,
        audience=survey.audience,
        allow_anonymous=survey.allow_anonymous,
        completion_bonus=survey.completion_bonus,
        is_post_visit=survey.is_post_visit,
        is_active=False,
        ends_at=None,
    )
    for question in questions:
        new_question = Question.objects.create(
            survey=copy,
            order=question.order,
            kind=question.kind,
            required=question.required,
            **texts_of(question),
        )
        new_question.choices.bulk_create(
            [
                type(choice)(question=new_question, order=choice.order, **texts_of(choice))
                for choice in question.choices.all()
            ]
        )
    return copy


# Post-visit invitations ----------------------------------------------------------------


def invite_after_visit(user, *, blocked: bool | None = None) -> Invitation | None:
    """The "How was your visit?" invitation to show the member now, if any.

    Offered for the member's latest purchase, at most once per the program's number of days,
    never while `blocked` (an open complaint; None asks the database, in the same query as the
    latest purchase), and not again once answered or dismissed. Once offered, deciding takes
    that one query."""
    if blocked:
        return None
    latest = (
        PointTransaction.objects.filter(card__user=user, kind=Kind.PURCHASE)
        .select_related("survey_invitation__survey")
        .annotate(answered=Exists(Response.objects.filter(purchase=OuterRef("pk"))))
        .order_by("-created_at", "-id")
    )
    if blocked is None:
        latest = latest.annotate(blocked=Exists(Complaint.objects.open().filter(user=user)))
    latest = latest.first()
    if latest is None or latest.answered or getattr(latest, "blocked", False):
        return None
    invitation = getattr(latest, "survey_invitation", None)
    if invitation is not None:
        if invitation.dismissed_at:
            return None
        return invitation if invitation.survey.is_open() else None
    survey = post_visit_survey()
    if survey is None:
        return None
    days = Program.current().survey_invitation_days
    since = timezone.now() - datetime.timedelta(days=days)
    if Invitation.objects.filter(user=user, created_at__gt=since).exists():
        return None
    invitation, _created = Invitation.objects.get_or_create(
        purchase=latest, defaults={"survey": survey, "user": user}
    )
    return invitation


def dismiss_invitation(invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, dismissed_at__isnull=True).update(
        dismissed_at=timezone.now()
    )


def visit_token(purchase: PointTransaction) -> str:
    """A signed token for the survey slip printed with one purchase's receipt."""
    return signing.dumps({"purchase": purchase.pk}, salt=VISIT_SALT, compress=True)


def purchase_for_token(token: str) -> PointTransaction:
    try:
        data = signing.loads(
            token, salt=VISIT_SALT, max_age=datetime.timedelta(days=VISIT_LINK_DAYS)
        )
    except signing.BadSignature as error:  # tampered, or older than the link's life
        raise InvalidVisitLink from error
    purchase = (
        PointTransaction.objects.select_related("card")
        .filter(pk=data.get("purchase"), kind=Kind.PURCHASE)
        .first()
    )
    if purchase is None:
        raise InvalidVisitLink
    return purchase
