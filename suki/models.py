"""The owner dashboard's daily rollup: the heavy figures of each preset period, worked out
once a night by `run_daily` so the dashboard reads them instead of the whole ledger."""

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
