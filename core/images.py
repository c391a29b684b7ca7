"""Uploaded pictures: verified with Pillow, size-limited, shrunk and stored as WebP."""

import io

from django import forms
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# A few kilobytes of PNG or WebP can claim billions of pixels; decoding one takes four
# bytes a pixel, so the pixel count is read from the header and checked before any decoding.
MAX_IMAGE_PIXELS = 40_000_000
CATALOG_IMAGE_SIZE = (800, 800)

# Pillow's own guard, for any code that opens an image without asking us first: it warns
# above this and refuses at twice this.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

TOO_MANY_PIXELS = _("The image has too many pixels. Please choose a smaller one.")


def check_pixel_count(upload) -> None:
    """Refuse an image whose header claims more than MAX_IMAGE_PIXELS, decoding nothing.

    A file Pillow does not recognise passes here; the image checks after this one refuse it."""
    try:
        upload.seek(0)
        with Image.open(upload) as image:  # reads the header only
            width, height = image.size
    except Image.DecompressionBombError as error:
        raise forms.ValidationError(TOO_MANY_PIXELS, code="too_many_pixels") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return
    finally:
        upload.seek(0)
    if width * height > MAX_IMAGE_PIXELS:
        raise forms.ValidationError(TOO_MANY_PIXELS, code="too_many_pixels")


class CheckedImageField(forms.ImageField):
    """Django's ImageField, but an image with too many pixels is refused first, plainly."""

    def to_python(self, data):
        if data not in self.empty_values and hasattr(data, "seek"):
            check_pixel_count(data)
        return super().to_python(data)


def checked_image(upload):
    """A verified, size-limited image, shrunk to catalog size and saved as WebP.

    Raises ValidationError with a message a person understands for anything else."""
    if upload.size > MAX_IMAGE_BYTES:
        raise forms.ValidationError(
            _("The image is larger than 5 MB. Please choose a smaller one.")
        )
    check_pixel_count(upload)
    try:
        upload.seek(0)
        Image.open(upload).verify()
        upload.seek(0)
        image = Image.open(upload)
        image.draft("RGB", CATALOG_IMAGE_SIZE)  # a JPEG is decoded at a fraction of its size
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise forms.ValidationError(
            _("This file is not an image we can use. Upload a JPEG, PNG or WebP.")
        ) from error
    image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    image.thumbnail(CATALOG_IMAGE_SIZE)
    output = io.BytesIO()
    image.save(output, format="WEBP", quality=82)
    name = upload.name.rsplit(".", 1)[0] + ".webp"
    return InMemoryUploadedFile(output, "image", name, "image/webp", output.tell(), None)
