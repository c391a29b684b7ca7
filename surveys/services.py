"""The only writers of survey responses and their bonus points.

A response is saved once: one per member per survey, one per purchase for post-visit
surveys, one per browser session for anonymous public answers. The member's card row is
locked while deciding, so a form submitted twice at the same moment saves one response and
pays one bonus (through `loyalty.services.award_bonus`).
"""

from __future__ import annotations

import datetime

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty import emails
from loyalty import services as loyalty_services
from loyalty.models import Card, CardStatus, Kind, PointTransaction, Program
from surveys.exceptions import (
    AlreadyAnswered,
    ComplaintError,
    InvalidVisitLink,
    LoginRequired,
    SurveyClosed,
)
from surveys.models import (
    CHOICE_KINDS,
    NUMERIC_KINDS,
    OPEN_STATUSES,
    TEXT_KINDS,
    Answer,
    Audience,
    Category,
    Channel,
    Complaint,
    ComplaintEvent,
    ComplaintMessage,
    Invitation,
    Priority,
    Question,
    QuestionKind,
    Remedy,
    Resolution,
    Response,
    SLATarget,
    Status,
    Survey,
    Testimonial,
    TestimonialStatus,
)
from surveys.selectors import already_answered

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
        card = _member_card(user)
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


def _member_card(user) -> Card | None:
    if user is None:
        return None
    # Locking the member's card serialises two submissions of the same form.
    return (
        Card.objects.select_for_update()
        .filter(user=user, status=CardStatus.ACTIVE)
        .order_by("pk")
        .first()
    )


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
    """A new, inactive survey with the same questions and choices."""
    questions = list(survey.questions.prefetch_related("choices"))
    copy = Survey.objects.create(
        title=f"{survey.title} (copy)"[:150],
        intro=survey.intro,
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
            text=question.text,
            help_text=question.help_text,
            required=question.required,
        )
        new_question.choices.bulk_create(
            [
                type(choice)(question=new_question, label=choice.label, order=choice.order)
                for choice in question.choices.all()
            ]
        )
    return copy


# Post-visit invitations ----------------------------------------------------------------


def post_visit_survey() -> Survey | None:
    now = timezone.now()
    return (
        Survey.objects.filter(is_post_visit=True, is_active=True, starts_at__lte=now)
        .exclude(ends_at__lte=now)
        .order_by("-starts_at")
        .first()
    )


def invite_after_visit(user, *, blocked: bool = False) -> Invitation | None:
    """The "How was your visit?" invitation to show the member now, if any.

    Offered for the member's latest purchase, at most once per the program's number of days,
    never while `blocked` (an open complaint), and not again once answered or dismissed."""
    if blocked:
        return None
    latest = (
        PointTransaction.objects.filter(card__user=user, kind=Kind.PURCHASE)
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None:
        return None
    invitation = Invitation.objects.filter(purchase=latest).select_related("survey").first()
    if invitation is not None:
        if invitation.dismissed_at or Response.objects.filter(purchase=latest).exists():
            return None
        return invitation if invitation.survey.is_open() else None
    survey = post_visit_survey()
    if survey is None or Response.objects.filter(purchase=latest).exists():
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


# Complaints ------------------------------------------------------------------------------

# Where each status may go next; reopening sends a resolved or closed case back to work.
TRANSITIONS = {
    Status.NEW: {Status.ACKNOWLEDGED},
    Status.ACKNOWLEDGED: {Status.IN_PROGRESS},
    Status.IN_PROGRESS: {Status.RESOLVED},
    Status.RESOLVED: {Status.CLOSED, Status.IN_PROGRESS},
    Status.CLOSED: {Status.IN_PROGRESS},
}
REOPEN_DAYS = 14
RATING_SALT = "surveys.complaint-rating"


def _event(complaint: Complaint, action: str, detail: str = "", *, actor=None) -> None:
    ComplaintEvent.objects.create(
        complaint=complaint, action=action, detail=detail[:300], actor=actor
    )


def _set_due_times(complaint: Complaint) -> None:
    target = SLATarget.objects.filter(priority=complaint.priority).first()
    if target is None:
        complaint.first_response_due = complaint.resolution_due = None
        return
    complaint.first_response_due = complaint.created_at + datetime.timedelta(
        hours=target.first_response_hours
    )
    complaint.resolution_due = complaint.created_at + datetime.timedelta(
        hours=target.resolution_hours
    )


def _lock_complaint(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


@transaction.atomic
def file_complaint(
    *,
    name: str,
    email: str,
    category: str,
    description: str,
    remedy_sought: str,
    channel: str,
    user=None,
    phone: str = "",
    receipt_number: str = "",
    photo=None,
    disputed_line: PointTransaction | None = None,
    survey_response: Response | None = None,
    priority: int = Priority.NORMAL,
) -> Complaint:
    """Open a case with its SLA due times and a reference like C-2026-000123, and e-mail the
    customer the reference."""
    card = None
    if user is not None:
        card = Card.objects.filter(user=user, status=CardStatus.ACTIVE).first()
    complaint = Complaint(
        user=user,
        card=card,
        name=name.strip(),
        email=email.strip().lower(),
        phone=phone.strip(),
        category=category,
        description=description.strip(),
        remedy_sought=remedy_sought,
        receipt_number=receipt_number.strip(),
        channel=channel,
        priority=priority,
        disputed_line=disputed_line,
        survey_response=survey_response,
        created_at=timezone.now(),
    )
    if photo:
        complaint.photo = photo
    _set_due_times(complaint)
    complaint.save()
    complaint.reference = f"C-{complaint.created_at:%Y}-{complaint.pk:06d}"
    Complaint.objects.filter(pk=complaint.pk).update(reference=complaint.reference)
    _event(complaint, "created", complaint.get_channel_display(), actor=user)
    emails.send(
        "complaint_received",
        complaint.email,
        {"complaint": complaint, "url": _case_url(complaint)},
        language=user.language if user else None,
    )
    return complaint


def _case_url(complaint: Complaint) -> str:
    from django.conf import settings
    from django.urls import reverse

    if complaint.user_id is None:
        return ""
    return settings.SITE_URL + reverse("complaint", args=[complaint.reference])


@transaction.atomic
def reply(complaint: Complaint, body: str, *, author, internal: bool = False) -> ComplaintMessage:
    """Add a message to a case. A customer's reply reopens nothing but is logged; a staff
    public reply counts as the first response and is e-mailed; an internal note never leaves
    the admin."""
    body = (body or "").strip()
    if not body:
        raise ComplaintError(_("Write a message first."))
    if len(body) > 4000:
        raise ComplaintError(_("Please keep the message under 4,000 characters."))
    complaint = _lock_complaint(complaint)
    if complaint.status == Status.CLOSED:
        raise ComplaintError(_("This case is closed. Reopen it to continue."))
    from_customer = author is not None and author.pk == complaint.user_id and not author.is_staff
    message = ComplaintMessage.objects.create(
        complaint=complaint,
        author=author,
        body=body,
        internal=internal and not from_customer,
        from_customer=from_customer,
        created_at=timezone.now(),
    )
    if from_customer:
        _event(complaint, "customer reply", actor=author)
        if complaint.assignee_id and complaint.assignee.email:
            emails.send(
                "complaint_customer_reply",
                complaint.assignee.email,
                {"complaint": complaint, "message": message},
                language=complaint.assignee.language,
            )
        return message
    if internal:
        _event(complaint, "internal note", actor=author)
        return message
    _event(complaint, "public reply", actor=author)
    if complaint.first_response_at is None:
        Complaint.objects.filter(pk=complaint.pk).update(first_response_at=message.created_at)
    if complaint.status == Status.NEW:
        _move(complaint, Status.ACKNOWLEDGED, actor=author)
    emails.send(
        "complaint_reply",
        complaint.email,
        {"complaint": complaint, "message": message, "url": _case_url(complaint)},
        language=complaint.user.language if complaint.user_id else None,
    )
    return message


def _move(complaint: Complaint, to: str, *, actor, detail: str = "") -> None:
    if to not in TRANSITIONS.get(complaint.status, set()):
        raise ComplaintError(
            _("A case cannot go from %(from)s to %(to)s.")
            % {"from": Status(complaint.status).label, "to": Status(to).label}
        )
    before = complaint.status
    complaint.status = to
    fields = {"status": to}
    if to == Status.CLOSED:
        fields["closed_at"] = complaint.closed_at = timezone.now()
    Complaint.objects.filter(pk=complaint.pk).update(**fields)
    _event(complaint, "status", f"{before} → {to}{': ' + detail if detail else ''}", actor=actor)


@transaction.atomic
def change_status(complaint: Complaint, to: str, *, actor) -> Complaint:
    """Move a case one step along new → acknowledged → in progress → (resolve) → closed.
    Resolving needs `resolve_complaint`, which records how."""
    complaint = _lock_complaint(complaint)
    if to == Status.RESOLVED:
        raise ComplaintError(_("Use “Resolve” to say how the case was resolved."))
    if to == Status.IN_PROGRESS and complaint.status in (Status.RESOLVED, Status.CLOSED):
        # Only `reopen` clears the resolution and rating; a stale "Mark In progress" must not.
        raise ComplaintError(_("This case is already resolved."))
    _move(complaint, to, actor=actor)
    return complaint


@transaction.atomic
def assign(complaint: Complaint, assignee, *, actor) -> Complaint:
    complaint = _lock_complaint(complaint)
    Complaint.objects.filter(pk=complaint.pk).update(assignee=assignee)
    complaint.assignee = assignee
    _event(complaint, "assigned", str(assignee) if assignee else "nobody", actor=actor)
    return complaint


@transaction.atomic
def set_priority(complaint: Complaint, priority: int, *, actor) -> Complaint:
    """Change the priority and recompute the due times from the case's creation."""
    complaint = _lock_complaint(complaint)
    if priority not in Priority.values:
        raise ComplaintError(_("Choose a priority."))
    before = complaint.get_priority_display()
    complaint.priority = priority
    _set_due_times(complaint)
    complaint.escalated_first_response = complaint.escalated_resolution = False
    complaint.save(
        update_fields=[
            "priority",
            "first_response_due",
            "resolution_due",
            "escalated_first_response",
            "escalated_resolution",
        ]
    )
    _event(complaint, "priority", f"{before} → {complaint.get_priority_display()}", actor=actor)
    return complaint


@transaction.atomic
def resolve_complaint(
    complaint: Complaint, *, actor, resolution_type: str, summary: str, goodwill_points: int = 0
) -> Complaint:
    """Resolve a case once, saying how. Goodwill points go through the ledger, linked to the
    case; submitting the form twice resolves (and credits) once."""
    summary = (summary or "").strip()
    if resolution_type not in Resolution.values:
        raise ComplaintError(_("Choose how the case was resolved."))
    if not summary:
        raise ComplaintError(_("Write a short summary of the resolution."))
    if goodwill_points < 0:
        raise ComplaintError(_("Goodwill points cannot be negative."))
    complaint = _lock_complaint(complaint)
    if complaint.status != Status.IN_PROGRESS and complaint.status != Status.ACKNOWLEDGED:
        if complaint.status == Status.RESOLVED:
            raise ComplaintError(_("This case is already resolved."))
        if complaint.status == Status.NEW:
            raise ComplaintError(_("Acknowledge the case before resolving it."))
        raise ComplaintError(_("This case is closed."))
    if complaint.status == Status.ACKNOWLEDGED:
        _move(complaint, Status.IN_PROGRESS, actor=actor)
    if goodwill_points:
        card = (
            complaint.card
            or Card.objects.filter(user=complaint.user_id, status=CardStatus.ACTIVE).first()
        )
        if card is None or complaint.user_id is None:
            raise ComplaintError(_("Goodwill points need a member's card; this customer has none."))
        loyalty_services.award_bonus(
            card,
            Kind.GOODWILL,
            goodwill_points,
            source=complaint,
            staff=actor,
            note=complaint.reference,
        )
    now = timezone.now()
    complaint.resolution_type = resolution_type
    complaint.resolution_summary = summary
    complaint.goodwill_points = goodwill_points
    complaint.resolved_at = now
    complaint.save(
        update_fields=["resolution_type", "resolution_summary", "goodwill_points", "resolved_at"]
    )
    _move(complaint, Status.RESOLVED, actor=actor, detail=complaint.get_resolution_type_display())
    emails.send(
        "complaint_resolved",
        complaint.email,
        {
            "complaint": complaint,
            "url": _case_url(complaint),
            "rating_url": _rating_url(complaint),
        },
        language=complaint.user.language if complaint.user_id else None,
    )
    return complaint


def rating_token(complaint: Complaint) -> str:
    return signing.dumps({"complaint": complaint.pk}, salt=RATING_SALT)


def complaint_for_rating_token(token: str) -> Complaint:
    try:
        data = signing.loads(token, salt=RATING_SALT, max_age=datetime.timedelta(days=60))
    except signing.BadSignature as error:
        raise ComplaintError(_("This rating link is not valid.")) from error
    complaint = Complaint.objects.filter(pk=data.get("complaint")).first()
    if complaint is None:
        raise ComplaintError(_("This rating link is not valid."))
    return complaint


def _rating_url(complaint: Complaint) -> str:
    from django.conf import settings
    from django.urls import reverse

    return settings.SITE_URL + reverse("rate_complaint", args=[rating_token(complaint)])


@transaction.atomic
def rate_handling(complaint: Complaint, rating: int, comment: str = "") -> Complaint:
    """The customer's 1–5 rating of how the case was handled: once, after resolution."""
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ComplaintError(_("Choose a rating from 1 to 5."))
    complaint = _lock_complaint(complaint)
    if complaint.status not in (Status.RESOLVED, Status.CLOSED):
        raise ComplaintError(_("You can rate the handling once the case is resolved."))
    if complaint.rating is not None:
        raise ComplaintError(_("You have already rated this case. Thank you!"))
    complaint.rating = rating
    complaint.rating_comment = (comment or "").strip()[:2000]
    complaint.rated_at = timezone.now()
    complaint.save(update_fields=["rating", "rating_comment", "rated_at"])
    _event(complaint, "rated", f"{rating}/5")
    return complaint


def can_reopen(complaint: Complaint) -> bool:
    if complaint.status not in (Status.RESOLVED, Status.CLOSED) or complaint.resolved_at is None:
        return False
    return timezone.now() - complaint.resolved_at <= datetime.timedelta(days=REOPEN_DAYS)


@transaction.atomic
def reopen(complaint: Complaint, *, by) -> Complaint:
    """Send a resolved case back to work: by the customer within 14 days, by staff any time."""
    complaint = _lock_complaint(complaint)
    staff = by is not None and by.is_staff
    if not staff and not can_reopen(complaint):
        raise ComplaintError(
            _("This case can no longer be reopened here. Please file a new complaint.")
        )
    _move(complaint, Status.IN_PROGRESS, actor=by, detail="reopened")
    Complaint.objects.filter(pk=complaint.pk).update(
        resolved_at=None, closed_at=None, rating=None, rating_comment="", rated_at=None
    )
    return complaint


def escalate_overdue(now: datetime.datetime | None = None) -> int:
    """Raise the priority of each overdue open case one step and e-mail the owners, once per
    case per breach (missed first response, missed resolution). Returns how many."""
    now = now or timezone.now()
    open_cases = Complaint.objects.filter(status__in=OPEN_STATUSES)
    late = open_cases.filter(
        Q(
            first_response_at__isnull=True,
            first_response_due__lt=now,
            escalated_first_response=False,
        )
        | Q(resolution_due__lt=now, escalated_resolution=False)
    )
    escalated = 0
    for complaint_id in late.values_list("pk", flat=True):
        if _escalate(complaint_id, now):
            escalated += 1
    return escalated


@transaction.atomic
def _escalate(complaint_id: int, now) -> bool:
    complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    breaches = []
    if (
        complaint.first_response_at is None
        and complaint.first_response_due
        and complaint.first_response_due < now
        and not complaint.escalated_first_response
    ):
        breaches.append("first_response")
    if (
        complaint.resolution_due
        and complaint.resolution_due < now
        and not complaint.escalated_resolution
    ):
        breaches.append("resolution")
    if not breaches or complaint.status not in OPEN_STATUSES:
        return False
    before = complaint.get_priority_display()
    complaint.priority = min(complaint.priority + 1, Priority.URGENT)
    complaint.escalated_first_response = (
        complaint.escalated_first_response or "first_response" in breaches
    )
    complaint.escalated_resolution = complaint.escalated_resolution or "resolution" in breaches
    # Due times stay as promised at creation: escalation makes a late case louder, not later.
    complaint.save(update_fields=["priority", "escalated_first_response", "escalated_resolution"])
    _event(
        complaint,
        "escalated",
        f"{', '.join(breaches)} overdue; {before} → {complaint.get_priority_display()}",
    )
    for owner in owners():
        emails.send(
            "complaint_escalated", owner.email, {"complaint": complaint, "breaches": breaches}
        )
    return True


def owners():
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(groups__name="Owner"), is_active=True)
        .distinct()
    )


def follow_up_survey_answer(response: Response) -> Complaint | None:
    """Close the loop: an identified member's NPS ≤ 6 or CSAT ≤ 2 opens a follow-up case,
    once per response."""
    if response.user_id is None or Complaint.objects.filter(survey_response=response).exists():
        return None
    low = Answer.objects.filter(response=response).filter(
        Q(question__kind=QuestionKind.NPS, number__lte=6)
        | Q(question__kind=QuestionKind.CSAT, number__lte=2)
    )
    if not low.exists():
        return None
    comments = " ".join(
        Answer.objects.filter(response=response, question__kind__in=TEXT_KINDS)
        .exclude(text="")
        .values_list("text", flat=True)
    )
    user = response.user
    description = _("Your answer to our survey “%(survey)s”.") % {"survey": response.survey.title}
    return file_complaint(
        name=user.get_full_name() or user.email,
        email=user.email,
        user=user,
        category=Category.SERVICE,
        description=f"{description} {comments}".strip(),
        remedy_sought=Remedy.OTHER,
        channel=Channel.SURVEY_FOLLOW_UP,
        survey_response=response,
        receipt_number=response.purchase.reference if response.purchase_id else "",
    )


# Testimonials ----------------------------------------------------------------------------


@transaction.atomic
def submit_testimonial(user, rating: int, text: str) -> Testimonial:
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ComplaintError(_("Choose a rating from 1 to 5."))
    text = (text or "").strip()
    if not text or len(text) > 500:
        raise ComplaintError(_("Write a few words, at most 500 characters."))
    if Testimonial.objects.filter(user=user, status=TestimonialStatus.PENDING).exists():
        raise ComplaintError(_("Your last testimonial is still waiting for review."))
    return Testimonial.objects.create(
        user=user, rating=rating, text=text, created_at=timezone.now()
    )


@transaction.atomic
def decide_testimonial(testimonial: Testimonial, *, approve: bool, staff) -> Testimonial:
    """Approve (published, and the bonus once per member per period) or reject, once."""
    testimonial = Testimonial.objects.select_for_update().get(pk=testimonial.pk)
    if testimonial.status != TestimonialStatus.PENDING:
        raise ComplaintError(_("This testimonial was already reviewed."))
    testimonial.status = TestimonialStatus.APPROVED if approve else TestimonialStatus.REJECTED
    testimonial.decided_at = timezone.now()
    testimonial.decided_by = staff
    testimonial.save(update_fields=["status", "decided_at", "decided_by"])
    if approve and testimonial.user_id:
        _testimonial_bonus(testimonial, staff)
    return testimonial


def _testimonial_bonus(testimonial: Testimonial, staff) -> None:
    program = Program.current()
    card = Card.objects.filter(user=testimonial.user_id, status=CardStatus.ACTIVE).first()
    if card is None or not program.testimonial_bonus:
        return
    since = timezone.now() - datetime.timedelta(days=program.testimonial_bonus_days)
    earlier = PointTransaction.objects.filter(
        card__user=testimonial.user_id, kind=Kind.TESTIMONIAL_BONUS, created_at__gte=since
    )
    # The card lock inside award_bonus serialises two approvals; check again under it.
    Card.objects.select_for_update().filter(pk=card.pk).first()
    if not earlier.exists():
        loyalty_services.award_bonus(
            card, Kind.TESTIMONIAL_BONUS, program.testimonial_bonus, source=testimonial, staff=staff
        )


def recovered_detractors() -> int:
    """Members whose survey follow-up case was resolved and who later answered a survey
    with NPS 7 or more."""
    resolved_follow_ups = Complaint.objects.filter(
        channel=Channel.SURVEY_FOLLOW_UP, resolved_at__isnull=False, user__isnull=False
    )
    later_happy = Answer.objects.filter(
        question__kind=QuestionKind.NPS,
        number__gte=7,
        response__user=OuterRef("user"),
        response__created_at__gt=OuterRef("resolved_at"),
    )
    return resolved_follow_ups.filter(Exists(later_happy)).values("user").distinct().count()
