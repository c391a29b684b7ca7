from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.models import Card, Tier

VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0 or 1
VOUCHER_LENGTH = 10
# Units of one reward in one redemption: the form, the service and the message all use it.
MAX_QUANTITY = 10


class RewardKind(models.TextChoices):
    FREE_ITEM = "free_item", _("Free item")
    DISCOUNT = "discount", _("Discount")
    VOUCHER = "voucher", _("Voucher")
    EXPERIENCE = "experience", _("Experience")
    DONATION = "donation", _("Donation to a cause")


class Reward(models.Model):
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    image = models.ImageField(_("image"), upload_to="rewards/", blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=RewardKind.choices)
    points_cost = models.PositiveIntegerField(_("points cost"), validators=[MinValueValidator(1)])
    stock = models.PositiveIntegerField(
        _("stock"), null=True, blank=True, help_text=_("Leave blank for unlimited.")
    )
    available_from = models.DateTimeField(_("available from"), null=True, blank=True)
    available_until = models.DateTimeField(_("available until"), null=True, blank=True)
    per_member_limit = models.PositiveSmallIntegerField(
        _("limit per member"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Leave blank for no limit."),
    )
    minimum_tier = models.ForeignKey(
        Tier, verbose_name=_("minimum tier"), null=True, blank=True, on_delete=models.PROTECT
    )
    valid_days = models.PositiveSmallIntegerField(
        _("voucher valid for days"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    is_active = models.BooleanField(_("active"), default=True)
    display_order = models.PositiveSmallIntegerField(_("display order"), default=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_order", "points_cost", "name"]
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [
            models.CheckConstraint(condition=Q(points_cost__gt=0), name="reward_costs_points"),
            models.CheckConstraint(
                condition=Q(available_from__isnull=True)
                | Q(available_until__isnull=True)
                | Q(available_until__gt=models.F("available_from")),
                name="reward_window_in_order",
            ),
        ]

    def __str__(self):
        return self.name

    def is_available(self, moment=None):
        moment = moment or timezone.now()
        return (
            self.is_active
            and (self.available_from is None or self.available_from <= moment)
            and (self.available_until is None or moment < self.available_until)
        )


class RedemptionStatus(models.TextChoices):
    ISSUED = "issued", _("Ready to use")
    FULFILLED = "fulfilled", _("Used")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class Redemption(models.Model):
    """A reward a member bought with points: a voucher until staff fulfil it."""

    code = models.CharField(_("voucher code"), max_length=VOUCHER_LENGTH, unique=True)
    card = models.ForeignKey(
        Card, verbose_name=_("card"), related_name="redemptions", on_delete=models.PROTECT
    )
    reward = models.ForeignKey(
        Reward, verbose_name=_("reward"), related_name="redemptions", on_delete=models.PROTECT
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    points = models.PositiveIntegerField(_("points"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RedemptionStatus.choices,
        default=RedemptionStatus.ISSUED,
        db_index=True,
    )
    created_at = models.DateTimeField(_("redeemed"), auto_now_add=True, db_index=True)
    valid_until = models.DateTimeField(_("valid until"))
    fulfilled_at = models.DateTimeField(_("used"), null=True, blank=True)
    fulfilled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("fulfilled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    fulfilled_store = models.ForeignKey(
        "loyalty.Store",
        verbose_name=_("used at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A voucher a full stamp card earned: it cost stamps, not points.
    stamp_line = models.OneToOneField(
        "loyalty.StampLine",
        verbose_name=_("full stamp card"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="voucher",
    )
    closed_at = models.DateTimeField(_("cancelled or expired"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        permissions = [("fulfil_redemption", _("Can fulfil vouchers at the counter"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="redemption_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(points__gt=0) | Q(points=0, stamp_line__isnull=False),
                name="redemption_costs_points",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "valid_until"]),
            # The admin's list, newest first, and its date bar's first and last voucher.
            models.Index(fields=["-created_at", "-id"], name="redemption_newest_first"),
        ]

    def __str__(self):
        return f"{self.formatted_code} · {self.reward}"

    @property
    def formatted_code(self):
        return f"{self.code[:5]}-{self.code[5:]}"
