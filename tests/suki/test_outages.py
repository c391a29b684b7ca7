"""Outages of the mail server, the cache and the database never fail a request or lose a message."""

import datetime
import json
import os
import socket
import subprocess
import sys

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from accounts.models import User
from core import emails
from tests.tasks import free_port, run_queued_tasks, smtp_server

SIGNUP = {
    "first_name": "Ana",
    "last_name": "Cruz",
    "email": "ana@example.com",
    "password1": "a-long-unusual-passphrase",
    "password2": "a-long-unusual-passphrase",
}


@pytest.fixture
def smtp_port(settings):
    """Mail goes to a real SMTP server on this port, which is down until a test starts it."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2
    return port


def later(minutes):
    return time_machine.travel(timezone.now() + datetime.timedelta(minutes=minutes), tick=False)


def waiting():
    return DBTaskResult.objects.filter(status=TaskResultStatus.READY).count()


@pytest.mark.django_db
def test_a_purchase_answers_normally_while_mail_is_down_and_its_receipt_arrives_once_after(
    staff_client, member, card, smtp_port
):
    member.receipt_emails = True
    member.save()
    url = reverse("admin:counter_purchase", args=[card.pk])
    response = staff_client.post(url, {"amount": "12.50", "reference": "R-1"})
    assert response.status_code == 302
    assert card.transactions.filter(reference="R-1").exists()

    run_queued_tasks()  # the mail server is down: the attempt fails and a retry waits
    assert waiting() == 1
    with smtp_server(smtp_port) as inbox:
        run_queued_tasks()  # too early for the retry
        assert inbox.messages == []
        with later(minutes=2):
            run_queued_tasks()
            run_queued_tasks()
    assert inbox.recipients() == ["member@example.com"]
    assert waiting() == 0


@pytest.mark.django_db
def test_sign_up_works_while_mail_is_down_and_the_confirmation_arrives_once_after(
    client, smtp_port
):
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    assert User.objects.filter(email="ana@example.com").exists()

    run_queued_tasks()
    with smtp_server(smtp_port) as inbox:
        with later(minutes=2):
            run_queued_tasks()
        with later(minutes=10):
            run_queued_tasks()
    subjects = sorted(envelope.content.decode() for envelope in inbox.messages)
    assert inbox.recipients() == ["ana@example.com", "ana@example.com"]  # welcome + confirm
    assert sum("/accounts/confirm-email/" in text for text in subjects) == 1


@pytest.mark.django_db
def test_a_complaint_reply_is_sent_while_mail_is_down_and_arrives_once_after(
    staff_client, member, card, smtp_port
):
    from surveys import services as survey_services
    from surveys.models import ComplaintCategory, ComplaintChannel, RemedySought

    case = survey_services.file_complaint(
        user=member,
        name="Maria Reyes",
        email=member.email,
        category=ComplaintCategory.PRODUCT,
        description="The croissant was stale.",
        remedy_sought=RemedySought.REPLACEMENT,
        channel=ComplaintChannel.PORTAL,
    )
    run_queued_tasks()  # the receipt of the case fails too, and waits for its retry
    response = staff_client.post(
        reverse("admin:surveys_complaint_act", args=[case.pk]),
        {"action": "reply", "body": "Sorry! A fresh one is waiting for you."},
    )
    assert response.status_code == 302
    assert case.messages.filter(body__startswith="Sorry!").exists()

    run_queued_tasks()
    with smtp_server(smtp_port) as inbox:
        with later(minutes=2):
            run_queued_tasks()
        with later(minutes=10):
            run_queued_tasks()
    texts = [envelope.content.decode() for envelope in inbox.messages]
    assert inbox.recipients() == ["member@example.com", "member@example.com"]
    assert sum("A fresh one is waiting for you." in text for text in texts) == 1


@pytest.mark.django_db
def test_an_email_of_a_rolled_back_change_is_never_sent(smtp_port):
    with smtp_server(smtp_port) as inbox:
        with pytest.raises(RuntimeError), transaction.atomic():
            emails.send("welcome", "ghost@example.com", {})
            raise RuntimeError("the change failed")
        run_queued_tasks()
    assert inbox.messages == []
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db
def test_retries_grow_then_give_up_and_the_owner_sends_it_again(owner_client, smtp_port):
    emails.send("welcome", "late@example.com", {})
    started = timezone.now()
    for hours in range(0, 27):
        with time_machine.travel(started + datetime.timedelta(hours=hours), tick=False):
            run_queued_tasks()
    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert waiting() == 0
    # Delays double from 30 s, so the first hours hold several attempts and later ones one each.
    delays = [
        row.run_after - row.enqueued_at
        for row in DBTaskResult.objects.exclude(run_after=get_date_max()).order_by("enqueued_at")[
            :5
        ]
    ]
    assert delays == sorted(delays)
    assert DBTaskResult.objects.count() > 20

    response = owner_client.post(
        reverse("admin:django_tasks_database_dbtaskresult_changelist"),
        {"action": "send_again", "_selected_action": [failed.pk]},
    )
    assert response.status_code == 302
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).exists()
    with smtp_server(smtp_port) as inbox:
        run_queued_tasks()
    assert inbox.recipients() == ["late@example.com"]


@pytest.mark.django_db
def test_staff_cannot_send_failed_deliveries_again(staff_client):
    response = staff_client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist"))
    assert response.status_code == 403


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }


@pytest.mark.django_db
def test_members_log_in_while_the_cache_is_unreachable(client, member, cache_down):
    response = client.post(
        reverse("account_login"), {"login": member.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response.wsgi_request.user == member
    assert client.get(reverse("portal")).status_code == 200


@pytest.mark.django_db
def test_sign_up_password_reset_and_contact_form_work_while_the_cache_is_unreachable(
    client, member, cache_down
):
    assert client.post(reverse("account_signup"), SIGNUP).status_code == 302
    client.logout()
    reset = client.post(reverse("account_reset_password"), {"email": member.email})
    assert reset.status_code == 302
    contact = client.post(
        reverse("contact"),
        {
            "name": "Vera Visitor",
            "email": "vera@example.com",
            "category": "product",
            "description": "The croissant was stale and cold.",
            "remedy_sought": "apology",
        },
    )
    assert contact.status_code == 200
    assert "C-" in contact.content.decode()
    report = client.get("/healthz")
    assert report.status_code == 200
    assert report.json()["cache"] == "unavailable"


@pytest.mark.django_db
def test_healthz_reports_database_cache_and_queue(client):
    emails.send("welcome", "queued@example.com", {})
    report = client.get("/healthz").json()
    assert report["status"] == "ok"
    assert report["database"] == "ok"
    assert report["cache"] == "ok"
    assert set(report["tasks"]) == {"pending", "oldest_pending_seconds", "failed"}


OUTAGE_SCRIPT = """
import json, time
import django
django.setup()
from django.test import Client, override_settings

plain = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
with override_settings(STORAGES=plain):
    client = Client(raise_request_exception=False)
    found = {}
    for path in ["/", "/healthz", "/api/v1/cards/123456789012/"]:
        started = time.monotonic()
        key = {"Authorization": "Api-Key abcdefgh.0123456789"} if "/api/" in path else {}
        response = client.get(path, headers=key)
        found[path] = {
            "status": response.status_code,
            "retry_after": response.get("Retry-After"),
            "seconds": time.monotonic() - started,
            "body": response.content.decode(),
            "type": response.get("Content-Type"),
        }
print(json.dumps(found))
"""


def pages_with_database_at(address):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "suki.settings",
        "DEBUG": "false",
        "SECRET_KEY": "outage-test-" + "x" * 60,
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"postgres://postgres@{address}/suki",
        "CONN_MAX_AGE": "0",
    }
    environment.pop("CACHE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", OUTAGE_SCRIPT],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_pages_say_back_in_a_moment_when_the_database_refuses_connections():
    found = pages_with_database_at(f"127.0.0.1:{free_port()}")
    assert found["/"]["status"] == 503
    assert found["/"]["retry_after"] == "30"
    assert "Back in a moment" in found["/"]["body"]
    assert "Traceback" not in found["/"]["body"]
    assert found["/healthz"]["status"] == 503
    assert json.loads(found["/healthz"]["body"])["database"] == "unavailable"
    # A till is told in a problem document it can read, with when to try again.
    api = found["/api/v1/cards/123456789012/"]
    assert (api["status"], api["retry_after"]) == (503, "30")
    assert api["type"] == "application/problem+json"
    assert json.loads(api["body"])["detail"].startswith("Suki cannot reach its database.")


def test_pages_and_healthz_answer_within_seconds_when_the_database_hangs():
    # A server that accepts connections and never answers, like a hung PostgreSQL.
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(50)
        found = pages_with_database_at(f"127.0.0.1:{hung.getsockname()[1]}")
    assert found["/"]["status"] == 503
    assert found["/"]["seconds"] < 8
    assert found["/healthz"]["status"] == 503
    assert found["/healthz"]["seconds"] < 3
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_counter_says_a_purchase_that_failed_can_be_sent_again(staff_client, card):
    page = staff_client.get(reverse("admin:counter_card", args=[card.pk])).content.decode()
    assert "Send it again with the same receipt number: a receipt is never counted twice." in page
