"""What the member pages and the public home show of surveys, complaints and testimonials, as
parts of a kept page's state (see core.pagecache)."""

from __future__ import annotations

from core.pagecache import Part, counts_by
from surveys.models import Complaint, ComplaintStatus, Invitation, Response, Testimonial
from surveys.models.testimonials import TestimonialStatus


def member_parts(user_id: int) -> list[Part]:
    """The member's survey invitations (newest, how many dismissed), answers and complaints
    (newest, how many in each status): what decides the "How was your visit?" card."""
    invitations = Invitation._meta.db_table
    complaints = Complaint._meta.db_table
    return [
        Part(
            f"SELECT MAX(id) || ':' || COUNT(dismissed_at) FROM {invitations} WHERE user_id = %s",
            (user_id,),
        ),
        Part(f"SELECT MAX(id) FROM {Response._meta.db_table} WHERE user_id = %s", (user_id,)),
        Part(
            f"SELECT MAX(id) || ':' || {counts_by('status', ComplaintStatus.values)} "
            f"FROM {complaints} WHERE user_id = %s",
            (user_id,),
        ),
    ]


def testimonial_parts() -> list[Part]:
    """Which testimonials are published: how many in each status and the latest decision."""
    statuses = counts_by("status", TestimonialStatus.values)
    return [
        Part(
            f"SELECT {statuses} || ':' || COALESCE(CAST(MAX(decided_at) AS TEXT), '') "
            f"FROM {Testimonial._meta.db_table}"
        )
    ]
