from django import forms
from django.utils.translation import gettext_lazy as _

from core.inputs import only_digits
from loyalty import selectors


class ClaimCardForm(forms.Form):
    number = forms.CharField(
        label=_("Card number"),
        max_length=20,
        help_text=_("The 12 digits on your card."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    pin = forms.CharField(
        label=_("PIN"),
        max_length=6,
        min_length=6,
        help_text=_("The 6-digit PIN printed on the card."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_pin(self):
        pin = self.cleaned_data["pin"].strip()
        if not only_digits(pin):
            raise forms.ValidationError(_("The PIN is 6 digits."))
        return pin


class CardLookupForm(forms.Form):
    query = forms.CharField(
        label=_("Card number, name, e-mail or phone"),
        max_length=100,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "off", "enterkeyhint": "search"}
        ),
    )

    def clean_query(self):
        # Too short to search: say so rather than "no card".
        query = self.cleaned_data["query"]
        if len(query) < selectors.SEARCH_MIN_LENGTH:
            raise forms.ValidationError(_("Type at least two letters or digits."))
        return query


class PurchaseForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reference = forms.CharField(
        label=_("Receipt number"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    # Checked by `loyalty.stamps.clean_items`, so the counter and the API say the same.
    items = forms.CharField(label=_("Items"), max_length=4, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=200, error_messages={"required": _("Give a reason.")}
    )


class EnrolForm(forms.Form):
    holder_name = forms.CharField(label=_("Name (optional)"), max_length=150, required=False)
    holder_email = forms.EmailField(label=_("E-mail (optional)"), required=False)


class AdjustmentForm(forms.Form):
    points = forms.IntegerField(
        label=_("Points"),
        help_text=_("Negative to take points off."),
        min_value=-1_000_000,
        max_value=1_000_000,
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean_points(self):
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError(_("Enter a number of points other than zero."))
        return points


class WeekdaysField(forms.TypedMultipleChoiceField):
    """Weekday checkboxes for a bonus day, stored as a list of numbers (Monday = 0)."""

    def __init__(self, **kwargs):
        from loyalty.models import BonusDay

        kwargs.setdefault("choices", BonusDay.WEEKDAYS)
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(coerce=int, **kwargs)

    def prepare_value(self, value):
        return [str(day) for day in value] if isinstance(value, list) else value


class MemberImportForm(forms.Form):
    file = forms.FileField(
        label=_("Member file"),
        help_text=_("CSV (UTF-8) or Excel workbook (.xlsx), at most 5 MB and 5,000 members."),
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        from loyalty.imports import MAX_BYTES

        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB. Split it into smaller files.")
                % {"size": MAX_BYTES // (1024 * 1024)}
            )
        return upload


class ConfirmImportForm(forms.Form):
    upload = forms.CharField(widget=forms.HiddenInput, max_length=1000)
