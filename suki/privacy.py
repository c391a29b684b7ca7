"""Personal-data requests: a member's data as one JSON document, and erasure. Project-level
because a member's data lives in every app; each app says what it holds in its own `privacy`
module and this joins them. Every answered request is logged as a `PrivacyRecord`."""

import datetime
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Max, Q
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts import privacy as account_data
from accounts.emails import send_to_member
from accounts.models import User
from core.dates import shift_months
from core.privacy import local_iso, scrub
from loyalty import privacy as loyalty_data
from loyalty.models import Program
from rewards import privacy as reward_data
from suki.models import PrivacyAction, PrivacyRecord, PrivacySource
from surveys import privacy as survey_data
from webhooks.models import Delivery

FORMAT_VERSION = 1


def member_data(user) -> dict:
    """Everything Suki holds about the member, in one document: profile and consents, cards,
    ledger lines, vouchers, survey answers, complaints with their public messages,
    referrals and testimonials. Nothing of another person."""
    return {
        "format": f"suki-personal-data/{FORMAT_VERSION}",
        "shop": settings.BUSINESS_NAME,
        "exported_at": local_iso(timezone.now()),
        **account_data.data(user),
        **loyalty_data.data(user),
        **reward_data.data(user),
        **survey_data.data(user),
    }


def export(user, *, source: str, by=None, reason: str = "") -> bytes:
    """The member's data as a JSON file, with the request logged."""
    document = member_data(user)
    PrivacyRecord.objects.create(
        action=PrivacyAction.EXPORT, source=source, member=user, by=by, reason=reason[:300]
    )
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def export_filename(user) -> str:
    return f"my-data-{timezone.localdate():%Y-%m-%d}.json"


def erase(user, *, source: str, by=None, reason: str = "") -> dict:
    """Erase the member. Points are forfeited, ledger lines stay with the card anonymised,
    what the member wrote is removed, unused vouchers are cancelled, open complaints closed,
    queued and sent e-mails to them forgotten, and the account can no longer log in; the
    address is free to sign up again as a new member. Returns what was done."""
    if user.erased_at is not None:
        return {}
    with transaction.atomic():
        needles = account_data.identifiers(user)
        address = user.email
        summary = {}
        # Vouchers first: a cancelled voucher's points come back before the balance goes.
        summary.update(reward_data.forget(user, by=by))
        summary.update(survey_data.forget(user, needles, by=by))
        summary.update(loyalty_data.forget(user, needles, by=by))
        summary["e-mails forgotten"] = _forget_emails(address)
        summary["webhook messages anonymised"] = _scrub_deliveries(needles)
        account_data.forget(user)
        PrivacyRecord.objects.create(
            action=PrivacyAction.ERASURE, source=source, member=user, by=by, reason=reason[:300]
        )
    return summary


def _forget_emails(address: str) -> int:
    """Queued and delivered e-mails to the person: the queue keeps the whole message."""
    deleted, _by_model = (
        DBTaskResult.objects.filter(
            task_path="core.emails.deliver_email", args_kwargs__icontains=address
        )
        .exclude(status=TaskResultStatus.RUNNING)
        .delete()
    )
    return deleted


def _scrub_deliveries(needles: list[str]) -> int:
    """Webhook messages keep the member's address and name as sent; the stored copies lose
    them (the receiving system answers its own requests)."""
    if not needles:
        return 0
    condition = Q()
    for needle in needles:
        condition |= Q(payload__icontains=needle)
    changed = 0
    for delivery in Delivery.objects.filter(condition).only("pk", "payload"):
        payload = json.loads(scrub(json.dumps(delivery.payload, cls=DjangoJSONEncoder), needles))
        Delivery.objects.filter(pk=delivery.pk).update(payload=payload)
        changed += 1
    return changed


# Retention ----------------------------------------------------------------------------------


def retention_cutoff(years: int, day: datetime.date) -> datetime.datetime:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return shift_months(start, -12 * years)


def _inactive_members(cutoff: datetime.datetime):
    """Members with no log-in, no card activity and no sign-up since `cutoff`, each with the
    moment they were last seen."""
    joined = F("date_joined")
    last_seen = Greatest(
        joined,
        Coalesce(F("last_login"), joined),
        Coalesce(Max("cards__last_activity_at"), joined),
    )
    return (
        User.objects.filter(
            is_staff=False, is_superuser=False, is_active=True, erased_at__isnull=True
        )
        .annotate(last_seen=last_seen)
        .filter(last_seen__lt=cutoff)
    )


def warn_inactive_members(day: datetime.date, *, progress=None) -> int:
    """E-mail the members who will reach the owner's retention limit within the warning days,
    once per spell of inactivity (a member seen again after a warning is warned afresh)."""
    program = Program.current()
    if not program.retention_years:
        return 0
    soon = retention_cutoff(
        program.retention_years, day + datetime.timedelta(days=program.retention_warning_days)
    )
    due = _inactive_members(soon).filter(
        Q(retention_warned_at__isnull=True) | Q(retention_warned_at__lt=F("last_seen"))
    )
    erase_on = day + datetime.timedelta(days=program.retention_warning_days)
    warned = 0
    for member_id in list(due.values_list("pk", flat=True).order_by("pk")):
        with transaction.atomic():
            member = User.objects.select_for_update().get(pk=member_id)
            member.retention_warned_at = timezone.now()
            member.save(update_fields=["retention_warned_at"])
            send_to_member(
                "retention_warning",
                member,
                {"erase_on": erase_on, "login_url": settings.SITE_URL + reverse("account_login")},
            )
            PrivacyRecord.objects.create(
                action=PrivacyAction.RETENTION_WARNING,
                source=PrivacySource.RETENTION,
                member=member,
            )
        warned += 1
        if progress:
            progress(1)
    return warned


def erase_inactive_members(day: datetime.date, *, progress=None) -> int:
    """Erase the members past the retention limit who were warned at least the warning days
    ago and have not been seen since."""
    program = Program.current()
    if not program.retention_years:
        return 0
    cutoff = retention_cutoff(program.retention_years, day)
    warned_before = timezone.make_aware(
        datetime.datetime.combine(
            day - datetime.timedelta(days=program.retention_warning_days), datetime.time.max
        )
    )
    due = _inactive_members(cutoff).filter(
        retention_warned_at__lte=warned_before, retention_warned_at__gte=F("last_seen")
    )
    erased = 0
    for member in due.order_by("pk").iterator(chunk_size=500):
        erase(member, source=PrivacySource.RETENTION, reason="Inactive")
        erased += 1
        if progress:
            progress(1)
    return erased
