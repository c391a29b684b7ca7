import io

from django import forms
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from rewards.models import Reward, RewardKind

MAX_IMAGE_BYTES = 5 * 1024 * 1024
CATALOG_IMAGE_SIZE = (800, 800)


def catalog_image(upload):
    """A verified, size-limited image, shrunk to catalog size and saved as WebP.

    Raises ValidationError with a message a person understands for anything else."""
    if upload.size > MAX_IMAGE_BYTES:
        raise forms.ValidationError(
            _("The image is larger than 5 MB. Please choose a smaller one.")
        )
    try:
        upload.seek(0)
        Image.open(upload).verify()
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise forms.ValidationError(
            _("This file is not an image we can use. Upload a JPEG, PNG or WebP.")
        ) from error
    if image.width * image.height > 40_000_000:
        raise forms.ValidationError(
            _("The image has too many pixels. Please choose a smaller one.")
        )
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    image.thumbnail(CATALOG_IMAGE_SIZE)
    output = io.BytesIO()
    image.save(output, format="WEBP", quality=82)
    name = upload.name.rsplit(".", 1)[0] + ".webp"
    return InMemoryUploadedFile(output, "image", name, "image/webp", output.tell(), None)


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

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and hasattr(image, "content_type"):  # a new upload, not the stored file
            return catalog_image(image)
        return image


class CatalogFilterForm(forms.Form):
    can_redeem = forms.BooleanField(label=_("I can redeem now"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *RewardKind.choices]
    )


class RedeemForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=10, initial=1)


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
