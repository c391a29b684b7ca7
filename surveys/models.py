import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.models import Card, PointTransaction, Tier


def new_public_token():
    return secrets.token_urlsafe(9)


def complaint_photo_path(complaint, filename):
    # An unguessable name: a customer's photo must not be found by trying addresses.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "webp"
    return f"complaints/{secrets.token_urlsafe(24)}.{extension}"


class Audience(models.TextChoices):
    MEMBERS = "members", _("Members only")
    PUBLIC = "public", _("Anyone with the link")


class Survey(models.Model):
    title = models.CharField(_("title"), max_length=150)
    intro = models.TextField(_("introduction"), blank=True)
    starts_at = models.DateTimeField(_("opens"), default=timezone.now)
    ends_at = models.DateTimeField(_("closes"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.MEMBERS
    )
    allow_anonymous = models.BooleanField(
        _("anonymous answers allowed"),
        default=False,
        help_text=_("Public surveys only: people may answer without logging in."),
    )
    completion_bonus = models.PositiveIntegerField(_("completion bonus points"), default=20)
    is_post_visit = models.BooleanField(
        _("post-visit survey"),
        default=False,
        help_text=_('Offered on the member page after a purchase ("How was your visit?").'),
    )
    public_token = models.CharField(max_length=20, unique=True, default=new_public_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "title"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        permissions = [("view_survey_results", _("Can read survey results"))]

    def __str__(self):
        return self.title

    def is_open(self, moment=None):
        moment = moment or timezone.now()
        return (
            self.is_active
            and self.starts_at <= moment
            and (self.ends_at is None or moment < self.ends_at)
        )


class QuestionKind(models.TextChoices):
    NPS = "nps", _("Recommend score (NPS, 0–10)")
    CSAT = "csat", _("Satisfaction rating (1–5)")
    CES = "ces", _("Effort score (1–7)")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    YES_NO = "yes_no", _("Yes or no")
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")


SCALES = {QuestionKind.NPS: (0, 10), QuestionKind.CSAT: (1, 5), QuestionKind.CES: (1, 7)}
NUMERIC_KINDS = {*SCALES, QuestionKind.YES_NO}
CHOICE_KINDS = {QuestionKind.SINGLE, QuestionKind.MULTIPLE}
TEXT_KINDS = {QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT}
TEXT_LIMITS = {QuestionKind.SHORT_TEXT: 200, QuestionKind.LONG_TEXT: 2000}


class Question(models.Model):
    survey = models.ForeignKey(Survey, related_name="questions", on_delete=models.CASCADE)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.text

    @property
    def scale(self):
        return SCALES.get(self.kind)


class Choice(models.Model):
    question = models.ForeignKey(Question, related_name="choices", on_delete=models.CASCADE)
    label = models.CharField(_("label"), max_length=150)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self):
        return self.label


class Response(models.Model):
    survey = models.ForeignKey(Survey, related_name="responses", on_delete=models.PROTECT)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    card = models.ForeignKey(
        Card, null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_responses"
    )
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    purchase = models.OneToOneField(
        PointTransaction,
        verbose_name=_("visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_response",
    )
    session_key = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(_("answered"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(
                # Post-visit answers are one per purchase instead.
                fields=["survey", "user"],
                condition=Q(user__isnull=False, purchase__isnull=True),
                name="one_response_per_member",
            ),
            models.UniqueConstraint(
                fields=["survey", "session_key"],
                condition=~Q(session_key=""),
                name="one_response_per_browser_session",
            ),
        ]
        indexes = [models.Index(fields=["survey", "created_at"])]

    def __str__(self):
        return f"{self.survey} · {self.created_at:%Y-%m-%d}"


class Answer(models.Model):
    response = models.ForeignKey(Response, related_name="answers", on_delete=models.CASCADE)
    question = models.ForeignKey(Question, related_name="answers", on_delete=models.PROTECT)
    number = models.SmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    text = models.TextField(blank=True)
    choices = models.ManyToManyField(Choice, blank=True, related_name="answers")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="one_answer_per_question"
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | Q(number__gte=0, number__lte=10),
                name="answer_number_in_scale",
            ),
        ]
        indexes = [models.Index(fields=["question", "number"])]

    def __str__(self):
        return f"{self.question_id}: {self.number if self.number is not None else self.text[:30]}"


class Invitation(models.Model):
    """A post-visit survey offered to a member on their home page, for one purchase."""

    survey = models.ForeignKey(Survey, related_name="invitations", on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    purchase = models.OneToOneField(
        PointTransaction, on_delete=models.CASCADE, related_name="survey_invitation"
    )
    created_at = models.DateTimeField(default=timezone.now)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return f"{self.survey} → {self.user}"


# Complaints ----------------------------------------------------------------------------


class Category(models.TextChoices):
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Service")
    STAFF = "staff", _("Staff")
    BILLING = "billing", _("Billing and points")
    OTHER = "other", _("Other")


class Remedy(models.TextChoices):
    REPLACEMENT = "replacement", _("A replacement")
    REFUND = "refund", _("A refund")
    APOLOGY = "apology", _("An apology")
    OTHER = "other", _("Something else")


class Channel(models.TextChoices):
    PORTAL = "portal", _("Member portal")
    PUBLIC_FORM = "public_form", _("Contact form")
    SURVEY_FOLLOW_UP = "survey_follow_up", _("Survey follow-up")
    IN_STORE = "in_store", _("In store")
    PHONE = "phone", _("Phone")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Status(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = [Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS]


class Resolution(models.TextChoices):
    REPLACEMENT = "replacement", _("Replacement")
    REFUND = "refund", _("Refund")
    APOLOGY = "apology", _("Apology")
    GOODWILL = "goodwill", _("Goodwill points")
    OTHER = "other", _("Other")


class SLATarget(models.Model):
    """How fast the owner promises to answer and to resolve, per priority."""

    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, unique=True
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
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    description = models.TextField(_("what happened"), max_length=4000)
    remedy_sought = models.CharField(
        _("what would you like us to do"), max_length=12, choices=Remedy.choices
    )
    receipt_number = models.CharField(_("receipt number"), max_length=64, blank=True)
    photo = models.ImageField(_("photo"), upload_to=complaint_photo_path, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW, db_index=True
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
        _("resolution"), max_length=12, choices=Resolution.choices, blank=True
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
        indexes = [models.Index(fields=["status", "resolution_due"])]

    def __str__(self):
        return self.reference

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self):
        now = timezone.now()
        if not self.is_open:
            return False
        late_answer = (
            self.first_response_at is None
            and self.first_response_due
            and self.first_response_due < now
        )
        late_fix = self.resolution_due and self.resolution_due < now
        return bool(late_answer or late_fix)


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


# Testimonials --------------------------------------------------------------------------


class TestimonialStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not published")


class Testimonial(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="testimonials"
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    text = models.TextField(_("your words"), max_length=500)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=TestimonialStatus.choices,
        default=TestimonialStatus.PENDING,
        db_index=True,
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("testimonial")
        verbose_name_plural = _("testimonials")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="testimonial_rating"
            )
        ]

    def __str__(self):
        return self.text[:50]

    @property
    def signature(self):
        """First name and initial only, for the public page."""
        if self.user is None:
            return ""
        initial = f" {self.user.last_name[:1]}." if self.user.last_name else ""
        return f"{self.user.first_name or _('A member')}{initial}"
