"""The complaint forms (public and member), the customer's reply and rating of a case."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.images import CheckedImageField, checked_image
from surveys.forms.surveys import rating_field
from surveys.models import ComplaintCategory, RemedySought

# The trap field for bots is checked by the form, never filed with the case.
NOT_FILED = {"website"}


class ComplaintForm(forms.Form):
    """What a member or a visitor tells us when something went wrong."""

    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    phone = forms.CharField(label=_("Phone (optional)"), max_length=32, required=False)
    category = forms.ChoiceField(label=_("What is it about?"), choices=ComplaintCategory.choices)
    description = forms.CharField(
        label=_("What happened?"),
        max_length=4000,
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    remedy_sought = forms.ChoiceField(
        label=_("What would you like us to do?"),
        choices=RemedySought.choices,
        widget=forms.RadioSelect,
    )
    receipt_number = forms.CharField(
        label=_("Receipt number (optional)"), max_length=64, required=False
    )
    photo = CheckedImageField(label=_("Photo (optional)"), required=False)
    # Left empty by people; bots fill every field. Hidden from sight and from screen readers.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        return checked_image(photo) if photo else None

    def clean_website(self):
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("Leave this field empty."))
        return ""

    def complaint_fields(self) -> dict:
        """What the customer told us, as keyword arguments of `services.file_complaint`."""
        return {name: self.cleaned_data[name] for name in self.fields if name not in NOT_FILED}


class MemberComplaintForm(ComplaintForm):
    """The portal form: name and e-mail come from the member's account."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["name"]
        del self.fields["email"]


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )


class RatingForm(forms.Form):
    rating = rating_field(
        _("How well did we handle your case?"),
        error_messages={
            "required": _("Choose a rating from 1 to 5."),
            "invalid_choice": _("Choose a rating from 1 to 5."),
        },
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
