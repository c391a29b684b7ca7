from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from loyalty.cardnumbers import format_number

POSITIVE = [MinValueValidator(0)]


class Program(models.Model):
    """The rules of the loyalty program: one row, edited by the owner."""

    name = models.CharField(_("program name"), max_length=100, default="Suki")
    points_per_unit = models.DecimalField(
        _("points per currency unit"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Points earned for each 1.00 spent, before tier and bonus-day multipliers."),
    )
    point_value = models.DecimalField(
        _("value of one point"),
        max_digits=8,
        decimal_places=4,
        default=Decimal("0.0500"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("In the program currency; used for pay-with-points and the liability figure."),
    )
    purchase_ceiling = models.DecimalField(
        _("largest purchase amount"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("1000.00"),
        validators=[MinValueValidator(Decimal("1"))],
        help_text=_("Amounts at or above this are refused at the counter as likely typos."),
    )
    tier_window_months = models.PositiveSmallIntegerField(
        _("tier qualifying window (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    expiry_months = models.PositiveSmallIntegerField(
        _("points expire after months without activity"),
        default=12,
        help_text=_("0 means points never expire."),
    )
    expiry_warning_days = models.PositiveSmallIntegerField(
        _("warn this many days before expiry"), default=30
    )
    signup_bonus = models.PositiveIntegerField(_("sign-up bonus"), default=50)
    first_purchase_bonus = models.PositiveIntegerField(_("first purchase bonus"), default=25)
    birthday_bonus = models.PositiveIntegerField(_("birthday bonus"), default=100)
    survey_bonus = models.PositiveIntegerField(_("completed survey bonus"), default=20)
    testimonial_bonus = models.PositiveIntegerField(_("approved testimonial bonus"), default=30)
    referral_bonus = models.PositiveIntegerField(_("referral bonus (each friend)"), default=100)
    goodwill_default = models.PositiveIntegerField(_("default goodwill points"), default=50)
    goodwill_cap = models.PositiveIntegerField(
        _("most goodwill points staff may give on one case"),
        default=500,
        help_text=_(
            "Only an owner may give more. A case pays goodwill once; an owner may add more "
            "later, with a reason."
        ),
    )
    pay_with_points_step = models.PositiveIntegerField(
        _("pay-with-points step"),
        default=100,
        validators=[MinValueValidator(1)],
        help_text=_("Points are spent as money off in multiples of this."),
    )
    referral_limit_per_month = models.PositiveSmallIntegerField(
        _("rewarded referrals per member per month"),
        default=5,
        help_text=_("Friends beyond this number in a month still join, without the bonus."),
    )
    testimonial_bonus_days = models.PositiveSmallIntegerField(
        _("days between testimonial bonuses"),
        default=365,
        help_text=_("A member earns the testimonial bonus at most once in this many days."),
    )
    survey_invitation_days = models.PositiveSmallIntegerField(
        _("days between visit surveys"),
        default=30,
        help_text=_("A member is asked about a visit at most once in this many days."),
    )
    retention_years = models.PositiveSmallIntegerField(
        _("erase members inactive for years"),
        default=0,
        validators=[MaxValueValidator(50)],
        help_text=_(
            "A member with no purchase, no log-in and no other activity for this many years is "
            "warned by e-mail and then anonymised. 0 keeps members for as long as the shop runs."
        ),
    )
    retention_warning_days = models.PositiveSmallIntegerField(
        _("warn this many days before erasing"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("program")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="program_single_row")]

    def __str__(self):
        return self.name

    @classmethod
    def current(cls):
        program, _created = cls.objects.get_or_create(pk=1)
        return program


class Tier(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    threshold = models.PositiveIntegerField(
        _("qualifying points"),
        unique=True,
        help_text=_("Points earned within the qualifying window needed to reach this tier."),
    )
    multiplier = models.DecimalField(
        _("earn multiplier"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("1.00")), MaxValueValidator(Decimal("10"))],
    )
    benefits = models.TextField(_("benefits"), blank=True)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#7a3b12",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #a1b2c3."))],
    )

    class Meta:
        ordering = ["threshold"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")

    def __str__(self):
        return self.name


def tier_meets(tier: Tier | None, minimum: Tier | None) -> bool:
    """Whether a member in `tier` (None: no tier yet) may use what asks for `minimum`: the one
    rule for rewards, bonus days and anything else limited to a tier and the tiers above it."""
    return minimum is None or (tier is not None and tier.threshold >= minimum.threshold)


class Store(models.Model):
    """A branch of the shop. Purchases, reversals, payments with points and used vouchers
    record the branch they happened in; a receipt number is unique within its branch."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.TextField(_("address"), blank=True)
    is_open = models.BooleanField(
        _("open"), default=True, help_text=_("A closed branch records nothing new.")
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff limited to this branch"),
        blank=True,
        related_name="branches",
        help_text=_(
            "A staff member ticked at one or more branches works only there; "
            "staff ticked nowhere work at every branch."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @classmethod
    def main(cls) -> "Store":
        """The branch a sale belongs to when nobody named one: the first open branch, made
        on first use in a shop that has none yet."""
        store = cls.objects.filter(is_open=True).order_by("pk").first()
        if store is None:
            store, _created = cls.objects.get_or_create(name=str(_("Main branch")))
        return store


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    BLOCKED = "blocked", _("blocked")
    REPLACED = "replaced", _("replaced")
    CLOSED = "closed", _("closed")


class Card(models.Model):
    """A membership card: the account its points live on.

    `balance` is a cached sum of the card's ledger, written only by `loyalty.services`.
    A lost card keeps this row (balance, tier, history) and gets a new number; the old
    number is kept in `RetiredCardNumber` so the counter can refuse it by name.
    """

    number = models.CharField(_("card number"), max_length=12, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        related_name="cards",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CardStatus.choices, default=CardStatus.ACTIVE
    )
    is_physical = models.BooleanField(_("printed card"), default=False)
    holder_name = models.CharField(_("name on enrolment"), max_length=150, blank=True)
    holder_email = models.EmailField(_("e-mail on enrolment"), blank=True)
    holder_phone = models.CharField(_("phone on enrolment"), max_length=32, blank=True)
    holder_birthday = models.DateField(_("birthday on enrolment"), null=True, blank=True)
    # Whether the holder agreed, before claiming the card, to be e-mailed by the shop: an
    # imported member is invited to claim the card online only then.
    holder_email_consent = models.BooleanField(_("agreed to e-mail"), default=False)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True, editable=False)
    claim_pin = models.CharField(_("claim PIN"), max_length=6, blank=True)
    failed_claims = models.PositiveSmallIntegerField(_("failed claim attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    balance = models.IntegerField(_("balance"), default=0)
    tier = models.ForeignKey(
        Tier, verbose_name=_("tier"), null=True, blank=True, on_delete=models.PROTECT
    )
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    # The daily run's marks, so a warning goes out once per inactivity spell or tier period.
    expiry_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    tier_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        permissions = [
            ("use_counter", _("Can serve members at the counter")),
            ("adjust_points", _("Can make manual point adjustments")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="active") & Q(user__isnull=False),
                name="one_active_card_per_member",
            ),
            models.CheckConstraint(
                condition=Q(number__regex=r"^[0-9]{12}$"), name="card_number_12_digits"
            ),
        ]
        indexes = [models.Index(fields=["holder_name"]), models.Index(fields=["holder_email"])]

    def __str__(self):
        return self.formatted_number

    @property
    def formatted_number(self):
        return format_number(self.number)

    @property
    def holder(self):
        if self.user_id:
            return self.user.get_full_name() or self.user.email
        return self.holder_name or self.holder_email

    @property
    def is_claimed(self):
        return self.user_id is not None


class RetiredCardNumber(models.Model):
    """A number that once belonged to a card: refused at the counter with the reason."""

    number = models.CharField(_("card number"), max_length=12, unique=True)
    card = models.ForeignKey(
        Card, verbose_name=_("card"), related_name="retired_numbers", on_delete=models.PROTECT
    )
    reason = models.CharField(_("reason"), max_length=200)
    retired_at = models.DateTimeField(_("retired"), auto_now_add=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("retired card number")
        verbose_name_plural = _("retired card numbers")

    def __str__(self):
        return format_number(self.number)


class CardEventKind(models.TextChoices):
    BLOCKED = "blocked", _("Blocked")
    REPLACED = "replaced", _("Replaced")
    CLAIM_UNLOCKED = "claim_unlocked", _("Online claim allowed again")
    IMPORTED = "imported", _("Imported from a previous system")
    CLOSED = "closed", _("Closed, the holder's personal data erased")


class CardEvent(models.Model):
    """What was done to a card's status, by whom and why: written by `loyalty.services`, kept
    for the owner and shown at the counter."""

    card = models.ForeignKey(
        Card, verbose_name=_("card"), related_name="events", on_delete=models.PROTECT
    )
    kind = models.CharField(_("what happened"), max_length=20, choices=CardEventKind.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("card event")
        verbose_name_plural = _("card events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["card", "-created_at", "-id"])]

    def __str__(self):
        return str(self.get_kind_display())


class Kind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    PURCHASE_REVERSAL = "purchase_reversal", _("Purchase reversed")
    REDEMPTION = "redemption", _("Reward")
    REDEMPTION_REFUND = "redemption_refund", _("Reward refunded")
    SIGNUP_BONUS = "signup_bonus", _("Welcome bonus")
    FIRST_PURCHASE_BONUS = "first_purchase_bonus", _("First purchase bonus")
    BIRTHDAY_BONUS = "birthday_bonus", _("Birthday bonus")
    SURVEY_BONUS = "survey_bonus", _("Survey bonus")
    TESTIMONIAL_BONUS = "testimonial_bonus", _("Testimonial bonus")
    REFERRAL_BONUS = "referral_bonus", _("Referral bonus")
    BONUS_DAY = "bonus_day", _("Bonus day")
    GOODWILL = "goodwill", _("Goodwill")
    ADJUSTMENT = "adjustment", _("Adjustment")
    EXPIRY = "expiry", _("Points expired")
    TRANSFER = "transfer", _("Moved between cards")
    OPENING_BALANCE = "opening_balance", _("Opening balance")
    FORFEIT = "forfeit", _("Points forfeited")


BONUS_KINDS = {
    Kind.SIGNUP_BONUS,
    Kind.FIRST_PURCHASE_BONUS,
    Kind.BIRTHDAY_BONUS,
    Kind.SURVEY_BONUS,
    Kind.TESTIMONIAL_BONUS,
    Kind.REFERRAL_BONUS,
    Kind.BONUS_DAY,
    Kind.GOODWILL,
}
# What counts towards a tier: points earned, never points spent, refunded or moved.
EARNING_KINDS = {Kind.PURCHASE, Kind.PURCHASE_REVERSAL, *BONUS_KINDS}


class PointTransaction(models.Model):
    """One line of the points ledger. Append-only: written by `loyalty.services`, never edited."""

    card = models.ForeignKey(
        Card, verbose_name=_("card"), related_name="transactions", on_delete=models.PROTECT
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    points = models.IntegerField(_("points"))
    balance_after = models.IntegerField(_("balance after"))
    amount = models.DecimalField(
        _("amount"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    reference = models.CharField(_("receipt number"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    store = models.ForeignKey(
        Store,
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
    )
    tier_name = models.CharField(_("tier"), max_length=50, blank=True)
    tier_multiplier = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    bonus_multiplier = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    bonus_points = models.PositiveIntegerField(default=0)
    bonus_day_name = models.CharField(max_length=100, blank=True)
    reversal_of = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversal",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A line written through the till API has no staff member: it names the till's key.
    till_key = models.ForeignKey(
        "TillKey",
        verbose_name=_("till key"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    source_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")

    class Meta:
        verbose_name = _("points transaction")
        verbose_name_plural = _("points ledger")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["card", "store", "reference"],
                condition=Q(kind="purchase") & ~Q(reference=""),
                name="one_purchase_per_receipt_per_card",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["purchase", "purchase_reversal"]) | Q(store__isnull=False),
                name="purchase_has_branch",
            ),
            models.CheckConstraint(
                condition=~Q(kind="purchase") | (Q(amount__gt=0) & Q(points__gte=0)),
                name="purchase_has_positive_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["card", "-created_at", "-id"]),
            # The admin's ledger, newest first, and its date bar's first and last line.
            models.Index(fields=["-created_at", "-id"], name="ledger_newest_first"),
            # The ledger's filters by kind and branch: counted and listed newest first from an
            # index rather than a read of the whole ledger.
            models.Index(fields=["kind", "store", "-created_at", "-id"], name="ledger_kind_store"),
            models.Index(fields=["store", "-created_at", "-id"], name="ledger_store"),
            models.Index(fields=["source_type", "source_id"]),
            # A receipt earns points on one card: the counter looks it up across all cards
            # of its branch.
            models.Index(
                fields=["store", "reference"],
                condition=Q(kind="purchase") & ~Q(reference=""),
                name="purchase_receipt_number",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.points:+d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Ledger lines are never changed; record a new line instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger lines are never deleted.")


class BonusDay(models.Model):
    """Extra points on chosen days: a multiplier, a flat bonus per purchase, or both."""

    WEEKDAYS = [
        (0, _("Monday")),
        (1, _("Tuesday")),
        (2, _("Wednesday")),
        (3, _("Thursday")),
        (4, _("Friday")),
        (5, _("Saturday")),
        (6, _("Sunday")),
    ]

    name = models.CharField(_("name"), max_length=100)
    message = models.CharField(
        _("message to members"),
        max_length=200,
        blank=True,
        help_text=_('Shown on the member page, e.g. "Double points this Saturday".'),
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    weekdays = models.JSONField(
        _("weekdays"),
        default=list,
        blank=True,
        help_text=_("Leave empty for every day in the range."),
    )
    multiplier = models.DecimalField(
        _("points multiplier"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("1.00")), MaxValueValidator(Decimal("10"))],
    )
    flat_bonus = models.PositiveIntegerField(_("flat bonus per purchase"), default=0)
    minimum_tier = models.ForeignKey(
        Tier,
        verbose_name=_("minimum tier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["starts_on", "name"]
        verbose_name = _("bonus day")
        verbose_name_plural = _("bonus days")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="bonus_day_range"
            )
        ]

    def __str__(self):
        return self.name

    def applies_on(self, day):
        return (
            self.is_active
            and self.starts_on <= day <= self.ends_on
            and (not self.weekdays or day.weekday() in self.weekdays)
        )

    def applies_to(self, tier: Tier | None, day) -> bool:
        """Which bonus days apply to a purchase: running on `day` and open to `tier`."""
        return self.applies_on(day) and tier_meets(tier, self.minimum_tier)

    def weekday_names(self):
        names = dict(self.WEEKDAYS)
        return [names[day] for day in self.weekdays]


class TierChange(models.Model):
    card = models.ForeignKey(Card, related_name="tier_changes", on_delete=models.PROTECT)
    from_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")

    def __str__(self):
        return f"{self.from_tier or '–'} → {self.to_tier or '–'}"


class ReferralCode(models.Model):
    """A member's personal invitation code, used in their referral link."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referral_code"
    )
    code = models.CharField(max_length=12, unique=True)
    opened = models.PositiveIntegerField(_("times the link was opened"), default=0)

    class Meta:
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")

    def __str__(self):
        return self.code


class ReferralStatus(models.TextChoices):
    JOINED = "joined", _("Joined")
    REWARDED = "rewarded", _("First purchase made, bonus earned")
    NOT_REWARDED = "not_rewarded", _("Joined, no bonus")


class Referral(models.Model):
    """A friend who joined through a member's link; both earn the bonus at the friend's first
    purchase."""

    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member who invited"),
        on_delete=models.CASCADE,
        related_name="referrals_made",
    )
    referred = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("friend"),
        on_delete=models.CASCADE,
        related_name="referred_by",
    )
    status = models.CharField(
        _("status"), max_length=14, choices=ReferralStatus.choices, default=ReferralStatus.JOINED
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)
    rewarded_at = models.DateTimeField(_("rewarded"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(
                condition=~Q(referrer=models.F("referred")), name="no_self_referral"
            )
        ]

    def __str__(self):
        return f"{self.referrer} → {self.referred}"


class DailyRun(models.Model):
    """A day the daily run completed; the next run catches up from the day after."""

    day = models.DateField(unique=True)
    finished_at = models.DateTimeField(auto_now_add=True)
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("daily run")
        verbose_name_plural = _("daily runs")

    def __str__(self):
        return str(self.day)


class Scope(models.TextChoices):
    """What a till key may do through the integration API."""

    CARDS_READ = "cards:read", _("Look up members and read cards")
    PURCHASES = "purchases:write", _("Record and reverse purchases")
    POINTS = "points:write", _("Pay with points")
    VOUCHERS = "vouchers:write", _("Check and use vouchers")
    MEMBERS = "members:write", _("Enrol new members")


def all_scopes() -> list[str]:
    return list(Scope.values)


class TillKey(AbstractAPIKey):
    """An API key for one till or online shop, tied to the branch its sales belong to. Only a
    hash is stored; the key itself is shown once, when it is made."""

    store = models.ForeignKey(
        Store, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="keys"
    )
    scopes = models.JSONField(_("may"), default=all_scopes, blank=True)
    requests_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        default=120,
        validators=[MinValueValidator(1), MaxValueValidator(10_000)],
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("till key")
        verbose_name_plural = _("till keys")

    def allows(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class IdempotentRequest(models.Model):
    """The first answer to a write sent with an `Idempotency-Key`: a retry with the same key
    and body gets it again and changes nothing."""

    till_key = models.ForeignKey(TillKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    # Empty while the first request is being answered; a retry waits for it on the unique key.
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["till_key", "key"], name="one_answer_per_key")
        ]

    def __str__(self):
        return self.key


# Stamp cards ------------------------------------------------------------------------------


class StampRule(models.TextChoices):
    VISIT = "visit", _("A visit with any purchase")
    AMOUNT = "amount", _("A purchase of at least an amount")
    ITEMS = "items", _("Each item of one product")


class StampCard(models.Model):
    """A stamp card the owner offers: "buy nine coffees, the tenth is free". Members collect
    stamps on it beside their points; a full card issues its reward as a voucher."""

    name = models.CharField(_("name"), max_length=100)
    stamps_needed = models.PositiveSmallIntegerField(
        _("stamps needed"),
        validators=[MinValueValidator(2), MaxValueValidator(50)],
        help_text=_("For “9 + 1 free”, 9: the ninth stamp earns the reward."),
    )
    rule = models.CharField(
        _("what earns a stamp"), max_length=10, choices=StampRule.choices, default=StampRule.VISIT
    )
    minimum_amount = models.DecimalField(
        _("smallest purchase"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Only for “a purchase of at least an amount”."),
    )
    product = models.CharField(
        _("product"),
        max_length=100,
        blank=True,
        help_text=_("Only for “each item”: what staff count at the counter, e.g. “coffee”."),
    )
    one_per_visit = models.BooleanField(
        _("at most one stamp a day"),
        default=False,
        help_text=_("A member gets at most one stamp on this card per day, however many sales."),
    )
    reward = models.ForeignKey(
        "rewards.Reward",
        verbose_name=_("reward for a full card"),
        on_delete=models.PROTECT,
        related_name="stamp_cards",
    )
    days_to_complete = models.PositiveSmallIntegerField(
        _("days to fill a card"),
        default=0,
        help_text=_(
            "A card in progress loses its stamps this many days after its first stamp. "
            "0: stamps never expire."
        ),
    )
    stores = models.ManyToManyField(
        Store,
        verbose_name=_("branches"),
        blank=True,
        related_name="stamp_cards",
        help_text=_("Leave empty for every branch."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("stamp card")
        verbose_name_plural = _("stamp cards")
        constraints = [
            models.CheckConstraint(
                condition=~Q(rule="amount") | Q(minimum_amount__isnull=False),
                name="stamp_amount_rule_has_minimum",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def slots(self) -> int:
        """The squares a member sees: the stamps, then the free one."""
        return self.stamps_needed + 1


class StampProgress(models.Model):
    """A member card's stamps on one stamp card: a cached sum of its stamp lines, written only
    by `loyalty.stamps`, like a card's balance."""

    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="stamp_progress")
    stamp_card = models.ForeignKey(StampCard, on_delete=models.PROTECT, related_name="progress")
    stamps = models.PositiveSmallIntegerField(default=0)
    # When the card in progress got its first stamp: it expires `days_to_complete` later.
    started_at = models.DateTimeField(null=True, blank=True)
    completed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("stamp card progress")
        verbose_name_plural = _("stamp card progress")
        constraints = [
            models.UniqueConstraint(fields=["card", "stamp_card"], name="one_progress_per_card")
        ]

    def __str__(self):
        return f"{self.stamp_card}: {self.stamps}"


class StampKind(models.TextChoices):
    STAMP = "stamp", _("Stamp")
    REVERSAL = "reversal", _("Purchase reversed")
    COMPLETION = "completion", _("Card full, reward issued")
    COMPLETION_UNDONE = "completion_undone", _("Full card undone, voucher cancelled")
    EXPIRY = "expiry", _("Stamps expired")
    FORFEIT = "forfeit", _("Stamps forfeited")


class StampLine(models.Model):
    """One line of the stamp ledger. Append-only, like the points ledger."""

    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="stamp_lines")
    stamp_card = models.ForeignKey(StampCard, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(_("kind"), max_length=20, choices=StampKind.choices)
    stamps = models.SmallIntegerField(_("stamps"))
    stamps_after = models.PositiveSmallIntegerField(_("stamps after"))
    purchase = models.ForeignKey(
        PointTransaction,
        verbose_name=_("purchase"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stamp_lines",
    )
    # For a completion: when the card it filled got its first stamp.
    started_at = models.DateTimeField(null=True, blank=True)
    completion = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="undone_by",
        help_text="For a completion undone: the completion it undoes.",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("stamp line")
        verbose_name_plural = _("stamp ledger")
        constraints = [
            models.UniqueConstraint(
                fields=["purchase", "stamp_card", "kind"],
                condition=Q(kind__in=["stamp", "reversal"]),
                name="stamps_once_per_purchase",
            )
        ]
        indexes = [models.Index(fields=["card", "stamp_card", "-created_at", "-id"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.stamps:+d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Stamp lines are never changed; record a new line instead.")
        super().save(*args, **kwargs)
