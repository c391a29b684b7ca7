"""Complaints: the case, its messages and event log, the SLA targets per priority, reply
templates, and the one definition of an overdue case."""

import secrets
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.models import Card, PointTransaction
from surveys.models.surveys import Response


def complaint_photo_path(complaint, filename):
    # An unguessable name: a customer's photo must not be found by trying addresses.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "webp"
    return f"complaints/{secrets.token_urlsafe(24)}.{extension}"


class ComplaintCategory(models.TextChoices):
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")
    STAFF = "staff", _("Staff")
    BILLING = "billing", _("Billing and points")
    OTHER = "other", _("Other")


class RemedySought(models.TextChoices):
    """What the customer asks us to do (what was done is a `ComplaintResolution`)."""

    REPLACEMENT = "replacement", _("A replacement")
    REFUND = "refund", _("A refund")
    APOLOGY = "apology", _("An apology")
    OTHER = "other", _("Something else")


class ComplaintChannel(models.TextChoices):
    PORTAL = "portal", _("Member portal")
    PUBLIC_FORM = "public_form", _("Contact form")
    SURVEY_FOLLOW_UP = "survey_follow_up", _("Survey follow-up")
    IN_STORE = "in_store", _("In store")
    PHONE = "phone", _("Phone")


class ComplaintPriority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class ComplaintStatus(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_COMPLAINT_STATUSES = [
    ComplaintStatus.NEW,
    ComplaintStatus.ACKNOWLEDGED,
    ComplaintStatus.IN_PROGRESS,
]


class ComplaintResolution(models.TextChoices):
    REPLACEMENT = "replacement", _("Replacement")
    REFUND = "refund", _("Refund")
    APOLOGY = "apology", _("Apology")
    GOODWILL = "goodwill", _("Goodwill points")
    OTHER = "other", _("Other")


@dataclass(frozen=True)
class Promise:
    """A time the owner promises on every case (the SLA): missed once `due` has passed while
    `kept` is still unset. `escalated` records that the daily run has already escalated it."""

    name: str
    due: str
    kept: str
    escalated: str

    def missed(self, now) -> Q:
        return Q(**{f"{self.kept}__isnull": True, f"{self.due}__lt": now})

    def missed_by(self, complaint, now) -> bool:
        """`missed` for one row in memory, on the same fields."""
        due = getattr(complaint, self.due)
        return getattr(complaint, self.kept) is None and due is not None and due < now


PROMISES = (
    Promise(
        "first_response",
        due="first_response_due",
        kept="first_response_at",
        escalated="escalated_first_response",
    ),
    Promise(
        "resolution",
        due="resolution_due",
        kept="resolved_at",
        escalated="escalated_resolution",
    ),
)


def open_filter() -> Q:
    return Q(status__in=OPEN_COMPLAINT_STATUSES)


def overdue_filter(now=None) -> Q:
    """Open cases that missed a promise: no first response by its due time, or not resolved
    by its due time. The one definition of "overdue": the queue's filter, the figures, the
    daily escalation and the case's own `is_overdue` all use it."""
    now = now or timezone.now()
    return open_filter() & reduce(or_, (promise.missed(now) for promise in PROMISES))


class ComplaintQuerySet(models.QuerySet):
    def open(self):
        return self.filter(open_filter())

    def overdue(self, now=None):
        return self.filter(overdue_filter(now))


class SLATarget(models.Model):
    """How fast the owner promises to answer and to resolve, per priority."""

    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=ComplaintPriority.choices, unique=True
    )
    first_response_hours = models.PositiveIntegerField(_("first response within hours"))
    resolution_hours = models.PositiveIntegerField(_("resolution within hours"))

    class Meta:
        ordering = ["priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")

    def __str__(self):
        return self.get_priority_display()


class Complaint(models.Model):
    reference = models.CharField(_("reference"), max_length=20, unique=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    card = models.ForeignKey(
        Card, null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    category = models.CharField(_("category"), max_length=12, choices=ComplaintCategory.choices)
    description = models.TextField(_("what happened"), max_length=4000)
    remedy_sought = models.CharField(
        _("what would you like us to do"), max_length=12, choices=RemedySought.choices
    )
    receipt_number = models.CharField(_("receipt number"), max_length=64, blank=True)
    photo = models.ImageField(_("photo"), upload_to=complaint_photo_path, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=ComplaintChannel.choices)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=ComplaintPriority.choices, default=ComplaintPriority.NORMAL
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.NEW,
        db_index=True,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_complaints",
        limit_choices_to={"is_staff": True},
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    resolution_type = models.CharField(
        _("resolution"), max_length=12, choices=ComplaintResolution.choices, blank=True
    )
    resolution_summary = models.TextField(_("resolution summary"), blank=True)
    goodwill_points = models.PositiveIntegerField(_("goodwill points"), default=0)
    rating = models.PositiveSmallIntegerField(
        _("rating of the handling"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = models.TextField(_("rating comment"), blank=True, max_length=2000)
    rated_at = models.DateTimeField(null=True, blank=True)
    escalated_first_response = models.BooleanField(default=False)
    escalated_resolution = models.BooleanField(default=False)
    survey_response = models.OneToOneField(
        Response,
        verbose_name=_("survey answer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_up",
    )
    disputed_line = models.ForeignKey(
        PointTransaction,
        verbose_name=_("points line questioned"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="complaint_rating_1_to_5",
            )
        ]
        indexes = [
            models.Index(fields=["status", "resolution_due"]),
            # The queue of one status, newest first, and its date bar's first and last day.
            models.Index(fields=["status", "-created_at", "-id"], name="complaint_status_newest"),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self):
        return self.status in OPEN_COMPLAINT_STATUSES

    def missed_promises(self, now=None) -> list[Promise]:
        """The promises this case has missed by `now` while open (see `overdue_filter`)."""
        now = now or timezone.now()
        if not self.is_open:
            return []
        return [promise for promise in PROMISES if promise.missed_by(self, now)]

    @property
    def is_overdue(self):
        return bool(self.missed_promises())


class ComplaintMessage(models.Model):
    complaint = models.ForeignKey(Complaint, related_name="messages", on_delete=models.CASCADE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_customer = models.BooleanField(default=False)
    internal = models.BooleanField(
        _("internal note"),
        default=False,
        help_text=_("Internal notes are never shown to the customer."),
    )
    body = models.TextField(_("message"), max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("complaint message")
        verbose_name_plural = _("complaint messages")
        constraints = [
            models.CheckConstraint(
                condition=Q(from_customer=False) | Q(internal=False),
                name="customers_write_no_notes",
            )
        ]

    def __str__(self):
        return self.body[:50]


class ComplaintEvent(models.Model):
    complaint = models.ForeignKey(Complaint, related_name="events", on_delete=models.CASCADE)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=30)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.action}: {self.detail}"


class ReplyTemplate(models.Model):
    title = models.CharField(_("title"), max_length=100, unique=True)
    body = models.TextField(_("text"))

    class Meta:
        ordering = ["title"]
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")

    def __str__(self):
        return self.title
