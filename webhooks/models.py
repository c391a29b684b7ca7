"""Endpoints the owner registers, and the log of every message sent to them."""

import base64
import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

# Plain http is allowed only to the machine itself, for trying a receiver out.
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
TEST_EVENT = "webhook.test"


class Event(models.TextChoices):
    MEMBER_JOINED = "member.joined", _("Member joined")
    PURCHASE_RECORDED = "purchase.recorded", _("Purchase recorded")
    PURCHASE_REVERSED = "purchase.reversed", _("Purchase reversed")
    VOUCHER_ISSUED = "voucher.issued", _("Voucher issued")
    VOUCHER_USED = "voucher.used", _("Voucher used")
    TIER_CHANGED = "tier.changed", _("Tier changed")
    COMPLAINT_OPENED = "complaint.opened", _("Complaint opened")


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def validate_endpoint_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return
    raise ValidationError(
        _("Use an https:// address (plain http only to 127.0.0.1 or localhost)."),
        code="insecure_url",
    )


def validate_events(value) -> None:
    known = set(Event.values)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Choose events from the list."), code="invalid_events")
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValidationError(
            _("Unknown events: %(events)s."), params={"events": ", ".join(unknown)}, code="unknown"
        )


class Endpoint(models.Model):
    url = models.URLField(
        _("address"),
        max_length=500,
        validators=[validate_endpoint_url],
        help_text=_("Where the messages are posted. Must be https://."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list, blank=True, validators=[validate_events])
    secret = models.CharField(_("signing secret"), max_length=100, default=new_secret)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Switched off, the endpoint gets nothing.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["pk"]

    def __str__(self):
        return self.description or self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One message to one endpoint. Its message id stays the same over retries and
    redeliveries, so a receiver can tell a repeat from a new event."""

    endpoint = models.ForeignKey(
        Endpoint, related_name="deliveries", on_delete=models.CASCADE, verbose_name=_("endpoint")
    )
    event_type = models.CharField(_("event"), max_length=50)
    message_id = models.CharField(
        _("message id"), max_length=40, unique=True, default=new_message_id
    )
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("last response code"), null=True)
    last_duration_ms = models.PositiveIntegerField(_("last time (ms)"), null=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["endpoint", "-created_at"])]

    def __str__(self):
        return f"{self.event_type} {self.message_id}"


class Attempt(models.Model):
    """One try at sending a delivery: what the endpoint answered and how long it took."""

    delivery = models.ForeignKey(Delivery, related_name="attempt_log", on_delete=models.CASCADE)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(_("response code"), null=True)
    duration_ms = models.PositiveIntegerField(_("time (ms)"))
    error = models.CharField(_("error"), max_length=500, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.status_code or self.error} in {self.duration_ms} ms"
