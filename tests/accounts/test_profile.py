import datetime

import pytest
import time_machine
from django.urls import reverse

PROFILE = {
    "first_name": "Maria",
    "last_name": "Reyes",
    "birthday": "1990-03-01",
    "phone": "+358 40 123 4567",
    "language": "fi",
    "marketing_consent": "on",
}


def test_profile_needs_a_login(client, db):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_member_saves_profile_and_sees_it_in_their_language(member_client, member):
    response = member_client.post(reverse("profile"), PROFILE, follow=True)
    member.refresh_from_db()
    assert member.birthday == datetime.date(1990, 3, 1)
    assert member.phone == "+358 40 123 4567"
    assert member.language == "fi"
    assert member.marketing_consent is True
    page = response.content.decode()
    assert '<html lang="fi">' in page
    assert "1.3.1990" in page  # Finnish date format


@time_machine.travel(datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.UTC))
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"birthday": "2026-11-25"}, "Your birthday cannot be in the future."),
        ({"birthday": "1899-12-31"}, "Please enter a birthday after 1900."),
        ({"language": "xx"}, "Select a valid choice. xx is not one of the available choices."),
        ({"phone": "call me maybe"}, "Enter a phone number using digits, spaces and +."),
    ],
)
def test_bad_profile_input_says_why_and_changes_nothing(member_client, member, changes, message):
    response = member_client.post(reverse("profile"), {**PROFILE, **changes})
    assert response.status_code == 200
    assert message in response.content.decode()
    member.refresh_from_db()
    assert member.birthday is None
    assert member.language == "en"


def test_language_switch_is_remembered_in_the_profile(member_client, member):
    response = member_client.post(reverse("set_language"), {"language": "id", "next": "/"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.language == "id"
    # The saved choice wins over the browser's own preference on the next visit.
    page = member_client.get(reverse("portal"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="id">' in page


def test_unknown_language_is_refused_with_a_message(member_client, member):
    response = member_client.post(
        reverse("set_language"), {"language": "klingon", "next": "/"}, follow=True
    )
    assert "That language is not available." in response.content.decode()
    member.refresh_from_db()
    assert member.language == "en"


def test_anonymous_visitor_language_switch_uses_a_cookie(client, db):
    client.post(reverse("set_language"), {"language": "fil", "next": "/"})
    assert '<html lang="fil">' in client.get("/").content.decode()


def test_language_switch_never_redirects_off_site(client, db):
    response = client.post(
        reverse("set_language"), {"language": "fi", "next": "https://evil.example/"}
    )
    assert response.url == "/"
