"""Member e-mails: in the member's language, optional ones only with their consent."""

from django.conf import settings
from django.urls import reverse

from accounts.consent import has_consent
from accounts.unsubscribe import make_token
from core.emails import send


def send_to_member(template: str, user, context: dict, *, optional_list: str = "") -> None:
    """A member e-mail in their language. `optional_list` ("marketing", "receipts") marks
    e-mails sent only with the member's consent, each with a one-click unsubscribe link."""
    unsubscribe_url = ""
    if optional_list:
        if not has_consent(user, optional_list):
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
