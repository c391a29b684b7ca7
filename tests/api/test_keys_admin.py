"""Owners make, see and revoke till keys in the admin; staff never see them."""

from django.contrib.messages import get_messages

from loyalty.models import Scope, TillKey

from .conftest import make_key


def test_an_owner_makes_a_key_and_sees_it_once(owner_client, branch):
    response = owner_client.post(
        "/admin/loyalty/tillkey/add/",
        {
            "name": "Front till",
            "store": branch.pk,
            "scopes": [Scope.CARDS_READ, Scope.PURCHASES],
            "requests_per_minute": 120,
        },
    )

    assert response.status_code == 302
    key = TillKey.objects.get(name="Front till")
    assert key.scopes == ["cards:read", "purchases:write"]
    (message,) = [str(m) for m in get_messages(response.wsgi_request) if "API key" in str(m)]
    text = message.split("is: ")[1].split(". ")[0]
    assert TillKey.objects.get_from_key(text) == key


def test_an_owner_sees_the_keys_and_revokes_one(owner_client, branch):
    key, _text = make_key(branch, name="Back till")

    listing = owner_client.get("/admin/loyalty/tillkey/").content.decode()
    assert "Back till" in listing
    owner_client.post(
        "/admin/loyalty/tillkey/",
        {"action": "revoke", "_selected_action": [key.pk]},
    )

    key.refresh_from_db()
    assert key.revoked


def test_staff_cannot_see_till_keys(staff_client, branch):
    make_key(branch)
    assert staff_client.get("/admin/loyalty/tillkey/").status_code == 403
