"""What a member agreed to receive by e-mail: the one map from a mailing list to the
profile field that records the member's consent to it."""

from django.db.models import Q

CONSENT_FIELDS = {
    "marketing": "marketing_consent",
    "receipts": "receipt_emails",
}


def has_consent(user, mailing_list: str) -> bool:
    return bool(getattr(user, CONSENT_FIELDS[mailing_list]))


def consenting(mailing_list: str) -> Q:
    """A filter on users for the members who agreed to `mailing_list`."""
    return Q(**{CONSENT_FIELDS[mailing_list]: True})
