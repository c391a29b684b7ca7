"""Deliveries: signed per Standard Webhooks, sent by the worker, retried, logged, given up on."""

import datetime
import json

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from standardwebhooks import Webhook

from loyalty import services
from tests.tasks import run_queued_tasks
from tests.webhooks.conftest import receiving
from webhooks import services as webhooks
from webhooks.models import Attempt, Delivery, DeliveryStatus, Event
from webhooks.tasks import deliver


def later(**delta):
    return time_machine.travel(timezone.now() + datetime.timedelta(**delta), tick=False)


def waiting_retries():
    return DBTaskResult.objects.filter(status=TaskResultStatus.READY, queue_name="webhooks")


def purchase(card, staff, reference="R-1"):
    return services.record_purchase(card, "12.50", reference=reference, staff=staff).line


@pytest.mark.django_db
def test_a_purchase_reaches_the_receiver_signed_so_the_standard_library_verifies_it(
    receiver, endpoint, card, staff
):
    line = purchase(card, staff)
    with receiving(receiver):
        run_queued_tasks()

    (delivery,) = Delivery.objects.all()
    ((headers, body),) = receiver.requests
    assert headers["webhook-id"] == delivery.message_id
    payload = Webhook(endpoint.secret).verify(body, headers)
    assert payload["type"] == "purchase.recorded"
    assert payload["data"]["line_id"] == line.pk
    assert payload["data"]["amount"] == "12.50"
    assert datetime.datetime.fromisoformat(payload["timestamp"])
    assert delivery.message_id.startswith("msg_")
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Suki-Webhooks/1"

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.delivered_at is not None
    (attempt,) = delivery.attempt_log.all()
    assert (attempt.status_code, attempt.error, attempt.response_excerpt) == (200, "", "ok")
    assert attempt.duration_ms >= 0


@pytest.mark.django_db
def test_a_signature_made_with_another_secret_is_refused_by_the_receiver(
    receiver, endpoint, card, staff
):
    purchase(card, staff)
    with receiving(receiver):
        run_queued_tasks()
    headers, body = receiver.requests[0]
    from standardwebhooks.webhooks import WebhookVerificationError

    other = Webhook("whsec_" + "A" * 32)
    with pytest.raises(WebhookVerificationError):
        other.verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(body.replace("12.50", "99.50"), headers)


@pytest.mark.django_db
def test_an_endpoint_that_is_down_is_tried_again_later_under_the_same_id_until_it_answers(
    receiver, endpoint, card, staff
):
    purchase(card, staff)
    delivery = Delivery.objects.get()

    started = timezone.now()
    run_queued_tasks()  # down: logged, and a retry waits
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.last_status_code is None
    assert delivery.last_error  # "Connection refused"
    (first_retry,) = waiting_retries()
    assert first_retry.args_kwargs["kwargs"]["delivery_id"] == delivery.pk
    assert first_retry.args_kwargs["kwargs"]["attempt"] == 2
    first_delay = first_retry.run_after - started
    assert datetime.timedelta(seconds=29) < first_delay <= datetime.timedelta(seconds=31)

    run_queued_tasks()  # too early for the retry
    assert delivery.attempt_log.count() == 1
    with later(seconds=31):
        second_started = timezone.now()
        run_queued_tasks()  # still down
    (second_retry,) = waiting_retries()
    second_delay = second_retry.run_after - second_started
    assert second_delay > first_delay  # the delays grow

    with receiving(receiver), later(minutes=5):
        run_queued_tasks()
    assert [headers["webhook-id"] for headers, _body in receiver.requests] == [delivery.message_id]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 3
    errors = list(delivery.attempt_log.values_list("status_code", flat=True))
    assert errors == [None, None, 200]
    assert not waiting_retries().exists()


@pytest.mark.django_db
def test_a_server_error_is_logged_with_its_code_and_time_and_retried(
    receiver, endpoint, card, staff
):
    receiver.status = 500
    receiver.answer = b"Internal trouble " * 100
    purchase(card, staff)
    with receiving(receiver):
        run_queued_tasks()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code == 500
    assert delivery.last_duration_ms is not None
    attempt = Attempt.objects.get()
    assert attempt.status_code == 500
    assert attempt.error.startswith("HTTP 500")
    assert attempt.response_excerpt.startswith("Internal trouble")
    assert len(attempt.response_excerpt) == 500
    assert waiting_retries().count() == 1


@pytest.mark.django_db
def test_a_redirect_is_not_followed_and_counts_as_a_failure(receiver, endpoint, card, staff):
    receiver.status = 302
    receiver.extra_headers = {"Location": "https://elsewhere.example/hooks"}
    purchase(card, staff)
    with receiving(receiver):
        run_queued_tasks()
    assert len(receiver.requests) == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.PENDING, 302)


def run_for_a_day_and_more(started):
    for hours in range(0, 27):
        with time_machine.travel(started + datetime.timedelta(hours=hours), tick=False):
            run_queued_tasks()


@pytest.mark.django_db
def test_after_the_retry_window_the_delivery_is_marked_failed_and_its_task_fails(
    receiver, endpoint, card, staff
):
    purchase(card, staff)
    run_for_a_day_and_more(timezone.now())

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == delivery.attempt_log.count() > 20
    assert not waiting_retries().exists()
    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert failed.exception_class_path == "core.tasks.DeliveryFailed"


@pytest.mark.django_db
def test_a_rolled_back_change_sends_nothing(receiver, endpoint, card, staff):
    with pytest.raises(RuntimeError), transaction.atomic():
        purchase(card, staff, reference="GHOST")
        raise RuntimeError("the till crashed")
    with receiving(receiver):
        run_queued_tasks()
    assert not Delivery.objects.filter(event_type=Event.PURCHASE_RECORDED).exists()
    assert not DBTaskResult.objects.filter(
        args_kwargs__kwargs__delivery_id__isnull=False, queue_name="webhooks", status="READY"
    ).exists()
    assert all("GHOST" not in body for body in receiver.bodies())


@pytest.mark.django_db
def test_a_switched_off_endpoint_gets_nothing_more_even_a_waiting_retry(
    receiver, endpoint, card, staff
):
    purchase(card, staff)
    run_queued_tasks()  # down: retries wait
    endpoint.is_active = False
    endpoint.save()
    purchase(card, staff, reference="R-2")
    with receiving(receiver), later(minutes=5):
        run_queued_tasks()
    assert receiver.requests == []
    (delivery,) = Delivery.objects.all()  # the second purchase made none
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == "The endpoint is switched off."


@pytest.mark.django_db
def test_redelivering_sends_the_same_message_id_again_with_a_fresh_window(
    receiver, endpoint, card, staff
):
    purchase(card, staff)
    with receiving(receiver):
        run_queued_tasks()
    delivery = Delivery.objects.get(event_type=Event.PURCHASE_RECORDED)
    first_body = next(
        body for headers, body in receiver.requests if headers["webhook-id"] == delivery.message_id
    )

    webhooks.redeliver(delivery)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    with receiving(receiver):
        run_queued_tasks()
    again = [
        body for headers, body in receiver.requests if headers["webhook-id"] == delivery.message_id
    ]
    assert again == [first_body, first_body]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)


@pytest.mark.django_db
def test_a_task_for_a_deleted_delivery_does_nothing(endpoint, card):
    assert deliver.call(delivery_id=123456) == "the delivery was deleted"


def test_the_body_is_compact_json_of_the_payload():
    delivery = Delivery(payload={"type": "x", "data": {"ä": 1}})
    from webhooks.tasks import body_of

    assert json.loads(body_of(delivery)) == {"type": "x", "data": {"ä": 1}}
    assert " " not in body_of(delivery)
