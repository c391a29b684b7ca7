"""QR codes and barcodes for cards (and vouchers), as SVG the browser can show safely."""

import base64
import functools
import io

import barcode
import segno
from barcode.writer import SVGWriter
from django.utils.safestring import mark_safe


def qr_svg(text: str, *, title: str) -> str:
    """An inline SVG QR code that scales to its container (no style attributes, CSP-safe).

    Always a standard QR Code, never Micro QR (which segno would pick for a card number and
    which phone cameras and most counter scanners cannot read), with the 4-module quiet zone
    the standard asks for, painted white so it scans on a dark page too.

    The same text and title always make the same picture, and building one is a fifth of the
    member home's time: each process keeps the most recent ones (a card's number never
    changes; a replaced card has a new number, so a new picture)."""
    return mark_safe(_qr_svg(str(text), str(title)))  # noqa: S308 - segno's own markup


@functools.lru_cache(maxsize=1024)
def _qr_svg(text: str, title: str) -> str:
    svg = segno.make_qr(text, error="m").svg_inline(
        scale=1,
        border=4,
        omitsize=True,
        title=title,
        svgclass="qr-code",
        lineclass="qr-line",
        light="#fff",
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


@functools.lru_cache(maxsize=256)
def barcode_data_uri(text: str) -> str:
    """A Code 128 barcode as an SVG data URI, for an <img> (its inner styles stay inside)."""
    output = io.BytesIO()
    barcode.get("code128", text, writer=SVGWriter()).write(
        output, options={"write_text": False, "module_height": 12.0, "quiet_zone": 4.0}
    )
    return "data:image/svg+xml;base64," + base64.b64encode(output.getvalue()).decode()
