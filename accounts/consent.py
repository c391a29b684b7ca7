"""What a member agreed to receive by e-mail: the one map from a mailing list to the
profile field that records the member's consent to it."""

from django.db.models import Q

from accounts.models import ConsentChange

CONSENT_FIELDS = {
    "marketing": "marketing_consent",
    "receipts": "receipt_emails",
}


def has_consent(user, mailing_list: str) -> bool:
    return bool(getattr(user, CONSENT_FIELDS[mailing_list]))


def consenting(mailing_list: str) -> Q:
    """A filter on users for the members who agreed to `mailing_list`."""
    return Q(**{CONSENT_FIELDS[mailing_list]: True})


def changed_lists(user, before: dict[str, bool]) -> dict[str, bool]:
    """The lists whose consent differs from `before` (as `current(user)` gave it)."""
    now = current(user)
    return {name: given for name, given in now.items() if before.get(name) != given}


def current(user) -> dict[str, bool]:
    return {name: bool(getattr(user, field)) for name, field in CONSENT_FIELDS.items()}


def record(user, changes: dict[str, bool], *, source: str, by=None) -> list[ConsentChange]:
    """Write the consent history for `changes` (list name → agreed), already saved on `user`.
    Every place that changes a consent calls this, so the history shows when and where."""
    return ConsentChange.objects.bulk_create(
        ConsentChange(user=user, mailing_list=name, given=given, source=source, changed_by=by)
        for name, given in changes.items()
    )


def set_consent(user, mailing_list: str, given: bool, *, source: str, by=None) -> bool:
    """Save one consent and record it; returns whether it changed."""
    field = CONSENT_FIELDS[mailing_list]
    if bool(getattr(user, field)) == given:
        return False
    setattr(user, field, given)
    user.save(update_fields=[field])
    record(user, {mailing_list: given}, source=source, by=by)
    return True
