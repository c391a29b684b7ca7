"""allauth, adapted: its e-mails (address confirmation, password reset) go through the task queue
like every other e-mail, so a mail server that is down never fails a sign-up or loses the link;
wrong passwords count against the account, however its address is typed."""

import unicodedata

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.db.models import Q

from accounts.models import User
from core import emails


def login_lock_key(typed: str) -> str:
    """The key wrong passwords count against, at the admin and the member log-in alike: the
    account the log-in backends would match for what was typed, so `STAFF@…`, `ſtaff@…` (a
    long s, which the admin's form folds to s) and a second address of the account share its
    allowance. An address of no account is folded the same way (NFKC, then casefold)."""
    address = unicodedata.normalize("NFKC", typed or "").strip()
    lowered = address.lower()
    user_id = (
        User.objects.filter(
            Q(email__iexact=address)
            | Q(email=lowered)
            | Q(pk__in=EmailAddress.objects.filter(email=lowered).values("user"))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    return f"user:{user_id}" if user_id is not None else address.casefold()


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {
                "request": request,
                "email": email,
                "current_site": get_current_site(request),
                **context,
            },
        )
        emails.enqueue(message)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth keys on the address as typed; one allowance per account, shared with the
        # admin log-in, instead.
        return login_lock_key(credentials.get("email", credentials.get("username", "")))
