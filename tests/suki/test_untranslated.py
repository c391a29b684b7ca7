"""Every member page, rendered in each language, shows no sentence of the project's catalog
left in English: a text that went through gettext before the member's language was active,
or one a template prints from a constant instead of translating it."""

import html
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from loyalty import services
from rewards import services as reward_services
from surveys import services as survey_services
from surveys.models import ComplaintCategory, ComplaintChannel, RemedySought
from tests.rewards.factories import RewardFactory, top_up
from tests.surveys.factories import make_visit_survey

LOCALE = Path(__file__).resolve().parents[2] / "locale"
LANGUAGES = ["fil", "fi", "id"]
ENTRY = re.compile(r'^msgid "(?P<msgid>[^"]+)"\nmsgstr "(?P<msgstr>[^"]+)"$', re.M)
TAGS = re.compile(r"<[^>]+>")


def english_sentences(language: str) -> list[str]:
    """The catalog's sentences that this language translates into other words: single-line,
    with no placeholder, at least three words (a short word alone may be the same in both)."""
    catalog = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text()
    found = []
    for entry in ENTRY.finditer(catalog):
        msgid, msgstr = entry["msgid"], entry["msgstr"]
        if "%" in msgid or "{" in msgid or msgid.count(" ") < 2 or msgid == msgstr:
            continue
        found.append(msgid)
    return found


def text_of(page: str) -> str:
    body = page.split("<body", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(TAGS.sub(" ", body)).split())


@pytest.fixture
def busy_member(member, card, staff, tiers):
    """A member with a purchase, a voucher, a survey invitation and a complaint: every part
    of the member pages has something to show."""
    make_visit_survey()
    services.record_purchase(card, Decimal("12.50"), reference="R-1", staff=staff)
    top_up(card, 100)
    voucher = reward_services.redeem(card, RewardFactory(points_cost=20))
    complaint = survey_services.file_complaint(
        user=member,
        name="Maria Reyes",
        email=member.email,
        category=ComplaintCategory.SERVICE,
        description="Waited long.",
        remedy_sought=RemedySought.APOLOGY,
        channel=ComplaintChannel.PORTAL,
    )
    return {"voucher": voucher.code, "complaint": complaint.reference}


MEMBER_PAGES = [
    ("portal", {}),
    ("history", {}),
    ("rewards", {}),
    ("vouchers", {}),
    ("voucher", {"code": "voucher"}),
    ("invite", {}),
    ("surveys", {}),
    ("complaints", {}),
    ("complaint", {"reference": "complaint"}),
    ("complaint_new", {}),
    ("profile", {}),
    ("my_data", {}),
    ("delete_account", {}),
    ("help", {}),
    ("testimonial", {}),
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_member_page_shows_a_catalog_sentence_in_english(
    member_client, member, busy_member, language
):
    member.language = language
    member.save()
    sentences = english_sentences(language)
    assert len(sentences) > 300  # the catalog was read
    left = {}
    for name, kwargs in MEMBER_PAGES:
        url = reverse(name, kwargs={key: busy_member[value] for key, value in kwargs.items()})
        response = member_client.get(url)
        assert response.status_code == 200, url
        text = text_of(response.content.decode())
        english = [sentence for sentence in sentences if sentence in text]
        if english:
            left[url] = english
    assert left == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_public_page_shows_a_catalog_sentence_in_english(client, language, tiers):
    sentences = english_sentences(language)
    left = {}
    for name in ["home", "help", "account_login", "account_signup", "contact"]:
        with translation.override(language):
            response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE=language)
        text = text_of(response.content.decode())
        assert f'lang="{language}"' in response.content.decode(), name
        english = [sentence for sentence in sentences if sentence in text]
        if english:
            left[name] = english
    assert left == {}
