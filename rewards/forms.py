from django import forms
from django.utils.translation import gettext_lazy as _

from core.images import CheckedImageField, checked_image
from rewards.models import MAX_QUANTITY, Reward, RewardKind


class RewardAdminForm(forms.ModelForm):
    class Meta:
        model = Reward
        fields = [
            "name",
            "description",
            "image",
            "kind",
            "points_cost",
            "stock",
            "available_from",
            "available_until",
            "per_member_limit",
            "minimum_tier",
            "valid_days",
            "is_active",
            "display_order",
        ]
        field_classes = {"image": CheckedImageField}

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and hasattr(image, "content_type"):  # a new upload, not the stored file
            return checked_image(image)
        return image


class CatalogFilterForm(forms.Form):
    can_redeem = forms.BooleanField(label=_("I can redeem now"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *RewardKind.choices]
    )


class RedeemForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, initial=1
    )


class VoucherLookupForm(forms.Form):
    code = forms.CharField(
        label=_("Voucher code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )


class PayWithPointsForm(forms.Form):
    points = forms.TypedChoiceField(label=_("Points to use"), coerce=int)
    reference = forms.CharField(label=_("Receipt number"), max_length=64)

    def __init__(self, *args, steps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["points"].choices = steps


class StockForm(forms.Form):
    ADD = "add"
    SET = "set"
    UNLIMITED = "unlimited"

    change = forms.ChoiceField(
        label=_("Change"),
        choices=[
            (ADD, _("Add units (a negative number takes units off)")),
            (SET, _("Set the stock to a counted number")),
            (UNLIMITED, _("Make the stock unlimited")),
        ],
        initial=ADD,
        widget=forms.RadioSelect,
    )
    units = forms.IntegerField(
        label=_("Units"), required=False, min_value=-1_000_000, max_value=1_000_000
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("change") in {self.ADD, self.SET} and cleaned.get("units") is None:
            self.add_error("units", _("Enter a number of units."))
        return cleaned
