"""QR codes and barcodes for cards (and vouchers), as SVG the browser can show safely."""

import base64
import io

import barcode
import segno
from barcode.writer import SVGWriter
from django.utils.safestring import mark_safe


def qr_svg(text: str, *, title: str) -> str:
    """An inline SVG QR code that scales to its container (no style attributes, CSP-safe).

    Always a standard QR Code, never Micro QR (which segno would pick for a card number and
    which phone cameras and most counter scanners cannot read), with the 4-module quiet zone
    the standard asks for, painted white so it scans on a dark page too."""
    svg = segno.make_qr(text, error="m").svg_inline(
        scale=1,
        border=4,
        omitsize=True,
        title=title,
        svgclass="qr-code",
        lineclass="qr-line",
        light="#fff",
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308 - segno's own markup


def barcode_data_uri(text: str) -> str:
    """A Code 128 barcode as an SVG data URI, for an <img> (its inner styles stay inside)."""
    output = io.BytesIO()
    barcode.get("code128", text, writer=SVGWriter()).write(
        output, options={"write_text": False, "module_height": 12.0, "quiet_zone": 4.0}
    )
    return "data:image/svg+xml;base64," + base64.b64encode(output.getvalue()).decode()
