import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale"


@pytest.mark.parametrize("language", ["fil", "fi", "id"])
def test_every_string_of_the_catalog_is_translated(language):
    catalog = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text()
    entries = catalog.split("\n\n")[1:]  # the first entry is the header
    # An empty msgstr with no continuation line after it is an untranslated string.
    untranslated = [
        entry
        for entry in entries
        if not entry.startswith("#~") and re.search(r'^msgstr(\[\d\])? ""(\n(?!")|\Z)', entry, re.M)
    ]
    fuzzy = [entry for entry in entries if "#, fuzzy" in entry]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize(
    ("language", "words"),
    [("fi", "Palkinnot"), ("id", "Hadiah"), ("fil", "Mga reward")],
)
def test_member_pages_speak_the_members_language(member_client, member, card, language, words):
    member.language = language
    member.save()
    page = member_client.get(reverse("portal")).content.decode()
    assert f'<html lang="{language}">' in page
    assert words in page
    with translation.override(language):
        assert translation.gettext("Rewards") == words
