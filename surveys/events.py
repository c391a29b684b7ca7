"""What the shop's own systems are told about complaints (webhook payloads).

No name, e-mail, phone or description: the description is the customer's own words and may
hold anything; the link opens the case in the admin for whoever may see it."""

from django.conf import settings
from django.urls import reverse

from surveys.models import Complaint


def complaint_opened(complaint: Complaint) -> dict:
    return {
        "complaint_id": complaint.pk,
        "reference": complaint.reference,
        "category": complaint.category,
        "channel": complaint.channel,
        "priority": complaint.priority,
        "status": complaint.status,
        "card_number": complaint.card.number if complaint.card_id else None,
        "receipt": complaint.receipt_number or None,
        "disputed_line_id": complaint.disputed_line_id,
        "created_at": complaint.created_at.isoformat(),
        "first_response_due": _iso(complaint.first_response_due),
        "resolution_due": _iso(complaint.resolution_due),
        "admin_url": settings.SITE_URL.rstrip("/")
        + reverse("admin:surveys_complaint_change", args=[complaint.pk]),
    }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None
