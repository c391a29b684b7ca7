"""Emitting events to the owner's endpoints; the only writers of endpoints' secrets and of
deliveries' status.

`emit` runs inside the transaction of the change it reports: it writes one `Delivery` per
subscribed endpoint and enqueues its task, so a rolled-back change sends nothing and a
committed one is delivered by the worker (see `webhooks.tasks`). Nothing here talks to an
endpoint, so a webhook problem never fails the change that caused it."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation

from webhooks.models import (
    TEST_EVENT,
    Attempt,
    Delivery,
    DeliveryStatus,
    Endpoint,
    Event,
    new_secret,
)

# Which active endpoints want which event, for every process; dropped when an endpoint changes.
# The timeout bounds how long a process-local cache (development) can miss a change.
SUBSCRIPTIONS_KEY = "webhooks:subscriptions"
SUBSCRIPTIONS_TIMEOUT = 60


def subscriptions() -> dict[str, list[int]]:
    """{event type: [endpoint ids]} of the active endpoints: from the cache, else one query."""
    cached = cache.get(SUBSCRIPTIONS_KEY)
    if cached is not None:
        return cached
    found: dict[str, list[int]] = {}
    for pk, events in Endpoint.objects.filter(is_active=True).values_list("pk", "events"):
        for event in events or []:
            found.setdefault(event, []).append(pk)
    cache.set(SUBSCRIPTIONS_KEY, found, SUBSCRIPTIONS_TIMEOUT)
    return found


def forget_subscriptions() -> None:
    """Drop the cached subscriptions now and again when the change commits, so that no
    request reading them in between keeps the old list."""
    cache.delete(SUBSCRIPTIONS_KEY)
    transaction.on_commit(lambda: cache.delete(SUBSCRIPTIONS_KEY))


def _envelope(event_type: str, data: dict) -> dict:
    return {"type": event_type, "timestamp": timezone.now().isoformat(), "data": data}


@transaction.atomic(savepoint=False)
def _queue(endpoint_ids: list[int], event_type: str, data: dict) -> list[Delivery]:
    from webhooks.tasks import deliver

    payload = _envelope(event_type, data)
    deliveries = Delivery.objects.bulk_create(
        Delivery(endpoint_id=pk, event_type=event_type, payload=payload) for pk in endpoint_ids
    )
    for delivery in deliveries:
        deliver.enqueue(delivery_id=delivery.pk)
    return deliveries


def emit(event_type: str, data: dict | Callable[[], dict]) -> list[Delivery]:
    """Send `data` as event `event_type` to every active endpoint subscribed to it, in the
    current transaction. `data` may be a function that builds it, called only when an endpoint
    listens, so describing an event nobody wants costs nothing. With no subscriber this reads
    the cached subscriptions (one query when the cache is cold or down); with subscribers it
    adds one insert for the deliveries and one per endpoint for its task."""
    if event_type not in Event.values:
        raise ValueError(f"Unknown webhook event {event_type!r}")
    endpoint_ids = subscriptions().get(event_type)
    if not endpoint_ids:
        return []
    # The shop's systems read one language whatever the member's: names of tiers, rewards and
    # bonus days in a payload are the default language's, never the page's.
    with translation.override(settings.LANGUAGE_CODE):
        return _queue(endpoint_ids, event_type, data() if callable(data) else data)


def send_test_event(endpoint: Endpoint) -> Delivery:
    """Queue a `webhook.test` message to this one endpoint, whatever it subscribes to."""
    data = {"endpoint_id": endpoint.pk, "message": "A test event from Suki."}
    (delivery,) = _queue([endpoint.pk], TEST_EVENT, data)
    return delivery


@transaction.atomic
def redeliver(delivery: Delivery) -> Delivery:
    """Send a delivery again as a new task with a fresh retry window, under the same message
    id. A delivery still waiting for a retry is sent now as well; whichever task succeeds
    first marks it delivered and the other then stops."""
    from webhooks.tasks import deliver

    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    delivery.status = DeliveryStatus.PENDING
    delivery.delivered_at = None
    delivery.save(update_fields=["status", "delivered_at"])
    deliver.enqueue(delivery_id=delivery.pk)
    return delivery


def record_attempt(delivery: Delivery, attempt: Attempt, status: str) -> Delivery:
    """Log one try of a delivery and move the delivery to `status` with what the try found."""
    attempt.save()
    delivery.attempts += 1
    delivery.status = status
    delivery.last_status_code = attempt.status_code
    delivery.last_duration_ms = attempt.duration_ms
    delivery.last_error = attempt.error
    delivery.delivered_at = attempt.at if status == DeliveryStatus.DELIVERED else None
    delivery.save(
        update_fields=[
            "attempts",
            "status",
            "last_status_code",
            "last_duration_ms",
            "last_error",
            "delivered_at",
        ]
    )
    return delivery


def give_up(delivery: Delivery, reason: str) -> Delivery:
    """Mark a delivery failed without trying it (its endpoint is switched off)."""
    delivery.last_error = reason
    delivery.status = DeliveryStatus.FAILED
    delivery.save(update_fields=["last_error", "status"])
    return delivery


@transaction.atomic
def rotate_secret(endpoint: Endpoint) -> Endpoint:
    """Give the endpoint a new signing secret; every later attempt, retries included, is signed
    with it."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret"])
    return endpoint


KEEP_DELIVERIES_DAYS = 90


def prune_deliveries(now) -> int:
    """Forget deliveries (and their attempts) finished more than KEEP_DELIVERIES_DAYS ago, so
    the log does not grow for ever; waiting ones stay whatever their age. Returns how many."""
    cutoff = now - datetime.timedelta(days=KEEP_DELIVERIES_DAYS)
    old = Delivery.objects.filter(created_at__lt=cutoff).exclude(status=DeliveryStatus.PENDING)
    deleted, by_model = old.delete()
    return by_model.get(Delivery._meta.label, 0)
