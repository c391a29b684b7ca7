"""Member e-mails: HTML and plain text, in the member's language, sent after commit."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.unsubscribe import make_token


def send(
    template: str,
    to: str,
    context: dict,
    *,
    language: str | None = None,
    unsubscribe_url: str = "",
) -> None:
    """Queue `templates/emails/<template>.{subject.txt,txt,html}` for `to` once the current
    transaction commits (at once when there is none). Nothing is sent for a rolled-back change."""
    if not to:
        return
    context = {
        "business_name": settings.BUSINESS_NAME,
        "site_url": settings.SITE_URL,
        "unsubscribe_url": unsubscribe_url,
        **context,
    }
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"emails/{template}.subject.txt", context).strip()
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    headers = {}
    if unsubscribe_url:
        headers = {
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    message = EmailMultiAlternatives(
        f"[{settings.BUSINESS_NAME}] {subject}", text, to=[to], headers=headers
    )
    message.attach_alternative(html, "text/html")
    transaction.on_commit(message.send)


def send_to_member(template: str, user, context: dict, *, optional_list: str = "") -> None:
    """A member e-mail in their language. `optional_list` ("marketing", "receipts") marks
    e-mails sent only with the member's consent, each with a one-click unsubscribe link."""
    unsubscribe_url = ""
    if optional_list:
        consent = {"marketing": user.marketing_consent, "receipts": user.receipt_emails}
        if not consent[optional_list]:
            return
        path = reverse("unsubscribe", args=[make_token(user, optional_list)])
        unsubscribe_url = settings.SITE_URL + path
    send(
        template,
        user.email,
        {"member": user, **context},
        language=user.language,
        unsubscribe_url=unsubscribe_url,
    )
