"""Signed one-click unsubscribe links: they work without logging in and cannot be forged."""

from django.core import signing

from accounts.consent import CONSENT_FIELDS

SALT = "accounts.unsubscribe"


def make_token(user, mailing_list: str) -> str:
    return signing.dumps({"user": user.pk, "list": mailing_list}, salt=SALT)


def read_token(token: str) -> tuple[int, str] | None:
    """(user id, list name) from a valid token; None if it was tampered with."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if data.get("list") not in CONSENT_FIELDS or not isinstance(data.get("user"), int):
        return None
    return data["user"], data["list"]
