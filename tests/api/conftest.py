import json

import pytest

from loyalty.models import Scope, Store, TillKey


def make_key(store, *, scopes=None, name="Till 1", **fields) -> tuple[TillKey, str]:
    """A till key of a branch and the key text a till sends (all scopes unless named)."""
    scopes = list(Scope.values) if scopes is None else [str(scope) for scope in scopes]
    return TillKey.objects.create_key(name=name, store=store, scopes=scopes, **fields)


class Till:
    """A till calling the API with one key (or none)."""

    def __init__(self, client, key_text=None):
        self.client = client
        self.key_text = key_text

    def headers(self, extra):
        headers = dict(extra)
        if self.key_text is not None:
            headers.setdefault("Authorization", f"Api-Key {self.key_text}")
        return headers

    def get(self, path, params=None, **headers):
        return self.client.get(path, params or {}, headers=self.headers(headers))

    def post(self, path, body=None, *, idempotency_key=None, raw=None, **headers):
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        content_type = headers.pop("content_type", "application/json")
        return self.client.post(
            path, data, content_type=content_type, headers=self.headers(headers)
        )


@pytest.fixture
def branch(db):
    return Store.main()


@pytest.fixture
def other_branch(db):
    return Store.objects.create(name="Harbour")


@pytest.fixture
def till_key(branch):
    return make_key(branch)


@pytest.fixture
def till(client, till_key):
    return Till(client, till_key[1])


@pytest.fixture
def keyless(client):
    return Till(client)


@pytest.fixture
def till_for():
    """A till with a key made on the spot: till_for(client, store, scopes=[...])."""

    def make(client, store, **fields):
        _key, text = make_key(store, **fields)
        return Till(client, text)

    return make


@pytest.fixture
def funded_card(card):
    from tests.rewards.factories import top_up

    return top_up(card, 450)  # 500 points


@pytest.fixture
def voucher(funded_card):
    from rewards import services
    from tests.rewards.factories import RewardFactory

    return services.redeem(funded_card, RewardFactory(name="Cinnamon bun", points_cost=100))


@pytest.fixture
def purchase_line(card, staff, branch, program):
    from loyalty import services

    recorded = services.record_purchase(card, "20.00", reference="R-100", staff=staff, store=branch)
    return recorded.line
