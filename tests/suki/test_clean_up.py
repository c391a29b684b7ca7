"""The daily run forgets what is only kept for a while: tills' answers and the webhook log."""

import datetime

import time_machine

from loyalty.models import IdempotentRequest, Store, TillKey
from tests.loyalty.test_daily_run import run_daily
from webhooks.models import Delivery, DeliveryStatus, Endpoint

DAY = datetime.date(2027, 3, 1)


def at(days_before: int) -> datetime.datetime:
    return datetime.datetime(2027, 3, 1, 12, tzinfo=datetime.UTC) - datetime.timedelta(
        days=days_before
    )


def test_old_till_answers_and_finished_deliveries_are_forgotten(db):
    key, _text = TillKey.objects.create_key(name="Till", store=Store.main())
    endpoint = Endpoint.objects.create(
        url="https://shop.example/hooks", events=["purchase.recorded"]
    )
    made = {}
    for age in (8, 6):
        with time_machine.travel(at(age), tick=False):
            made[f"answer {age}"] = IdempotentRequest.objects.create(
                till_key=key, key=f"k-{age}", fingerprint="f", status_code=201, response={}
            )
    for age, status in (
        (91, DeliveryStatus.DELIVERED),
        (91, DeliveryStatus.FAILED),
        (91, DeliveryStatus.PENDING),
        (89, DeliveryStatus.DELIVERED),
    ):
        with time_machine.travel(at(age), tick=False):
            made[f"{status} {age}"] = Delivery.objects.create(
                endpoint=endpoint, event_type="purchase.recorded", payload={}, status=status
            )

    output = run_daily(DAY, "--only")

    assert "till answers forgotten 1, webhook deliveries forgotten 2" in output
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["k-6"]
    kept = set(Delivery.objects.values_list("pk", flat=True))
    assert kept == {made["pending 91"].pk, made["delivered 89"].pk}
