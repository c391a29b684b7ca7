"""The only writers of testimonials: a member submits one, staff approve or reject it once,
and approval pays the testimonial bonus at most once per member per the program's period."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty import services as loyalty_services
from loyalty.models import Kind, PointTransaction, Program
from surveys.exceptions import InvalidTestimonial, TestimonialAlreadyReviewed, TestimonialPending
from surveys.models import Testimonial, TestimonialStatus


@transaction.atomic
def submit_testimonial(user, rating: int, text: str) -> Testimonial:
    """Save a member's rating (1–5) and words (at most 500 characters), waiting for review;
    one waits at a time."""
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidTestimonial(_("Choose a rating from 1 to 5."))
    text = (text or "").strip()
    if not text or len(text) > 500:
        raise InvalidTestimonial(_("Write a few words, at most 500 characters."))
    if Testimonial.objects.filter(user=user, status=TestimonialStatus.PENDING).exists():
        raise TestimonialPending
    return Testimonial.objects.create(
        user=user, rating=rating, text=text, created_at=timezone.now()
    )


@transaction.atomic
def decide_testimonial(testimonial: Testimonial, *, approve: bool, staff) -> Testimonial:
    """Approve (published, and the bonus once per member per period) or reject, once."""
    testimonial = Testimonial.objects.select_for_update().get(pk=testimonial.pk)
    if testimonial.status != TestimonialStatus.PENDING:
        raise TestimonialAlreadyReviewed
    testimonial.status = TestimonialStatus.APPROVED if approve else TestimonialStatus.REJECTED
    testimonial.decided_at = timezone.now()
    testimonial.decided_by = staff
    testimonial.save(update_fields=["status", "decided_at", "decided_by"])
    if approve and testimonial.user_id:
        _testimonial_bonus(testimonial, staff)
    return testimonial


def _testimonial_bonus(testimonial: Testimonial, staff) -> None:
    program = Program.current()
    if not program.testimonial_bonus:
        return
    # The card lock serialises two approvals for one member; look for an earlier bonus under it.
    card = loyalty_services.lock_member_card(testimonial.user)
    if card is None:
        return
    since = timezone.now() - datetime.timedelta(days=program.testimonial_bonus_days)
    earlier = PointTransaction.objects.filter(
        card__user=testimonial.user_id, kind=Kind.TESTIMONIAL_BONUS, created_at__gte=since
    )
    if not earlier.exists():
        loyalty_services.award_bonus(
            card, Kind.TESTIMONIAL_BONUS, program.testimonial_bonus, source=testimonial, staff=staff
        )
