"""The only writers of complaint cases: filing, replies, the status workflow, assignment,
priority, resolution (goodwill points through the ledger), the customer's rating, reopening,
escalation of overdue cases, and the follow-up case a low survey score opens.

Every change locks the case row first, so two staff acting on one case at once change it
once; every change is written to the case's event log.
"""

from __future__ import annotations

import datetime
from functools import reduce
from operator import or_

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import is_owner, owner_filter
from core import emails
from loyalty import services as loyalty_services
from loyalty.models import Card, CardStatus, Kind, PointTransaction, Program
from loyalty.templatetags.loyalty import points
from surveys import events, selectors
from surveys.exceptions import ComplaintError
from surveys.models import (
    PROMISES,
    TEXT_KINDS,
    Answer,
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintMessage,
    ComplaintPriority,
    ComplaintResolution,
    ComplaintStatus,
    QuestionKind,
    RemedySought,
    Response,
    SLATarget,
)
from webhooks.models import Event
from webhooks.services import emit

# Where each status may go next; reopening sends a resolved or closed case back to work.
TRANSITIONS = {
    ComplaintStatus.NEW: {ComplaintStatus.ACKNOWLEDGED},
    ComplaintStatus.ACKNOWLEDGED: {ComplaintStatus.IN_PROGRESS},
    ComplaintStatus.IN_PROGRESS: {ComplaintStatus.RESOLVED},
    ComplaintStatus.RESOLVED: {ComplaintStatus.CLOSED, ComplaintStatus.IN_PROGRESS},
    ComplaintStatus.CLOSED: {ComplaintStatus.IN_PROGRESS},
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


def _lock_complaint(complaint: Complaint | int) -> Complaint:
    pk = complaint if isinstance(complaint, int) else complaint.pk
    return Complaint.objects.select_for_update().get(pk=pk)


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
    priority: int = ComplaintPriority.NORMAL,
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
    emit(Event.COMPLAINT_OPENED, lambda: events.complaint_opened(complaint))
    emails.send(
        "complaint_received",
        complaint.email,
        {"complaint": complaint, "url": _case_url(complaint)},
        language=user.language if user else None,
    )
    return complaint


def _case_url(complaint: Complaint) -> str:
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
    if complaint.status == ComplaintStatus.CLOSED:
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
    if complaint.status == ComplaintStatus.NEW:
        _move(complaint, ComplaintStatus.ACKNOWLEDGED, actor=author)
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
            % {"from": ComplaintStatus(complaint.status).label, "to": ComplaintStatus(to).label}
        )
    before = complaint.status
    complaint.status = to
    fields = {"status": to}
    if to == ComplaintStatus.CLOSED:
        fields["closed_at"] = complaint.closed_at = timezone.now()
    Complaint.objects.filter(pk=complaint.pk).update(**fields)
    _event(complaint, "status", f"{before} → {to}{': ' + detail if detail else ''}", actor=actor)


@transaction.atomic
def change_status(complaint: Complaint, to: str, *, actor) -> Complaint:
    """Move a case one step along new → acknowledged → in progress → (resolve) → closed.
    Resolving needs `resolve_complaint`, which records how."""
    if to not in ComplaintStatus.values:
        raise ComplaintError(_("Choose a status."))
    complaint = _lock_complaint(complaint)
    if to == ComplaintStatus.RESOLVED:
        raise ComplaintError(_("Use “Resolve” to say how the case was resolved."))
    if to == ComplaintStatus.IN_PROGRESS and complaint.status in (
        ComplaintStatus.RESOLVED,
        ComplaintStatus.CLOSED,
    ):
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
    if priority not in ComplaintPriority.values:
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


def _check_goodwill(complaint: Complaint, goodwill_points: int, *, actor, reason: str) -> int:
    """Refuse goodwill the actor may not give on this (locked) case; return what it had."""
    owner = actor is not None and is_owner(actor)
    cap = Program.current().goodwill_cap
    if goodwill_points > cap and not owner:
        raise ComplaintError(
            _(
                "Staff may give at most %(cap)s goodwill points on one case. "
                "Ask an owner to give more."
            )
            % {"cap": points(cap)}
        )
    paid = selectors.goodwill_paid(complaint)
    if paid and not owner:
        raise ComplaintError(
            _("This case already had %(points)s goodwill points. Only an owner may add more.")
            % {"points": points(paid)}
        )
    if paid and not reason:
        raise ComplaintError(
            _("This case already had %(points)s goodwill points. Give a reason to add more.")
            % {"points": points(paid)}
        )
    return paid


@transaction.atomic
def resolve_complaint(
    complaint: Complaint,
    *,
    actor,
    resolution_type: str,
    summary: str,
    goodwill_points: int = 0,
    goodwill_reason: str = "",
) -> Complaint:
    """Resolve a case once, saying how. Goodwill points go through the ledger, linked to the
    case; submitting the form twice resolves (and credits) once. A case pays goodwill once
    however often it is reopened, at most the program's goodwill cap; only an owner may give
    more than the cap, or add goodwill to a case that had some, and then with a reason, kept
    on the ledger line and in the case's log."""
    summary = (summary or "").strip()
    goodwill_reason = (goodwill_reason or "").strip()
    if resolution_type not in ComplaintResolution.values:
        raise ComplaintError(_("Choose how the case was resolved."))
    if not summary:
        raise ComplaintError(_("Write a short summary of the resolution."))
    if goodwill_points < 0:
        raise ComplaintError(_("Goodwill points cannot be negative."))
    complaint = _lock_complaint(complaint)
    if complaint.status not in (ComplaintStatus.IN_PROGRESS, ComplaintStatus.ACKNOWLEDGED):
        if complaint.status == ComplaintStatus.RESOLVED:
            raise ComplaintError(_("This case is already resolved."))
        if complaint.status == ComplaintStatus.NEW:
            raise ComplaintError(_("Acknowledge the case before resolving it."))
        raise ComplaintError(_("This case is closed."))
    paid = 0
    if goodwill_points:
        paid = _check_goodwill(complaint, goodwill_points, actor=actor, reason=goodwill_reason)
    if complaint.status == ComplaintStatus.ACKNOWLEDGED:
        _move(complaint, ComplaintStatus.IN_PROGRESS, actor=actor)
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
            note=f"{complaint.reference}: {goodwill_reason}"[:500] if paid else complaint.reference,
        )
        if paid:
            _event(
                complaint, "more goodwill", f"+{goodwill_points}: {goodwill_reason}", actor=actor
            )
    now = timezone.now()
    complaint.resolution_type = resolution_type
    complaint.resolution_summary = summary
    complaint.goodwill_points = goodwill_points
    complaint.resolved_at = now
    complaint.save(
        update_fields=["resolution_type", "resolution_summary", "goodwill_points", "resolved_at"]
    )
    _move(
        complaint,
        ComplaintStatus.RESOLVED,
        actor=actor,
        detail=complaint.get_resolution_type_display(),
    )
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
    return settings.SITE_URL + reverse("rate_complaint", args=[rating_token(complaint)])


@transaction.atomic
def rate_handling(complaint: Complaint, rating: int, comment: str = "") -> Complaint:
    """The customer's 1–5 rating of how the case was handled: once, after resolution."""
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ComplaintError(_("Choose a rating from 1 to 5."))
    complaint = _lock_complaint(complaint)
    if complaint.status not in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED):
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
    if (
        complaint.status not in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED)
        or complaint.resolved_at is None
    ):
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
    _move(complaint, ComplaintStatus.IN_PROGRESS, actor=by, detail="reopened")
    Complaint.objects.filter(pk=complaint.pk).update(
        resolved_at=None, closed_at=None, rating=None, rating_comment="", rated_at=None
    )
    return complaint


def escalate_overdue(now: datetime.datetime | None = None) -> int:
    """Raise the priority of each overdue open case one step and e-mail the owners, once per
    case per missed promise (first response, resolution). Returns how many."""
    now = now or timezone.now()
    not_yet_escalated = reduce(
        or_, (promise.missed(now) & Q(**{promise.escalated: False}) for promise in PROMISES)
    )
    late = list(
        Complaint.objects.overdue(now).filter(not_yet_escalated).values_list("pk", flat=True)
    )
    if not late:
        return 0
    owners = list(_owners())  # once for the run, not once per case
    escalated = 0
    for complaint_id in late:
        if _escalate(complaint_id, now, owners):
            escalated += 1
    return escalated


@transaction.atomic
def _escalate(complaint_id: int, now, owners) -> bool:
    complaint = _lock_complaint(complaint_id)
    breaches = [
        promise
        for promise in complaint.missed_promises(now)
        if not getattr(complaint, promise.escalated)
    ]
    if not breaches:
        return False
    before = complaint.get_priority_display()
    complaint.priority = min(complaint.priority + 1, ComplaintPriority.URGENT)
    for promise in breaches:
        setattr(complaint, promise.escalated, True)
    # Due times stay as promised at creation: escalation makes a late case louder, not later.
    complaint.save(update_fields=["priority", *(promise.escalated for promise in PROMISES)])
    names = [promise.name for promise in breaches]
    _event(
        complaint,
        "escalated",
        f"{', '.join(names)} overdue; {before} → {complaint.get_priority_display()}",
    )
    for owner in owners:
        emails.send("complaint_escalated", owner.email, {"complaint": complaint, "breaches": names})
    return True


def _owners():
    return get_user_model().objects.filter(owner_filter(), is_active=True).distinct()


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
    # The member reads the case in their portal: written in their language, with the survey's
    # title in that language, whoever's request (or task) opened it.
    with translation.override(user.language or settings.LANGUAGE_CODE):
        description = _("Your answer to our survey “%(survey)s”.") % {
            "survey": response.survey.title
        }
    return file_complaint(
        name=user.get_full_name() or user.email,
        email=user.email,
        user=user,
        category=ComplaintCategory.SERVICE,
        description=f"{description} {comments}".strip(),
        remedy_sought=RemedySought.OTHER,
        channel=ComplaintChannel.SURVEY_FOLLOW_UP,
        survey_response=response,
        receipt_number=response.purchase.reference if response.purchase_id else "",
    )


@transaction.atomic
def close_for_erasure(complaint: Complaint, *, by=None) -> bool:
    """Close an erased member's case whatever step it is at (the usual steps do not apply:
    nobody is left to answer). Returns whether it was open."""
    complaint = _lock_complaint(complaint)
    if not complaint.is_open:
        return False
    before = complaint.status
    closed_at = timezone.now()
    Complaint.objects.filter(pk=complaint.pk).update(
        status=ComplaintStatus.CLOSED, closed_at=closed_at
    )
    _event(
        complaint, "status", f"{before} → {ComplaintStatus.CLOSED}: personal data erased", actor=by
    )
    return True
