import re

import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.tasks import run_queued_tasks

SIGNUP = {
    "first_name": "Ana",
    "last_name": "Cruz",
    "email": "ana@example.com",
    "password1": "a-long-unusual-passphrase",
    "password2": "a-long-unusual-passphrase",
}


def confirmation_link(message):
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body).group(1)


@pytest.mark.django_db
def test_sign_up_sends_a_confirmation_link_that_logs_the_member_in(client):
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="ana@example.com")
    assert (user.first_name, user.last_name) == ("Ana", "Cruz")
    assert not EmailAddress.objects.get(user=user).verified
    run_queued_tasks()
    confirmations = [message for message in mail.outbox if "/confirm-email/" in message.body]
    assert len(confirmations) == 1

    link = confirmation_link(confirmations[0])
    assert client.get(link).status_code == 200
    response = client.post(link)
    assert EmailAddress.objects.get(user=user).verified
    assert response.status_code == 302
    assert client.get(reverse("portal")).context["user"] == user


@pytest.mark.django_db
def test_unconfirmed_member_cannot_log_in(client):
    client.post(reverse("account_signup"), SIGNUP)
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": SIGNUP["email"], "password": SIGNUP["password1"]}
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Enter a valid email address."),
        ("password2", "something-else-entirely", "You must type the same password each time."),
    ],
)
def test_bad_sign_up_says_why_and_creates_nobody(client, field, value, message):
    response = client.post(reverse("account_signup"), {**SIGNUP, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()
    run_queued_tasks()
    assert mail.outbox == []


@pytest.mark.django_db
def test_wrong_password_does_not_reveal_whether_the_email_exists(client, member):
    known = client.post(reverse("account_login"), {"login": member.email, "password": "nope"})
    unknown = client.post(
        reverse("account_login"), {"login": "nobody@example.com", "password": "nope"}
    )
    message = "The email address and/or password you specified are not correct."
    assert message in known.content.decode()
    assert message in unknown.content.decode()


@pytest.mark.django_db
def test_login_is_rate_limited_after_repeated_failures(client, member):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": member.email, "password": "wrong"})
    response = client.post(
        reverse("account_login"), {"login": member.email, "password": "correct-horse-battery"}
    )
    assert not response.wsgi_request.user.is_authenticated
    assert "Too many failed login attempts" in response.content.decode()


@pytest.mark.django_db
def test_signups_are_rate_limited_per_address(client):
    statuses = [
        client.post(
            reverse("account_signup"), {**SIGNUP, "email": f"flood{i}@example.com"}
        ).status_code
        for i in range(21)
    ]
    assert statuses[:20] == [302] * 20
    assert statuses[20] == 429
    assert User.objects.count() == 20


@pytest.mark.django_db
def test_password_reset_mails_a_working_link(client, member):
    client.post(reverse("account_reset_password"), {"email": member.email})
    run_queued_tasks()
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)", mail.outbox[0].body)
    response = client.get(link.group(1), follow=True)
    response = client.post(
        response.redirect_chain[-1][0],
        {"password1": "brand-new-secret-phrase", "password2": "brand-new-secret-phrase"},
    )
    member.refresh_from_db()
    assert member.check_password("brand-new-secret-phrase")


@pytest.mark.django_db
def test_client_address_is_taken_from_the_trusted_proxy_header(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    # The one trusted proxy appends the address it saw; anything before it is client-supplied.
    request = client.get("/", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9").wsgi_request
    assert get_adapter().get_client_ip(request) == "203.0.113.9"


@pytest.mark.django_db
def test_password_resets_are_rate_limited_per_address(client, member):
    for _ in range(5):
        client.post(reverse("account_reset_password"), {"email": member.email})
    response = client.post(reverse("account_reset_password"), {"email": member.email})
    assert response.status_code == 429
    run_queued_tasks()
    assert len(mail.outbox) == 5
