"""Every endpoint refuses a request without a usable key or without its scope, and treats a
key of another branch as the shop's rules say: members, cards and vouchers are shop-wide,
sales belong to the key's branch."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from loyalty.models import Kind, PointTransaction, Scope, TillKey
from rewards.models import RedemptionStatus

from .conftest import make_key

# name, method, address, scope, body
ENDPOINTS = [
    ("lookup", "get", "/api/v1/members/lookup?card={card}", Scope.CARDS_READ, None),
    ("card", "get", "/api/v1/cards/{card}/", Scope.CARDS_READ, None),
    (
        "purchase",
        "post",
        "/api/v1/cards/{card}/purchases",
        Scope.PURCHASES,
        {"amount": "10.00", "receipt": "T-1"},
    ),
    ("reversal", "post", "/api/v1/purchases/{line}/reversal", Scope.PURCHASES, {"reason": "x"}),
    ("quote", "post", "/api/v1/cards/{card}/payments/quote", Scope.POINTS, {"points": 100}),
    (
        "payment",
        "post",
        "/api/v1/cards/{card}/payments",
        Scope.POINTS,
        {"points": 100, "receipt": "T-2"},
    ),
    ("voucher", "get", "/api/v1/vouchers/{voucher}", Scope.VOUCHERS, None),
    ("fulfilment", "post", "/api/v1/vouchers/{voucher}/fulfilment", Scope.VOUCHERS, None),
    ("enrol", "post", "/api/v1/members", Scope.MEMBERS, {"name": "Walk In"}),
]
WRITES = {"purchase", "reversal", "payment", "fulfilment", "enrol"}


@pytest.fixture
def world(funded_card, voucher, purchase_line):
    return {"card": funded_card.number, "voucher": voucher.code, "line": purchase_line.pk}


def call(till, endpoint, world):
    _name, method, address, _scope, body = endpoint
    path = address.format(**world)
    return till.get(path) if method == "get" else till.post(path, body)


def is_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_a_request_without_a_key_is_refused(endpoint, world, keyless):
    body = is_problem(call(keyless, endpoint, world), 401)
    assert body["status"] == 401


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_a_revoked_key_is_refused(endpoint, world, client, branch, till_for):
    key, text = make_key(branch)
    key.revoked = True
    key.save()
    from .conftest import Till

    body = is_problem(call(Till(client, text), endpoint, world), 401)
    assert "revoked" in body["detail"]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_a_key_without_the_scope_is_refused_naming_the_scope(
    endpoint, world, client, branch, till_for
):
    scope = endpoint[3]
    others = [other for other in Scope.values if other != scope]
    before = PointTransaction.objects.count()

    body = is_problem(call(till_for(client, branch, scopes=others), endpoint, world), 403)

    assert f"“{scope}”" in body["detail"]
    assert PointTransaction.objects.count() == before


@pytest.mark.parametrize(
    "endpoint", [e for e in ENDPOINTS if e[0] not in WRITES], ids=lambda e: e[0]
)
def test_a_key_of_another_branch_reads_cards_and_vouchers_of_the_whole_shop(
    endpoint, world, client, other_branch, till_for
):
    assert call(till_for(client, other_branch), endpoint, world).status_code == 200


def test_a_key_of_another_branch_records_purchases_in_its_own_branch(
    world, client, other_branch, till_for
):
    till = till_for(client, other_branch)
    response = till.post(
        f"/api/v1/cards/{world['card']}/purchases", {"amount": "10.00", "receipt": "R-100"}
    )

    # R-100 is already a purchase of the main branch on this card: another branch's R-100 is
    # another receipt.
    assert response.status_code == 201
    assert response.json()["line"]["branch"] == "Harbour"
    assert PointTransaction.objects.filter(kind=Kind.PURCHASE, reference="R-100").count() == 2


def test_a_key_of_another_branch_cannot_reverse_this_branch_purchase(
    world, client, other_branch, till_for
):
    till = till_for(client, other_branch)

    response = till.post(f"/api/v1/purchases/{world['line']}/reversal", {"reason": "x"})
    body = is_problem(response, 404)

    assert body["detail"] == "This branch recorded no purchase with that id."
    assert not PointTransaction.objects.filter(kind=Kind.PURCHASE_REVERSAL).exists()


def test_a_key_of_another_branch_pays_with_points_in_its_own_branch(
    world, client, other_branch, till_for
):
    till = till_for(client, other_branch)
    response = till.post(
        f"/api/v1/cards/{world['card']}/payments", {"points": 100, "receipt": "P-1"}
    )

    assert response.status_code == 201
    assert response.json()["line"]["branch"] == "Harbour"


def test_a_key_of_another_branch_uses_vouchers_of_the_whole_shop_in_its_branch(
    world, voucher, client, other_branch, till_for
):
    till = till_for(client, other_branch)

    assert till.post(f"/api/v1/vouchers/{world['voucher']}/fulfilment").status_code == 200

    voucher.refresh_from_db()
    assert voucher.status == RedemptionStatus.FULFILLED
    assert voucher.fulfilled_store == other_branch


def test_a_key_of_another_branch_enrols_members_of_the_whole_shop(client, other_branch, till_for):
    till = till_for(client, other_branch)
    assert till.post("/api/v1/members", {"name": "Walk In"}).status_code == 201


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e[0] in WRITES], ids=lambda e: e[0])
def test_a_closed_branch_key_writes_nothing(endpoint, world, client, other_branch, till_for):
    till = till_for(client, other_branch)
    other_branch.is_open = False
    other_branch.save()
    before = PointTransaction.objects.count()

    body = is_problem(call(till, endpoint, world), 409)

    assert body["detail"] == "Harbour is closed and records nothing new."
    assert PointTransaction.objects.count() == before


def test_a_closed_branch_key_still_reads_cards(world, client, other_branch, till_for):
    till = till_for(client, other_branch)
    other_branch.is_open = False
    other_branch.save()

    assert till.get(f"/api/v1/cards/{world['card']}/").status_code == 200


def test_an_expired_key_is_refused(client, branch, card, till_for):
    till = till_for(client, branch, expiry_date=timezone.now() - datetime.timedelta(days=1))
    is_problem(till.get(f"/api/v1/cards/{card.number}/"), 401)


@pytest.mark.parametrize("header", ["Api-Key", "Api-Key ", "Api-Key nodot", "Bearer abc.def"])
def test_a_malformed_key_is_refused(header, client, card):
    response = client.get(f"/api/v1/cards/{card.number}/", headers={"Authorization": header})
    is_problem(response, 401)


def test_a_key_is_marked_used_at_most_once_a_minute(till, till_key, card):
    key = till_key[0]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        till.get(f"/api/v1/cards/{card.number}/")
    with time_machine.travel(start + datetime.timedelta(seconds=30), tick=False):
        till.get(f"/api/v1/cards/{card.number}/")
    key.refresh_from_db()
    assert key.last_used_at == start
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        till.get(f"/api/v1/cards/{card.number}/")
    key.refresh_from_db()
    assert key.last_used_at == start + datetime.timedelta(seconds=61)


def test_each_key_is_rate_limited_with_retry_after(client, branch, card, till_for):
    till = till_for(client, branch, requests_per_minute=2)
    other = till_for(client, branch, name="Till 2", requests_per_minute=2)
    path = f"/api/v1/cards/{card.number}/"

    assert [till.get(path).status_code for _ in range(2)] == [200, 200]
    response = till.get(path)

    is_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert other.get(path).status_code == 200


def test_requests_go_through_when_the_cache_is_down(client, branch, card, till_for, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", down)
    monkeypatch.setattr(cache, "incr", down)
    till = till_for(client, branch, requests_per_minute=1)

    assert [till.get(f"/api/v1/cards/{card.number}/").status_code for _ in range(3)] == [200] * 3


def test_keys_are_stored_hashed(till_key):
    key, text = till_key
    assert text not in TillKey.objects.values_list("hashed_key", flat=True)
    assert TillKey.objects.get_from_key(text) == key
