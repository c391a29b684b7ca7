"""Uploaded pictures: verified with Pillow, size-limited, shrunk and stored as WebP."""

import io

from django import forms
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 5 * 1024 * 1024
CATALOG_IMAGE_SIZE = (800, 800)


def checked_image(upload):
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
