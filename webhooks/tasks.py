"""Posting a delivery to its endpoint, signed per Standard Webhooks, from the task worker.

Each try is logged as an `Attempt` (response code, time, error). A 2xx answer delivers; any
other answer, a redirect or a network error asks for another try after a growing delay
(`core.tasks.retry_later`), and after the retry window the delivery is marked failed and the
task fails, so the owner sees it in both lists and can send it again."""

import json
import time
import urllib.error
import urllib.request

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from standardwebhooks import Webhook

from core.tasks import DeliveryFailed, retry_later
from webhooks import services
from webhooks.models import Attempt, Delivery, DeliveryStatus

TIMEOUT_SECONDS = 10
USER_AGENT = "Suki-Webhooks/1"
EXCERPT_LENGTH = 500


class EndpointRefused(Exception):
    """The endpoint answered with something other than 2xx, or could not be reached."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect is an answer we do not follow: the signed body goes to the registered address
    # only, and the owner should fix the address instead.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def body_of(delivery: Delivery) -> str:
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)


def signed_headers(delivery: Delivery, body: str) -> dict[str, str]:
    """The Standard Webhooks headers for one try, signed with the endpoint's current secret."""
    now = timezone.now()
    return {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(delivery.endpoint.secret).sign(delivery.message_id, now, body),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def _post(delivery: Delivery) -> Attempt:
    """One try: post the body and return the unsaved attempt saying what happened."""
    body = body_of(delivery)
    url = delivery.endpoint.url
    if not url.startswith(("https://", "http://")):
        raise ValueError("Not a web address")
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above and on save
        url,
        data=body.encode(),
        headers=signed_headers(delivery, body),
        method="POST",
    )
    attempt = Attempt(delivery=delivery)
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            attempt.status_code = response.status
            attempt.response_excerpt = _excerpt(response)
    except urllib.error.HTTPError as error:
        attempt.status_code = error.code
        attempt.response_excerpt = _excerpt(error)
        attempt.error = f"HTTP {error.code} {error.reason}"[:EXCERPT_LENGTH]
    except (OSError, ValueError) as error:  # refused, unreachable, timed out, bad address
        reason = getattr(error, "reason", None) or error
        attempt.error = (str(reason) or type(reason).__name__)[:EXCERPT_LENGTH]
    attempt.duration_ms = round((time.monotonic() - started) * 1000)
    if attempt.status_code is not None and not 200 <= attempt.status_code < 300:
        attempt.error = attempt.error or f"HTTP {attempt.status_code}"
    return attempt


def _excerpt(response) -> str:
    try:
        return response.read(EXCERPT_LENGTH * 4).decode("utf-8", "replace")[:EXCERPT_LENGTH]
    except OSError:
        return ""


@task(queue_name="webhooks")
def deliver(delivery_id: int, attempt: int = 1, first_tried: str | None = None) -> str:
    delivery = Delivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return "the delivery was deleted"
    if delivery.status == DeliveryStatus.DELIVERED:
        return "already delivered"  # by a redelivery running beside this retry
    if not delivery.endpoint.is_active:
        services.give_up(delivery, "The endpoint is switched off.")
        return "the endpoint is switched off"
    tried = _post(delivery)
    if not tried.error:
        services.record_attempt(delivery, tried, DeliveryStatus.DELIVERED)
        return f"delivered: HTTP {tried.status_code} in {tried.duration_ms} ms"
    kwargs = {"delivery_id": delivery_id, "attempt": attempt, "first_tried": first_tried}
    try:
        with transaction.atomic():  # the next try is queued and this one logged, or neither
            retry_at = retry_later(deliver, kwargs, error=EndpointRefused(tried.error))
            services.record_attempt(delivery, tried, DeliveryStatus.PENDING)
    except DeliveryFailed:
        services.record_attempt(delivery, tried, DeliveryStatus.FAILED)
        raise
    return f"attempt {attempt} failed ({tried.error}); retrying at {retry_at.isoformat()}"
