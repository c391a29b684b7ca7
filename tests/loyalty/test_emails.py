"""Member e-mails: purchase receipts and offers only with consent, each with a one-click
unsubscribe link that works without logging in and cannot be forged; greetings in the
member's language."""

import datetime
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from accounts import emails
from accounts.unsubscribe import SALT, make_token
from loyalty import services
from loyalty.models import BonusDay
from tests.factories import UserFactory, make_card

UNSUBSCRIBE_LINK = settings.SITE_URL + "/accounts/unsubscribe/"


@pytest.fixture
def emails_sent(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def html_of(message):
    return next(body for body, kind in message.alternatives if kind == "text/html")


def unsubscribe_url(message):
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">")
    return header[1:-1]


def buy(card, staff, reference="R-1"):
    return services.record_purchase(card, "12.50", reference=reference, staff=staff).line


@pytest.fixture
def receipts_member(member):
    member.receipt_emails = True
    member.save()
    return member


def test_purchase_receipt_goes_only_to_members_who_asked_for_it(
    receipts_member, card, outsider_card, staff, emails_sent
):
    walk_in = make_card(holder_email="walter@example.com", staff=staff, physical=True)
    with emails_sent():
        line = buy(card, staff)
        buy(outsider_card, staff, reference="R-101")
        buy(walk_in, staff, reference="R-102")

    receipts = [message for message in mail.outbox if "You earned" in message.subject]
    assert [message.to for message in receipts] == [["member@example.com"]]
    receipt = receipts[0]
    assert receipt.subject == f"[{settings.BUSINESS_NAME}] You earned {line.points} points"
    assert f"Receipt R-1: {line.points} points." in receipt.body
    link = unsubscribe_url(receipt)
    assert link.startswith(UNSUBSCRIBE_LINK)
    assert f"Unsubscribe: {link}" in receipt.body
    assert f'<a href="{link}">Unsubscribe</a>' in html_of(receipt)
    assert receipt.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_unsubscribe_link_asks_first_and_a_post_turns_receipts_off(
    receipts_member, card, staff, emails_sent
):
    with emails_sent():
        buy(card, staff)
    path = urlsplit(unsubscribe_url(mail.outbox[-1])).path
    browser = Client()  # from the mail app: not logged in

    page = browser.get(path)
    assert page.status_code == 200
    assert "Stop e-mailing me a summary after each purchase." in page.content.decode()
    assert '<button type="submit" class="btn btn-suki">Unsubscribe</button>' in (
        page.content.decode()
    )
    receipts_member.refresh_from_db()
    assert receipts_member.receipt_emails is True  # a GET (a link scanner) changes nothing

    done = browser.post(path)
    assert done.status_code == 200
    assert "You will no longer get purchase summaries by e-mail." in done.content.decode()
    receipts_member.refresh_from_db()
    assert receipts_member.receipt_emails is False
    assert receipts_member.marketing_consent is False

    sent = len(mail.outbox)
    with emails_sent():
        buy(card, staff, reference="R-2")
    assert len(mail.outbox) == sent


def test_mail_apps_can_unsubscribe_in_one_click(receipts_member, card, staff, emails_sent):
    # RFC 8058: the mail app POSTs "List-Unsubscribe=One-Click" to the header's address.
    with emails_sent():
        buy(card, staff)
    path = urlsplit(unsubscribe_url(mail.outbox[-1])).path
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    receipts_member.refresh_from_db()
    assert receipts_member.receipt_emails is False


def cut_short(token):
    return token[:-3]


def changed_signature(token):
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def someone_else(token):
    # The payload swapped for another member's id, keeping the old signature.
    value, signature = token.rsplit(":", 1)
    forged = signing.dumps({"user": 999, "list": "receipts"}, salt=SALT)
    return forged.rsplit(":", 1)[0] + ":" + signature


@pytest.mark.parametrize("tamper", [cut_short, changed_signature, someone_else])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_unsubscribe_link_is_refused_and_changes_nothing(
    receipts_member, client, tamper, method
):
    token = tamper(make_token(receipts_member, "receipts"))

    response = getattr(client, method)(reverse("unsubscribe", args=[token]))

    assert response.status_code == 404
    page = response.content.decode()
    assert (
        "This link is not valid; it may have been cut short or changed. Nothing was changed."
        in (page)
    )
    assert "Unsubscribe</button>" not in page
    receipts_member.refresh_from_db()
    assert receipts_member.receipt_emails is True


def test_a_token_for_another_list_is_refused(receipts_member, client):
    token = signing.dumps({"user": receipts_member.pk, "list": "is_staff"}, salt=SALT)
    response = client.post(reverse("unsubscribe", args=[token]))
    assert response.status_code == 404
    receipts_member.refresh_from_db()
    assert receipts_member.is_staff is False


def test_bonus_day_announcement_goes_only_to_members_who_agreed_to_offers(
    owner_client, member, card, outsider_card, emails_sent
):
    member.marketing_consent = True
    member.save()
    UserFactory(email="nocard@example.com", marketing_consent=True)  # not a member: no card
    bonus_day = BonusDay.objects.create(
        name="Double Saturday",
        message="Double points this Saturday",
        starts_on=datetime.date(2026, 11, 28),
        ends_on=datetime.date(2026, 11, 28),
        multiplier="2.00",
    )

    with emails_sent():
        response = owner_client.post(
            reverse("admin:loyalty_bonusday_changelist"),
            {"action": "announce", "_selected_action": [bonus_day.pk]},
            follow=True,
        )

    assert "1 e-mails sent." in response.content.decode()
    assert [message.to for message in mail.outbox] == [["member@example.com"]]
    announcement = mail.outbox[0]
    assert announcement.subject == f"[{settings.BUSINESS_NAME}] Double Saturday"
    assert "Double points this Saturday Show your card to earn extra points." in announcement.body
    link = unsubscribe_url(announcement)
    assert f"Unsubscribe: {link}" in announcement.body
    assert f'<a href="{link}">Unsubscribe</a>' in html_of(announcement)

    page = Client().post(urlsplit(link).path).content.decode()
    assert "You will no longer get news and offers by e-mail." in page
    member.refresh_from_db()
    assert member.marketing_consent is False


def test_only_the_owner_can_announce_a_bonus_day(staff_client, member, card, emails_sent):
    member.marketing_consent = True
    member.save()
    bonus_day = BonusDay.objects.create(
        name="Double Saturday",
        starts_on=datetime.date(2026, 11, 28),
        ends_on=datetime.date(2026, 11, 28),
    )
    with emails_sent():
        response = staff_client.post(
            reverse("admin:loyalty_bonusday_changelist"),
            {"action": "announce", "_selected_action": [bonus_day.pk]},
        )
    assert response.status_code == 403
    assert mail.outbox == []


def test_birthday_greeting_goes_out_in_the_members_language(member, program, emails_sent):
    member.birthday = datetime.date(1990, 3, 1)
    member.language = "fi"
    member.save()
    with time_machine.travel(datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)):
        make_card(member)
    mail.outbox.clear()

    day = datetime.date(2027, 3, 1)
    with (
        time_machine.travel(datetime.datetime(2027, 3, 1, 12, tzinfo=datetime.UTC), tick=False),
        emails_sent(),
    ):
        assert services.award_birthday_bonuses(day) == 1

    assert [message.to for message in mail.outbox] == [["member@example.com"]]
    greeting = mail.outbox[0]
    assert greeting.subject.startswith(f"[{settings.BUSINESS_NAME}] ")
    assert "Maria" in greeting.subject
    # Rendered (no template tags left), with the points and the card link, in Finnish.
    assert "{" not in greeting.body + html_of(greeting)
    assert "100" in greeting.body
    assert f"{settings.SITE_URL}/portal/" in greeting.body
    assert '<html lang="fi">' in html_of(greeting)
    # A greeting is not an optional mailing: no unsubscribe link.
    assert "List-Unsubscribe" not in greeting.extra_headers


def test_names_are_written_as_they_are_in_subjects_and_plain_text(
    member, card, staff, program, emails_sent
):
    member.first_name = "D'Arcy"
    member.birthday = datetime.date(1990, 3, 1)
    member.marketing_consent = True
    member.save()
    day = datetime.date(2027, 3, 1)
    bonus_day = BonusDay(name="Fish & Chips Friday", starts_on=day, ends_on=day)
    with (
        time_machine.travel(datetime.datetime(2027, 3, 1, 12, tzinfo=datetime.UTC), tick=False),
        emails_sent(),
    ):
        services.award_birthday_bonuses(day)
        emails.send_to_member(
            "bonus_day", member, {"bonus_day": bonus_day}, optional_list="marketing"
        )

    greeting, announcement = mail.outbox
    assert greeting.subject == f"[{settings.BUSINESS_NAME}] Happy birthday, D'Arcy!"
    assert announcement.subject == f"[{settings.BUSINESS_NAME}] Fish & Chips Friday"
    assert announcement.body.startswith("Fish & Chips Friday Show your card")
    # The HTML part still escapes what it shows.
    assert "Fish &amp; Chips Friday" in html_of(announcement)


def test_a_line_break_in_a_subject_or_display_name_never_becomes_a_header(db, emails_sent):
    from django.core.mail import EmailMessage

    from core.emails import enqueue

    message = EmailMessage(
        "Your code\r\nBcc: x@y",
        "Hello",
        from_email="Kapihan\nBcc: x@y <shop@example.com>",
        to=["Bea\u2028Bcc: x@y <bea@example.com>"],
    )
    with emails_sent():
        enqueue(message)

    (sent,) = mail.outbox
    assert sent.subject == "Your code Bcc: x@y"
    headers = sent.message()
    assert headers["Bcc"] is None
    assert headers["To"] == '"Bea Bcc: x@y" <bea@example.com>'
    assert headers["From"] == '"Kapihan Bcc: x@y" <shop@example.com>'


def test_a_task_queued_with_a_line_break_in_its_subject_is_still_delivered(db):
    from core.emails import deliver_email

    result = deliver_email.call(
        subject="Happy birthday, Bea\nBcc: x@y!",
        body="Hello",
        to=["bea@example.com"],
        from_email="shop@example.com",
        headers={},
        alternatives=[],
    )

    assert result == "sent to bea@example.com"
    (sent,) = mail.outbox
    assert sent.subject == "Happy birthday, Bea Bcc: x@y!"
    assert sent.message()["Bcc"] is None
