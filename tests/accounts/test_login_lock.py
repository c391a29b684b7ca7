"""Wrong passwords count against the account, however its address is typed: a capitalised
address, a look-alike spelling (ſ, the long s, which the admin's form folds to s) or a second
address of the account get no fresh allowance of guesses."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from tests.factories import PASSWORD

LONG_S = "\u017ftaff@example.com"  # ſtaff@example.com


def admin_login(client, username, password):
    return client.post(reverse("admin:login"), {"username": username, "password": password})


def member_login(client, login, password):
    return client.post(reverse("account_login"), {"login": login, "password": password})


def test_look_alike_and_capitalised_spellings_share_the_admin_allowance(client, staff):
    for username in [LONG_S, LONG_S, LONG_S, "STAFF@example.com", "Staff@Example.com"]:
        admin_login(client, username, "wrong")

    response = admin_login(client, "staff@example.com", PASSWORD)

    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_look_alike_spelling_is_locked_out_once_the_real_address_is(client, staff):
    for _ in range(5):
        admin_login(client, "staff@example.com", "wrong")

    response = admin_login(client, LONG_S, PASSWORD)

    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated


def test_an_unknown_address_is_locked_out_however_it_is_spelled(client, db):
    for username in ["nobody@example.com", "NOBODY@example.com", "nobody@ｅxample.com"] * 2:
        response = admin_login(client, username, "wrong")

    assert response.status_code == 429


def test_look_alike_spelling_never_logs_in_at_the_member_login(client, staff):
    # The member log-in matches the address as typed (lower-cased), without folding ſ to s.
    response = member_login(client, LONG_S, PASSWORD)

    assert not response.wsgi_request.user.is_authenticated
    assert not client.get(reverse("account_login")).wsgi_request.user.is_authenticated


def test_wrong_guesses_at_the_member_login_count_against_the_account_for_every_address(
    client, member
):
    EmailAddress.objects.create(user=member, email="maria@example.com", verified=True)
    for login in ["maria@example.com", "maria@example.com", "MEMBER@example.com"]:
        member_login(client, login, "wrong")
    member_login(client, "member@example.com", "wrong")
    member_login(client, "Maria@Example.com", "wrong")

    response = member_login(client, "member@example.com", PASSWORD)

    assert not response.wsgi_request.user.is_authenticated
    assert "Too many failed login attempts" in response.content.decode()


@pytest.mark.parametrize("login", [LONG_S, "STAFF@example.com"])
def test_admin_and_member_login_share_one_allowance(client, staff, login):
    for _ in range(5):
        member_login(client, login, "wrong")

    response = admin_login(client, "staff@example.com", PASSWORD)

    assert response.status_code == 429
