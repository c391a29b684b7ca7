"""A member's own data in the accounts app: what a data export holds and what erasure
removes. `suki.privacy` joins every app's part."""

from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts import consent
from accounts.models import ConsentChange, ConsentSource
from core.privacy import local_iso


def identifiers(user) -> list[str]:
    """What names the person in free text: their e-mail, names and phone. A short first name
    alone ("Al") would match too much, so names count from three letters."""
    names = [user.get_full_name(), user.first_name, user.last_name]
    found = [user.email, user.phone, *(name for name in names if len(name.strip()) >= 3)]
    return [text.strip() for text in found if text and text.strip()]


def data(user) -> dict:
    return {
        "profile": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "birthday": local_iso(user.birthday),
            "language": user.language,
            "joined": local_iso(user.date_joined),
            "last_login": local_iso(user.last_login),
        },
        "consents": {
            "current": consent.current(user),
            "history": [
                {
                    "emails": change.mailing_list,
                    "agreed": change.given,
                    "where": change.source,
                    "when": local_iso(change.created_at),
                }
                for change in ConsentChange.objects.filter(user=user).order_by("created_at", "pk")
            ],
        },
    }


def forget(user) -> None:
    """Remove the person from their account and close it: no log-in, no e-mail, the address
    free for a new sign-up. The row stays, so the ledger, answers and history that point at it
    keep adding up."""
    withdrawn = {name: False for name, given in consent.current(user).items() if given}
    for field in consent.CONSENT_FIELDS.values():
        setattr(user, field, False)
    consent.record(user, withdrawn, source=ConsentSource.ERASURE)
    EmailAddress.objects.filter(user=user).delete()
    user.email = f"erased-{user.pk}@erased.invalid"
    user.first_name = ""
    user.last_name = ""
    user.phone = ""
    user.birthday = None
    user.birthday_changed_at = None
    user.is_active = False
    user.is_staff = False
    user.set_unusable_password()  # also ends every session the member had open
    user.erased_at = timezone.now()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
