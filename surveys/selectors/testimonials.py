"""Read-only questions about testimonials: the approved ones the public home page shows."""

from surveys.models import Testimonial, TestimonialStatus


def published_testimonials(limit: int = 6):
    return (
        Testimonial.objects.filter(status=TestimonialStatus.APPROVED)
        .select_related("user")
        .order_by("-decided_at", "-pk")[:limit]
    )
