"""A write sent again with its Idempotency-Key gets the first answer and changes nothing."""

import json

import pytest
from django.test import Client

from loyalty.models import IdempotentRequest, Kind, PointTransaction
from tests.concurrency import all_at_once, postgresql_only

from .conftest import Till

BODY = {"amount": "12.50", "receipt": "R-1"}


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer(till, card):
    path = f"/api/v1/cards/{card.number}/purchases"
    first = till.post(path, BODY, idempotency_key="k-1")
    again = till.post(path, BODY, idempotency_key="k-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert PointTransaction.objects.filter(kind=Kind.PURCHASE).count() == 1


def test_the_same_key_with_another_body_is_refused(till, card):
    path = f"/api/v1/cards/{card.number}/purchases"
    till.post(path, BODY, idempotency_key="k-1")

    response = till.post(path, {**BODY, "amount": "13.00"}, idempotency_key="k-1")

    assert response.status_code == 422
    assert response.json()["type"] == "/api/problems/idempotency-key-reused"
    assert PointTransaction.objects.filter(kind=Kind.PURCHASE).count() == 1


def test_the_same_key_on_another_address_is_refused(till, card, db):
    till.post(f"/api/v1/cards/{card.number}/purchases", BODY, idempotency_key="k-1")
    assert till.post("/api/v1/members", {"name": "A"}, idempotency_key="k-1").status_code == 422


def test_a_refusal_is_kept_and_replayed_too(till, card, staff):
    from loyalty import services

    services.block_card(card, staff=staff, reason="stolen")
    path = f"/api/v1/cards/{card.number}/purchases"
    first = till.post(path, BODY, idempotency_key="k-1")
    again = till.post(path, BODY, idempotency_key="k-1")

    assert first.status_code == again.status_code == 409
    assert again.json() == first.json()
    assert again["Content-Type"] == "application/problem+json"


def test_keys_are_kept_per_till_key(client, card, branch, till_for):
    path = f"/api/v1/cards/{card.number}/purchases"
    one, two = till_for(client, branch), till_for(client, branch, name="Till 2")

    assert one.post(path, BODY, idempotency_key="k-1").status_code == 201
    # Another till's k-1 is its own request: the receipt is already on the card.
    second = two.post(path, BODY, idempotency_key="k-1")
    assert second.status_code == 200
    assert "Idempotent-Replayed" not in second
    assert IdempotentRequest.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256])
def test_an_unusable_key_is_a_bad_request(key, till, card):
    response = till.post(f"/api/v1/cards/{card.number}/purchases", BODY, idempotency_key=key)
    assert response.status_code == 400
    assert not PointTransaction.objects.filter(kind=Kind.PURCHASE).exists()


def test_a_request_without_a_key_is_not_kept(till, card):
    till.post(f"/api/v1/cards/{card.number}/purchases", BODY)
    assert not IdempotentRequest.objects.exists()


@postgresql_only[0]
@postgresql_only[1]
def test_eight_concurrent_retries_record_one_purchase_and_get_one_answer(card, till_key):
    path = f"/api/v1/cards/{card.number}/purchases"
    text = till_key[1]

    def send(_index):
        response = Till(Client(), text).post(path, BODY, idempotency_key="same-key")
        return response.status_code, json.loads(response.content)

    results = all_at_once(8, send)

    assert all(isinstance(result, tuple) for result in results), results
    assert {status for status, _body in results} == {201}
    assert len({json.dumps(body, sort_keys=True) for _status, body in results}) == 1
    assert PointTransaction.objects.filter(card=card, kind=Kind.PURCHASE).count() == 1
    assert IdempotentRequest.objects.get().status_code == 201
    card.refresh_from_db()
    assert card.balance == 50 + 12 + 25
