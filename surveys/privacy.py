"""A member's survey answers, complaints and testimonials for a data export, and erasure's
part: what the member wrote is removed, open cases are closed, staff texts lose the name.
Ratings and scores stay, unnamed, so the survey results and NPS stay true."""

from django.db import transaction
from django.db.models import Q

from core.privacy import REMOVED, local_iso, mentions, scrub
from surveys.models import (
    Answer,
    Complaint,
    ComplaintEvent,
    ComplaintMessage,
    Invitation,
    Response,
    Testimonial,
    TestimonialStatus,
)
from surveys.services import complaints as complaint_services


def complaints_of(user):
    """The member's cases, with those filed from their address before they logged in."""
    return Complaint.objects.filter(
        Q(user=user) | Q(user__isnull=True, email__iexact=user.email) & ~Q(email="")
    )


def data(user) -> dict:
    responses = Response.objects.filter(user=user).select_related("survey").order_by("created_at")
    answers = (
        Answer.objects.filter(response__user=user)
        .select_related("question")
        .prefetch_related("choices")
        .order_by("response_id", "question__order", "pk")
    )
    by_response: dict[int, list] = {}
    for answer in answers:
        by_response.setdefault(answer.response_id, []).append(
            {
                "question": answer.question.text,
                "number": answer.number,
                "text": answer.text,
                "choices": [choice.label for choice in answer.choices.all()],
            }
        )
    complaints = complaints_of(user).prefetch_related("messages").order_by("created_at")
    return {
        "survey_responses": [
            {
                "survey": response.survey.title,
                "answered": local_iso(response.created_at),
                "answers": by_response.get(response.pk, []),
            }
            for response in responses
        ],
        "complaints": [
            {
                "reference": complaint.reference,
                "received": local_iso(complaint.created_at),
                "name": complaint.name,
                "email": complaint.email,
                "phone": complaint.phone,
                "category": complaint.category,
                "what_happened": complaint.description,
                "remedy_sought": complaint.remedy_sought,
                "receipt_number": complaint.receipt_number,
                "status": complaint.status,
                "resolution": complaint.resolution_type,
                "resolution_summary": complaint.resolution_summary,
                "rating": complaint.rating,
                "rating_comment": complaint.rating_comment,
                # Internal notes are the shop's own working papers, never shown to the customer.
                "messages": [
                    {
                        "when": local_iso(message.created_at),
                        "from": "you" if message.from_customer else "shop",
                        "text": message.body,
                    }
                    for message in complaint.messages.all()
                    if not message.internal
                ],
            }
            for complaint in complaints
        ],
        "testimonials": [
            {
                "written": local_iso(testimonial.created_at),
                "rating": testimonial.rating,
                "text": testimonial.text,
                "status": testimonial.status,
            }
            for testimonial in Testimonial.objects.filter(user=user).order_by("created_at")
        ],
    }


@transaction.atomic
def forget(user, needles: list[str], *, by=None) -> dict:
    complaints = list(complaints_of(user).select_for_update())
    closed = 0
    for complaint in complaints:
        closed += complaint_services.close_for_erasure(complaint, by=by)
        if complaint.photo:
            complaint.photo.delete(save=False)
        Complaint.objects.filter(pk=complaint.pk).update(
            user=user,
            name="",
            email="",
            phone="",
            description=REMOVED,
            rating_comment="",
            photo="",
            resolution_summary=scrub(complaint.resolution_summary, needles),
        )
    messages = ComplaintMessage.objects.filter(complaint__in=complaints)
    messages.filter(from_customer=True).update(body=REMOVED)
    for message in messages.filter(from_customer=False):
        if mentions(message.body, needles):
            ComplaintMessage.objects.filter(pk=message.pk).update(body=scrub(message.body, needles))
    for event in ComplaintEvent.objects.filter(complaint__in=complaints).exclude(detail=""):
        if mentions(event.detail, needles):
            ComplaintEvent.objects.filter(pk=event.pk).update(detail=scrub(event.detail, needles))
    answers = Answer.objects.filter(response__user=user).exclude(text="").update(text="")
    Invitation.objects.filter(user=user).delete()
    testimonials = Testimonial.objects.filter(user=user).update(
        text=REMOVED, status=TestimonialStatus.REJECTED
    )
    return {
        "complaints closed": closed,
        "complaints anonymised": len(complaints),
        "answers removed": answers,
        "testimonials removed": testimonials,
    }
