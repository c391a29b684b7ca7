"""E-mails: subject, plain text and HTML rendered in one language, delivered by the task worker.

Knows no app: `accounts.emails.send_to_member` adds the member, their language and consent."""

import smtplib
import unicodedata
from email.utils import quote, unquote

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task

from core.tasks import retry_later


def header_text(text) -> str:
    """`text` fit for one mail header line: line breaks and other control characters become
    spaces. Subjects and display names carry what members typed (a first name such as
    "Bea\\nBcc: x@y"); a line break there would add a header, and Django refuses to send it."""
    spaced = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in str(text)
    )
    return " ".join(spaced.split())


def header_address(address) -> str:
    """An address for From or To with its display name on one line and quoted, so that neither
    a line break nor a ":" or "," in a name can add a header or a recipient."""
    text = header_text(address)
    name, bracket, rest = text.rpartition("<")
    name = name.strip()
    if not bracket or not name or not rest.endswith(">"):
        return text
    if len(name) > 1 and name.startswith('"') and name.endswith('"'):
        name = unquote(name)
    return f'"{quote(name)}" <{rest[:-1].strip()}>'


def send(
    template: str,
    to: str,
    context: dict,
    *,
    language: str | None = None,
    unsubscribe_url: str = "",
) -> None:
    """Queue `templates/emails/<template>.{subject.txt,txt,html}` for `to`. The task is written
    in the current transaction: a rolled-back change sends nothing, a committed one is delivered
    by the worker, again and again while the mail server is down."""
    if not to:
        return
    context = {
        "business_name": settings.BUSINESS_NAME,
        "site_url": settings.SITE_URL,
        "unsubscribe_url": unsubscribe_url,
        **context,
    }
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"emails/{template}.subject.txt", context)
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    headers = {}
    if unsubscribe_url:
        headers = {
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    message = EmailMultiAlternatives(
        header_text(f"[{settings.BUSINESS_NAME}] {subject}"), text, to=[to], headers=headers
    )
    message.attach_alternative(html, "text/html")
    enqueue(message)


def enqueue(message: EmailMessage) -> None:
    """Queue a ready message (ours or allauth's) for the worker, in the current transaction."""
    deliver_email.enqueue(
        subject=header_text(message.subject),
        body=message.body,
        to=[header_address(address) for address in message.to],
        from_email=header_address(message.from_email or settings.DEFAULT_FROM_EMAIL),
        headers={name: header_text(value) for name, value in message.extra_headers.items()},
        alternatives=[[content, mimetype] for content, mimetype in _alternatives(message)],
        content_subtype=message.content_subtype,
    )


def _alternatives(message):
    return getattr(message, "alternatives", None) or []


@task(queue_name="email")
def deliver_email(
    *,
    subject: str,
    body: str,
    to: list[str],
    from_email: str,
    headers: dict,
    alternatives: list,
    content_subtype: str = "plain",
    attempt: int = 1,
    first_tried: str = "",
) -> str:
    # Cleaned again: a task queued by an older release may still carry a line break.
    message = EmailMultiAlternatives(
        header_text(subject),
        body,
        header_address(from_email),
        [header_address(address) for address in to],
        headers={name: header_text(value) for name, value in headers.items()},
    )
    message.content_subtype = content_subtype
    for content, mimetype in alternatives:
        message.attach_alternative(content, mimetype)
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        # A refused recipient is final; a server that is down, slow or busy is worth waiting for.
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            raise
        kwargs = {
            "subject": subject,
            "body": body,
            "to": to,
            "from_email": from_email,
            "headers": headers,
            "alternatives": alternatives,
            "content_subtype": content_subtype,
            "attempt": attempt,
            "first_tried": first_tried,
        }
        retry_at = retry_later(deliver_email, kwargs, error=error)
        return f"attempt {attempt} failed; retrying at {retry_at.isoformat()}"
    return f"sent to {', '.join(to)}"
