"""Keyboard focus is visible on every button and link: the member pages' brown buttons and nav
links, and the admin's counter, with a ring that stands out on white and on the brown bar."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

STATIC = Path(settings.BASE_DIR) / "static" / "css"
BRAND = "#7a3b12"  # the bar, the brown buttons and the member card
WHITE = "#ffffff"


def declarations(stylesheet: str, selector: str) -> dict[str, str]:
    """What the last rules naming `selector` set, later rules winning, as a browser reads them."""
    text = re.sub(r"/\*.*?\*/", "", (STATIC / stylesheet).read_text(), flags=re.S)
    found = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        if selector in {name.strip() for name in selectors.split(",")}:
            for declaration in filter(str.strip, body.split(";")):
                name, value = declaration.split(":", 1)
                found[name.strip()] = value.strip()
    return found


def luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    channels = [int(digits[index : index + 2], 16) / 255 for index in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted([luminance(one), luminance(other)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def assert_visible_ring(stylesheet: str, selector: str, *, dark_background: str):
    rule = declarations(stylesheet, selector)
    width, style, ring = rule["outline"].split()
    assert float(width.removesuffix("px")) >= 2, selector
    assert style == "solid", selector
    assert contrast(ring, WHITE) >= 3, selector  # on a white page
    gap = rule["box-shadow"].split()[-1]
    assert contrast(gap, dark_background) >= 3, selector  # on the brown bar or blue header


@pytest.mark.parametrize(
    "selector",
    [
        ".btn-suki:focus-visible",
        ".btn:focus-visible",
        ".nav-link:focus-visible",
        "a:focus-visible",
        "button:focus-visible",
        ".form-control:focus-visible",
    ],
)
def test_member_pages_show_a_focus_ring_on_buttons_links_and_fields(selector):
    assert_visible_ring("suki.css", selector, dark_background=BRAND)


@pytest.mark.parametrize(
    "selector",
    [".button:focus-visible", "a:focus-visible", "button:focus-visible", "input:focus-visible"],
)
def test_the_counter_shows_a_focus_ring_on_buttons_and_links(selector):
    assert_visible_ring("admin.css", selector, dark_background="#417690")  # the admin header


def test_the_house_styles_come_after_bootstraps_so_their_focus_ring_wins(client, db):
    # Bootstrap's ".btn:focus-visible { outline: 0 }" is as specific as ours: order decides.
    page = client.get(reverse("account_login")).content.decode()
    assert page.index("bootstrap/css/bootstrap.min.css") < page.index("css/suki.css")
