"""Member e-mails: HTML and plain text, in the member's language, sent after commit."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation


def send(template: str, to: str, context: dict, *, language: str | None = None) -> None:
    """Queue `templates/emails/<template>.{subject.txt,txt,html}` for `to` once the current
    transaction commits (at once when there is none). Nothing is sent for a rolled-back change."""
    if not to:
        return
    context = {"business_name": settings.BUSINESS_NAME, "site_url": settings.SITE_URL, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"emails/{template}.subject.txt", context).strip()
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(f"[{settings.BUSINESS_NAME}] {subject}", text, to=[to])
    message.attach_alternative(html, "text/html")
    transaction.on_commit(message.send)


def send_to_member(template: str, user, context: dict) -> None:
    send(template, user.email, {"member": user, **context}, language=user.language)
