"""The owner registers endpoints, sends a test event, reads the log and sends messages again;
staff see none of it."""

import pytest
from django.urls import reverse
from standardwebhooks import Webhook

from tests.tasks import run_queued_tasks
from tests.webhooks.conftest import receiving
from webhooks import services as webhooks
from webhooks.models import TEST_EVENT, Delivery, DeliveryStatus, Endpoint, Event

pytestmark = pytest.mark.django_db

ADD = reverse("admin:webhooks_endpoint_add")


def change_url(endpoint):
    return reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])


def test_the_owner_registers_an_endpoint_with_events_as_checkboxes_and_sees_its_secret(
    owner_client,
):
    page = owner_client.get(ADD).content.decode()
    assert 'type="checkbox" name="events" value="purchase.recorded"' in page
    response = owner_client.post(
        ADD,
        {
            "url": "https://till.example/hooks",
            "description": "Till system",
            "events": [Event.PURCHASE_RECORDED, Event.VOUCHER_USED],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    endpoint = Endpoint.objects.get()
    assert endpoint.events == [Event.PURCHASE_RECORDED, Event.VOUCHER_USED]
    assert endpoint.secret.startswith("whsec_")
    Webhook(endpoint.secret)  # a secret the standard library accepts
    page = owner_client.get(change_url(endpoint)).content.decode()
    assert endpoint.secret in page
    assert "Send a test event" in page


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("http://till.example/hooks", False),
        ("ftp://till.example/hooks", False),
        ("http://127.0.0.1:9000/hooks", True),
        ("http://localhost/hooks", True),
        ("https://till.example/hooks", True),
    ],
)
def test_an_endpoint_must_use_https_except_on_this_machine(owner_client, url, accepted):
    response = owner_client.post(ADD, {"url": url, "events": [Event.MEMBER_JOINED]})
    assert Endpoint.objects.exists() is accepted
    if not accepted:
        assert response.status_code == 200
        assert "Use an https:// address" in response.content.decode()


def test_the_test_button_sends_one_signed_test_event_to_that_endpoint_only(
    owner_client, receiver, endpoint
):
    other = Endpoint.objects.create(url="https://other.example/", events=list(Event.values))
    url = reverse("admin:webhooks_endpoint_send_test", args=[endpoint.pk])
    assert owner_client.get(url).status_code == 405  # a button, never a link

    response = owner_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == change_url(endpoint)
    (delivery,) = Delivery.objects.all()
    assert (delivery.endpoint, delivery.event_type) == (endpoint, TEST_EVENT)
    assert not other.deliveries.exists()

    with receiving(receiver):
        run_queued_tasks()
    ((headers, body),) = receiver.requests
    assert Webhook(endpoint.secret).verify(body, headers)["type"] == "webhook.test"
    page = owner_client.get(change_url(endpoint)).content.decode()
    assert "webhook.test" in page and "Delivered" in page


def test_the_owner_rotates_the_secret(owner_client, endpoint):
    old = endpoint.secret
    response = owner_client.post(
        reverse("admin:webhooks_endpoint_rotate_secret", args=[endpoint.pk])
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")


def test_the_owner_sends_deliveries_again_under_the_same_message_id(
    owner_client, receiver, endpoint
):
    delivery = webhooks.send_test_event(endpoint)
    with receiving(receiver):
        run_queued_tasks()
    response = owner_client.post(
        reverse("admin:webhooks_delivery_changelist"),
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    with receiving(receiver):
        run_queued_tasks()
    first, again = receiver.requests
    assert first[0]["webhook-id"] == again[0]["webhook-id"] == delivery.message_id
    assert first[1] == again[1]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)


def test_the_delivery_log_shows_each_attempt_with_code_and_time(owner_client, receiver, endpoint):
    delivery = webhooks.send_test_event(endpoint)
    receiver.status = 503
    with receiving(receiver):
        run_queued_tasks()
    page = owner_client.get(
        reverse("admin:webhooks_delivery_change", args=[delivery.pk])
    ).content.decode()
    assert "503" in page and delivery.message_id in page
    assert 'name="_save"' not in page  # the log is read only


@pytest.mark.parametrize("count", [2, 20])
def test_the_delivery_list_queries_do_not_grow_with_deliveries(
    owner_client, endpoint, count, django_assert_max_num_queries
):
    for _ in range(count):
        webhooks.send_test_event(endpoint)
    with django_assert_max_num_queries(12):
        response = owner_client.get(reverse("admin:webhooks_delivery_changelist"))
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        assert owner_client.get(change_url(endpoint)).status_code == 200


def test_staff_see_no_endpoint_no_delivery_and_cannot_send(staff_client, endpoint):
    delivery = webhooks.send_test_event(endpoint)
    for url in [
        reverse("admin:webhooks_endpoint_changelist"),
        change_url(endpoint),
        reverse("admin:webhooks_delivery_changelist"),
        reverse("admin:webhooks_delivery_change", args=[delivery.pk]),
    ]:
        assert staff_client.get(url).status_code == 403, url
    for name in ["admin:webhooks_endpoint_send_test", "admin:webhooks_endpoint_rotate_secret"]:
        assert staff_client.post(reverse(name, args=[endpoint.pk])).status_code == 403
    response = staff_client.post(
        reverse("admin:webhooks_delivery_changelist"),
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 403
    assert Delivery.objects.count() == 1
    assert endpoint.secret not in staff_client.get(reverse("admin:index")).content.decode()
