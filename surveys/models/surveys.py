"""Surveys, their questions and choices, the responses and answers, and post-visit invitations."""

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
        indexes = [
            models.Index(fields=["survey", "created_at"]),
            # The admin's list, newest first, and its date bar's first and last answer.
            models.Index(fields=["-created_at", "-id"], name="response_newest_first"),
        ]

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
