"""Every code Suki shows scans with a real decoder: standard QR Codes (never Micro QR) with a
4-module quiet zone, and the printed card's Code 128 barcode."""

import base64
import datetime
import html
import io
import re
from decimal import Decimal
from pathlib import Path

import cairosvg
import pytest
import time_machine
import zxingcpp
from django.conf import settings
from django.urls import reverse
from PIL import Image

from loyalty import services as loyalty_services
from rewards import services as reward_services
from surveys import services as survey_services
from surveys.models import Audience
from tests.rewards.factories import RewardFactory, top_up
from tests.surveys.factories import SurveyFactory

PIXELS_PER_MODULE = 10
QR_CODE = re.compile(r'<svg role="img" viewBox="0 0 (\d+) \1" class="qr-code">.*?</svg>', re.S)
NOON = datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.UTC)


def rasterised(svg: str, *, scale: float) -> Image.Image:
    """The SVG as a person's screen or printer shows it: on white, `scale` pixels per unit."""
    if "xmlns=" not in svg:  # inline SVG in HTML needs no namespace; a stand-alone file does
        svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    png = cairosvg.svg2png(bytestring=svg.encode(), scale=scale, background_color="white")
    return Image.open(io.BytesIO(png)).convert("L")


def scanned_qr_code(page: str):
    """The one QR code on the page, read by zxing-cpp, and its size in modules."""
    codes = QR_CODE.findall(page)
    assert len(codes) == 1, "expected exactly one QR code on the page"
    svg = QR_CODE.search(page).group(0)
    found = zxingcpp.read_barcodes(rasterised(svg, scale=PIXELS_PER_MODULE))
    assert len(found) == 1, "the QR code does not scan"
    return found[0], int(codes[0])


def assert_scans_as_qr_code(page: str, expected: str) -> None:
    code, size = scanned_qr_code(page)
    assert code.format == zxingcpp.BarcodeFormat.QRCode  # not MicroQRCode
    assert code.text == expected
    # The symbol starts 4 modules in from every edge: the quiet zone the standard asks for.
    corner = code.position.top_left
    assert (round(corner.x / PIXELS_PER_MODULE), round(corner.y / PIXELS_PER_MODULE)) == (4, 4)
    bottom_right = code.position.bottom_right
    assert round(bottom_right.x / PIXELS_PER_MODULE) == size - 4


def test_member_card_on_the_member_home_scans_as_the_card_number(member_client, card):
    page = member_client.get(reverse("portal")).content.decode()

    assert_scans_as_qr_code(page, card.number)


def test_voucher_page_code_scans_as_the_voucher_code(member_client, card):
    redemption = reward_services.redeem(top_up(card, 250), RewardFactory(points_cost=120))

    page = member_client.get(reverse("voucher", args=[redemption.code])).content.decode()

    assert_scans_as_qr_code(page, redemption.code)


def test_printed_card_qr_code_scans_as_the_card_number(staff_client, card):
    page = staff_client.get(reverse("admin:counter_print", args=[card.pk])).content.decode()

    assert_scans_as_qr_code(page, card.number)


def test_printed_card_barcode_scans_as_code_128_of_the_card_number(staff_client, card):
    page = staff_client.get(reverse("admin:counter_print", args=[card.pk])).content.decode()

    source = re.search(r'<img class="barcode" src="data:image/svg\+xml;base64,([^"]+)"', page)
    svg = base64.b64decode(html.unescape(source.group(1))).decode()
    found = zxingcpp.read_barcodes(rasterised(svg, scale=8))
    assert [(code.format, code.text) for code in found] == [
        (zxingcpp.BarcodeFormat.Code128, card.number)
    ]


def test_survey_poster_code_scans_as_the_public_survey_link(owner_client, db):
    survey = SurveyFactory(title="Our coffee", audience=Audience.PUBLIC)

    page = owner_client.get(reverse("admin:surveys_survey_poster", args=[survey.pk]))

    url = f"http://testserver{reverse('public_survey', args=[survey.public_token])}"
    assert_scans_as_qr_code(page.content.decode(), url)


@time_machine.travel(NOON, tick=False)
def test_receipt_slip_code_scans_as_the_visit_survey_link(staff_client, card, staff):
    SurveyFactory(is_post_visit=True)
    purchase = loyalty_services.record_purchase(
        card, Decimal("4.20"), reference="R-9", staff=staff
    ).line

    page = staff_client.get(reverse("admin:counter_slip", args=[purchase.pk]))

    token = survey_services.visit_token(purchase)
    url = f"http://testserver{reverse('visit_survey', args=[token])}"
    assert_scans_as_qr_code(page.content.decode(), url)


def css_rule(path: Path, selector: str) -> dict[str, str]:
    match = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", path.read_text())
    assert match, f"no rule for {selector}"
    pairs = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
    return {name.strip(): value.strip() for name, value in pairs}


def rem_in_pixels(value: str) -> float:
    assert value.endswith("rem"), value
    return float(value.removesuffix("rem")) * 16


@pytest.mark.parametrize("selector", [".member-card .qr", ".voucher-qr"])
def test_codes_on_a_phone_screen_are_at_least_200_pixels_wide(selector):
    rule = css_rule(Path(settings.BASE_DIR) / "static/css/suki.css", selector)

    inside = rem_in_pixels(rule["min-width"]) - 2 * rem_in_pixels(rule["padding"])
    assert inside >= 200
