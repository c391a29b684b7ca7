"""What emitting costs: nothing much when nobody listens, a fixed amount when one does."""

import pytest

from loyalty import services
from tests.tasks import free_port
from webhooks import services as webhooks
from webhooks.models import Delivery, Endpoint, Event

pytestmark = pytest.mark.django_db

DATA = {"card_number": "123456789012"}


def test_with_no_endpoint_an_event_costs_one_query_then_none(django_assert_num_queries):
    with django_assert_num_queries(1):  # the cold cache is filled from the database
        assert webhooks.emit(Event.PURCHASE_RECORDED, DATA) == []
    with django_assert_num_queries(0):
        assert webhooks.emit(Event.PURCHASE_RECORDED, DATA) == []
        assert webhooks.emit(Event.MEMBER_JOINED, DATA) == []


def test_an_event_to_one_endpoint_costs_a_fixed_number_of_queries(django_assert_num_queries):
    Endpoint.objects.create(url="https://till.example/hooks", events=[Event.PURCHASE_RECORDED])
    # The subscriptions, the delivery and its task.
    with django_assert_num_queries(3):
        (delivery,) = webhooks.emit(Event.PURCHASE_RECORDED, DATA)
    with django_assert_num_queries(2):
        webhooks.emit(Event.PURCHASE_RECORDED, DATA)
    assert delivery.payload["data"] == DATA


def test_a_builder_runs_only_when_an_endpoint_listens(django_assert_num_queries):
    def expensive():
        raise AssertionError("built for nobody")

    webhooks.emit(Event.VOUCHER_USED, expensive)
    Endpoint.objects.create(url="https://till.example/hooks", events=[Event.VOUCHER_USED])
    (delivery,) = webhooks.emit(Event.VOUCHER_USED, lambda: DATA)
    assert delivery.payload["data"] == DATA


def test_a_new_changed_or_deleted_endpoint_is_seen_by_the_next_event():
    webhooks.emit(Event.PURCHASE_RECORDED, DATA)  # caches "nobody listens"
    endpoint = Endpoint.objects.create(url="https://a.example/", events=[Event.PURCHASE_RECORDED])
    assert len(webhooks.emit(Event.PURCHASE_RECORDED, DATA)) == 1
    endpoint.events = [Event.MEMBER_JOINED]
    endpoint.save()
    assert webhooks.emit(Event.PURCHASE_RECORDED, DATA) == []
    endpoint.delete()
    assert webhooks.emit(Event.MEMBER_JOINED, DATA) == []


def test_an_unknown_event_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown webhook event"):
        webhooks.emit("member.sneezed", DATA)


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }


def test_with_the_cache_down_events_are_read_from_the_database(
    cache_down, card, staff, django_assert_num_queries
):
    Endpoint.objects.create(url="https://till.example/hooks", events=[Event.PURCHASE_RECORDED])
    with django_assert_num_queries(2):  # nothing is cached: each event asks the database
        assert webhooks.emit(Event.MEMBER_JOINED, DATA) == []
        assert webhooks.emit(Event.MEMBER_JOINED, DATA) == []
    services.record_purchase(card, "12.50", reference="R-1", staff=staff)
    assert Delivery.objects.filter(event_type=Event.PURCHASE_RECORDED).count() == 1
