from allauth.core import context as allauth_context
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User

REFERRAL_SESSION_KEY = "referral_code"


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form: the member's name."""

    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)

    invitation_code = forms.CharField(
        label=_("Invitation code (optional)"),
        max_length=12,
        required=False,
        help_text=_("From a friend who is a member: you both earn points."),
    )

    field_order = ["first_name", "last_name", "email", "password1", "password2", "invitation_code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A visitor who came through a friend's link (/join/<code>/) sees that friend's code.
        request = allauth_context.request
        if request is not None and hasattr(request, "session"):
            self.fields["invitation_code"].initial = request.session.get(REFERRAL_SESSION_KEY, "")

    def signup(self, request, user):
        code = self.cleaned_data.get("invitation_code", "").strip().upper()
        if code:
            # Read by the loyalty app when it welcomes the new member; a link's code is
            # already in the session.
            request.session[REFERRAL_SESSION_KEY] = code
        user.first_name = self.cleaned_data["first_name"]
        user.last_name = self.cleaned_data["last_name"]
        user.language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
        user.save(update_fields=["first_name", "last_name", "language"])


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "birthday",
            "phone",
            "language",
            "marketing_consent",
            "receipt_emails",
        ]
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        # The project's own labels: Django's "first name" has no Filipino translation, these
        # go through the project's catalog (the same words as on the sign-up form).
        labels = {"first_name": _("First name"), "last_name": _("Last name")}
        help_texts = {
            "birthday": _("Optional. We add a birthday bonus to your card."),
            "phone": _("Optional. Staff can find your card by it."),
        }

    def clean_birthday(self):
        birthday = self.cleaned_data["birthday"]
        if birthday is None:
            return None
        if birthday > timezone.localdate():
            raise forms.ValidationError(_("Your birthday cannot be in the future."))
        if birthday.year < 1900:
            raise forms.ValidationError(_("Please enter a birthday after 1900."))
        return birthday

    def save(self, commit=True):
        if "birthday" in self.changed_data:
            self.instance.birthday_changed_at = timezone.now()
        return super().save(commit)

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        allowed = set("0123456789+ -()")
        if phone and (set(phone) - allowed or sum(c.isdigit() for c in phone) < 5):
            raise forms.ValidationError(_("Enter a phone number using digits, spaces and +."))
        return phone
