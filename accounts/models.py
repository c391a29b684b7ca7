from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in with an e-mail address: a member, staff or an owner."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    marketing_consent = models.BooleanField(_("send me news and offers by e-mail"), default=False)
    receipt_emails = models.BooleanField(
        _("e-mail me a summary after each purchase"), default=False
    )
    # When the birthday was last set: a birthday set less than 30 days ahead waits a year.
    birthday_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Retention: when the member was told their inactive account will be erased, and when it was.
    retention_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    erased_at = models.DateTimeField(
        _("personal data erased"), null=True, blank=True, editable=False
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [
            # The staff among every member, for the admin's "assigned to" and "served by"
            # filters: a few rows of an index instead of reading every member.
            models.Index(fields=["email"], condition=Q(is_staff=True), name="user_staff_by_email")
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    @property
    def display_name(self):
        return self.first_name or self.email.split("@")[0]


class ConsentSource(models.TextChoices):
    SIGNUP = "signup", _("Sign-up form")
    PROFILE = "profile", _("Member's profile")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link in an e-mail")
    SHOP = "shop", _("Changed in the shop by staff")
    IMPORT = "import", _("Imported from a previous system")
    ERASURE = "erasure", _("Account erased")


class ConsentChange(models.Model):
    """One change of a member's consent to a mailing list: what, when and where. Written by
    `accounts.consent.record`, never edited; the member's current choice is on `User`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="consent_changes",
    )
    mailing_list = models.CharField(_("e-mails"), max_length=20)
    given = models.BooleanField(_("agreed"))
    source = models.CharField(_("where"), max_length=12, choices=ConsentSource.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        verbose_name = _("consent change")
        verbose_name_plural = _("consent history")

    def __str__(self):
        return f"{self.mailing_list}: {'yes' if self.given else 'no'}"
