"""The owner dashboard's daily rollup: the heavy figures of each preset period, worked out
once a night by `run_daily` so the dashboard reads them instead of the whole ledger."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.jsoncodec import TaggedDecoder, TaggedEncoder


class DashboardSnapshot(models.Model):
    day = models.DateField(_("day"), help_text=_("The figures run to the end of the day before."))
    days = models.PositiveSmallIntegerField(_("period in days"))
    figures = models.JSONField(encoder=TaggedEncoder, decoder=TaggedDecoder)
    computed_at = models.DateTimeField(_("worked out"), auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "days"], name="one_snapshot_per_day_and_period")
        ]
        verbose_name = _("dashboard snapshot")
        verbose_name_plural = _("dashboard snapshots")

    def __str__(self):
        return f"{self.day} · {self.days} days"


class PrivacyAction(models.TextChoices):
    EXPORT = "export", _("Personal data downloaded")
    ERASURE = "erasure", _("Personal data erased")
    RETENTION_WARNING = "retention_warning", _("Warned of erasure after inactivity")


class PrivacySource(models.TextChoices):
    PORTAL = "portal", _("By the member in the portal")
    SHOP = "shop", _("By the shop, on the member's request")
    RETENTION = "retention", _("By the daily run, after inactivity")


class PrivacyRecord(models.Model):
    """A personal-data request answered: who asked, who acted, when. Names no one by name, so
    it outlives the erasure it records."""

    action = models.CharField(_("what"), max_length=20, choices=PrivacyAction.choices)
    source = models.CharField(_("how"), max_length=12, choices=PrivacySource.choices)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("request"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("personal data request")
        verbose_name_plural = _("personal data requests")

    def __str__(self):
        return f"{self.get_action_display()} · {self.member_id}"
