"""QR codes and barcodes for cards (and vouchers), as SVG the browser can show safely."""

import base64
import io

import barcode
import segno
from barcode.writer import SVGWriter
from django.utils.safestring import mark_safe


def qr_svg(text: str, *, title: str) -> str:
    """An inline SVG QR code that scales to its container (no style attributes, CSP-safe)."""
    svg = segno.make(text, error="m").svg_inline(
        scale=1, border=2, omitsize=True, title=title, svgclass="qr-code", lineclass="qr-line"
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308 - segno's own markup


def barcode_data_uri(text: str) -> str:
    """A Code 128 barcode as an SVG data URI, for an <img> (its inner styles stay inside)."""
    output = io.BytesIO()
    barcode.get("code128", text, writer=SVGWriter()).write(
        output, options={"write_text": False, "module_height": 12.0, "quiet_zone": 4.0}
    )
    return "data:image/svg+xml;base64," + base64.b64encode(output.getvalue()).decode()
