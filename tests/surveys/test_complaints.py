"""Complaints as customers meet them: filing from the portal, the contact form and "Question
this", the member's case pages (replies, rating, reopening), escalation of late cases, and
the follow-up case a member's unhappy survey answer opens."""

import datetime
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from loyalty import services as loyalty_services
from loyalty.models import Kind
from surveys import selectors, services
from surveys.exceptions import ComplaintError
from surveys.models import (
    Audience,
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintMessage,
    ComplaintPriority,
    ComplaintResolution,
    ComplaintStatus,
    QuestionKind,
    RemedySought,
    SLATarget,
)
from tests.surveys.factories import QuestionFactory, SurveyFactory, make_visit_survey

NOON = datetime.datetime(2026, 3, 4, 12, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
REFERENCE = re.compile(r"C-2026-\d{6}")
STALE = "The croissant was stale and the coffee was cold."


def open_case(user=None, **fields) -> Complaint:
    """A case filed through the service, as the portal (member) or contact form would."""
    defaults = {
        "user": user,
        "name": user.get_full_name() if user else "Vera Visitor",
        "email": user.email if user else "vera@example.com",
        "category": ComplaintCategory.PRODUCT,
        "description": STALE,
        "remedy_sought": RemedySought.REPLACEMENT,
        "channel": ComplaintChannel.PORTAL if user else ComplaintChannel.PUBLIC_FORM,
    }
    return services.file_complaint(**{**defaults, **fields})


def resolve(case, staff, *, points=0) -> Complaint:
    """Answer the customer (which acknowledges the case) and resolve it."""
    services.reply(case, "We are sorry. A fresh one is waiting for you.", author=staff)
    return services.resolve_complaint(
        case,
        actor=staff,
        resolution_type=ComplaintResolution.REPLACEMENT,
        summary="A fresh croissant at your next visit.",
        goodwill_points=points,
    )


def complaint_data(**overrides):
    data = {
        "name": "Vera Visitor",
        "email": "vera@example.com",
        "phone": "",
        "category": ComplaintCategory.PRODUCT,
        "description": STALE,
        "remedy_sought": RemedySought.REFUND,
        "receipt_number": "",
        "website": "",
    }
    return {**data, **overrides}


def everything_in(message) -> str:
    """Subject, text and HTML of one e-mail."""
    return " ".join([message.subject, message.body, *(part[0] for part in message.alternatives)])


def png_bytes() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(output, format="PNG")
    return output.getvalue()


def page_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def outsider_client(outsider):
    client = Client()
    client.force_login(outsider)
    return client


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# Filing ------------------------------------------------------------------------------------


def test_member_files_from_the_portal_prefilled_and_gets_the_reference_on_screen_and_by_email(
    member_client, member, card, django_capture_on_commit_callbacks
):
    member.phone = "+63 917 555 0101"
    member.save()
    form = page_of(member_client.get(reverse("complaint_new")))
    assert "We will answer Maria Reyes at member@example.com." in form
    assert 'value="+63 917 555 0101"' in form
    assert 'name="name"' not in form and 'name="email"' not in form

    with time_machine.travel(NOON, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            reverse("complaint_new"),
            complaint_data(phone="+63 917 555 0101", receipt_number=" R-1042 "),
            follow=True,
        )

    complaint = Complaint.objects.get()
    assert REFERENCE.fullmatch(complaint.reference)
    assert response.redirect_chain[-1][0] == reverse("complaint", args=[complaint.reference])
    page = page_of(response)
    assert (
        f"Thank you. Your reference is {complaint.reference}; we have e-mailed it to you." in page
    )
    assert STALE in page
    assert (
        complaint.user,
        complaint.card,
        complaint.name,
        complaint.email,
        complaint.phone,
        complaint.receipt_number,
        complaint.channel,
        complaint.status,
    ) == (
        member,
        card,
        "Maria Reyes",
        "member@example.com",
        "+63 917 555 0101",
        "R-1042",
        ComplaintChannel.PORTAL,
        ComplaintStatus.NEW,
    )
    assert [message.to for message in mail.outbox] == [["member@example.com"]]
    sent = everything_in(mail.outbox[0])
    assert complaint.reference in mail.outbox[0].subject
    assert f"Your reference is {complaint.reference}." in mail.outbox[0].body
    assert f"/complaints/{complaint.reference}/" in sent
    assert ComplaintEvent.objects.filter(complaint=complaint, action="created").count() == 1


@pytest.mark.parametrize("phone", ["", "040 123 4567"])
def test_visitor_files_from_the_contact_form_with_name_email_and_optional_phone(
    client, db, phone, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOON, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("contact"),
            complaint_data(email="Vera@Example.com", phone=phone, receipt_number="R-77"),
        )

    complaint = Complaint.objects.get()
    assert REFERENCE.fullmatch(complaint.reference)
    assert f'<strong data-testid="reference">{complaint.reference}</strong>' in page_of(response)
    assert (complaint.user, complaint.name, complaint.email, complaint.phone) == (
        None,
        "Vera Visitor",
        "vera@example.com",
        phone,
    )
    assert (complaint.channel, complaint.receipt_number) == (ComplaintChannel.PUBLIC_FORM, "R-77")
    assert [message.to for message in mail.outbox] == [["vera@example.com"]]
    assert f"Your reference is {complaint.reference}." in mail.outbox[0].body
    # A visitor has no account, so the e-mail offers no case page to follow.
    assert "Follow your case online" not in everything_in(mail.outbox[0])


def test_contact_form_filled_in_by_a_bot_saves_nothing(
    client, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("contact"), complaint_data(website="http://spam.example"))

    assert response.status_code == 200
    assert 'data-testid="reference"' not in page_of(response)
    assert not Complaint.objects.exists()
    assert mail.outbox == []


def test_sixth_public_complaint_from_one_address_within_an_hour_is_refused(client, db):
    with time_machine.travel(NOON, tick=False) as clock:
        for number in range(5):
            sent = client.post(reverse("contact"), complaint_data(receipt_number=f"R-{number}"))
            assert 'data-testid="reference"' in page_of(sent)

        refused = client.post(reverse("contact"), complaint_data(receipt_number="R-6"))

        assert "Too many messages from your network. Please try again later." in page_of(refused)
        assert Complaint.objects.count() == 5
        other_address = client.post(
            reverse("contact"), complaint_data(receipt_number="R-7"), REMOTE_ADDR="10.1.2.3"
        )
        assert 'data-testid="reference"' in page_of(other_address)

        clock.shift(HOUR + datetime.timedelta(minutes=1))
        later = client.post(reverse("contact"), complaint_data(receipt_number="R-8"))
        assert 'data-testid="reference"' in page_of(later)
    assert Complaint.objects.count() == 7


@pytest.mark.parametrize("url_name", ["contact", "complaint_new"])
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"description": ""}, "This field is required."),
        (
            {"description": "x" * 4001},
            "Ensure this value has at most 4000 characters (it has 4001).",
        ),
        (
            {"photo": b"just words, no picture"},
            "Upload a valid image. The file you uploaded was either not an image or a "
            "corrupted image.",
        ),
    ],
    ids=["empty description", "description too long", "text file named .png"],
)
def test_bad_complaint_gets_a_clear_message_and_saves_nothing(
    member_client, card, media, url_name, fields, message, django_capture_on_commit_callbacks
):
    if url_name == "contact":
        member_client.logout()  # members are sent to the portal form; the contact form is public
    if "photo" in fields:
        fields = {"photo": SimpleUploadedFile("photo.png", fields["photo"], "image/png")}
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(reverse(url_name), complaint_data(**fields))

    assert response.status_code == 200
    assert message in page_of(response)
    assert not Complaint.objects.exists()
    assert mail.outbox == []
    assert not media.exists() or not any(media.rglob("*.*"))


def test_photo_is_checked_and_kept_with_the_complaint(member_client, card, media):
    photo = SimpleUploadedFile("stale.png", png_bytes(), "image/png")

    member_client.post(reverse("complaint_new"), complaint_data(photo=photo))

    complaint = Complaint.objects.get()
    # Stored re-encoded, so whatever else the upload carried is dropped.
    assert complaint.photo.name.startswith("complaints/")
    assert "stale" not in complaint.photo.name  # an unguessable name, not the upload's
    assert complaint.photo.name.endswith(".webp")
    assert (media / complaint.photo.name).exists()


def test_question_this_prefills_billing_and_links_the_disputed_line(member_client, card):
    line = card.transactions.get(kind=Kind.SIGNUP_BONUS)
    history = page_of(member_client.get(reverse("history")))
    assert f'href="{reverse("complaint_new")}?line={line.pk}"' in history

    form = page_of(member_client.get(reverse("complaint_new"), {"line": line.pk}))
    assert "You are asking about this points line: Welcome bonus" in form
    assert '<option value="billing" selected>' in form
    assert f'<input type="hidden" name="line" value="{line.pk}">' in form

    member_client.post(
        reverse("complaint_new"),
        complaint_data(
            category=ComplaintCategory.BILLING, line=line.pk, description="Where is my bonus?"
        ),
    )

    complaint = Complaint.objects.get()
    assert (complaint.disputed_line, complaint.category) == (line, ComplaintCategory.BILLING)


def test_question_this_on_another_members_line_is_not_found(member_client, card, outsider_card):
    theirs = outsider_card.transactions.get(kind=Kind.SIGNUP_BONUS)

    assert member_client.get(reverse("complaint_new"), {"line": theirs.pk}).status_code == 404
    posted = member_client.post(
        reverse("complaint_new"), complaint_data(category=ComplaintCategory.BILLING, line=theirs.pk)
    )
    assert posted.status_code == 404
    assert not Complaint.objects.exists()


def test_plain_text_emails_keep_the_customers_words_as_written(
    member, card, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = open_case(member, name="Siobhán O'Brien")
        services.reply(case, "We'll refund you & say sorry <3", author=staff)
        services.resolve_complaint(
            case,
            actor=staff,
            resolution_type=ComplaintResolution.REFUND,
            summary="Refund & apology.",
        )

    received, reply, resolved = mail.outbox
    assert received.body.startswith("Hello Siobhán O'Brien,")
    assert "We'll refund you & say sorry <3" in reply.body
    assert "Refund & apology." in resolved.body
    # The HTML part still escapes them.
    assert "We&#x27;ll refund you &amp; say sorry &lt;3" in reply.alternatives[0][0]


# The member's case pages -------------------------------------------------------------------


def test_member_sees_only_their_own_cases(member_client, member, outsider):
    mine = [open_case(member), open_case(member, category=ComplaintCategory.STAFF)]
    theirs = open_case(outsider)

    listing = page_of(member_client.get(reverse("complaints")))

    for case in mine:
        assert f'href="{reverse("complaint", args=[case.reference])}"' in listing
    assert theirs.reference not in listing


def test_outsider_gets_404_on_every_case_url_and_changes_nothing(
    outsider_client, member, card, staff
):
    case = resolve(open_case(member), staff)
    messages_before = ComplaintMessage.objects.count()
    events_before = ComplaintEvent.objects.count()

    detail = outsider_client.get(reverse("complaint", args=[case.reference]))
    assert detail.status_code == 404
    assert STALE not in page_of(detail)
    for url_name, data in [
        ("complaint_reply", {"body": "Let me in."}),
        ("complaint_rate", {"rating": "1", "comment": "Bad."}),
        ("complaint_reopen", {}),
    ]:
        response = outsider_client.post(reverse(url_name, args=[case.reference]), data)
        assert response.status_code == 404, url_name

    case.refresh_from_db()
    assert (case.status, case.rating, case.resolved_at is not None) == (
        ComplaintStatus.RESOLVED,
        None,
        True,
    )
    assert ComplaintMessage.objects.count() == messages_before
    assert ComplaintEvent.objects.count() == events_before


def test_case_page_and_emails_show_public_replies_but_never_internal_notes(
    member_client, member, card, staff, django_capture_on_commit_callbacks
):
    note = "Third complaint this month; check the receipts before refunding."
    with django_capture_on_commit_callbacks(execute=True):
        case = open_case(member)
        services.reply(case, note, author=staff, internal=True)
        services.reply(case, "So sorry! A fresh croissant is on us.", author=staff)
        services.resolve_complaint(
            case,
            actor=staff,
            resolution_type=ComplaintResolution.APOLOGY,
            summary="We apologised and offered a croissant.",
        )

    page = page_of(member_client.get(reverse("complaint", args=[case.reference])))

    assert "So sorry! A fresh croissant is on us." in page
    assert note not in page
    assert len(mail.outbox) == 3  # received, reply, resolved: nothing for the note
    for message in mail.outbox:
        assert note not in everything_in(message)


def test_member_replies_on_their_open_case(member_client, member, card):
    case = open_case(member)

    response = member_client.post(
        reverse("complaint_reply", args=[case.reference]),
        {"body": "It was the almond one."},
        follow=True,
    )

    page = page_of(response)
    assert "Your reply is sent." in page
    assert "It was the almond one." in page
    message = case.messages.get()
    assert (message.from_customer, message.internal, message.author) == (True, False, member)
    assert case.events.filter(action="customer reply").count() == 1


def test_replying_to_a_closed_case_is_refused(member_client, member, card, staff):
    case = resolve(open_case(member), staff)
    services.change_status(case, ComplaintStatus.CLOSED, actor=staff)
    before = case.messages.count()

    response = member_client.post(
        reverse("complaint_reply", args=[case.reference]), {"body": "One more thing."}, follow=True
    )

    assert "This case is closed. Reopen it to continue." in page_of(response)
    assert case.messages.count() == before
    reply_form = 'action="{}"'.format(reverse("complaint_reply", args=[case.reference]))
    assert reply_form not in page_of(response)


def test_member_rates_the_handling_once_from_1_to_5_after_resolution(
    member_client, member, card, staff
):
    case = open_case(member)
    rate_url = reverse("complaint_rate", args=[case.reference])

    too_early = member_client.post(rate_url, {"rating": "5"}, follow=True)
    assert "You can rate the handling once the case is resolved." in page_of(too_early)

    resolve(case, staff)
    for wrong in ["0", "6"]:
        refused = member_client.post(rate_url, {"rating": wrong}, follow=True)
        assert "Choose a rating from 1 to 5." in page_of(refused)
    case.refresh_from_db()
    assert case.rating is None

    rated = member_client.post(rate_url, {"rating": "4", "comment": "Quick and kind."}, follow=True)
    assert "Thank you for rating how we handled your case." in page_of(rated)
    assert "You rated our handling 4 of 5. Thank you!" in page_of(rated)

    again = member_client.post(
        rate_url, {"rating": "1", "comment": "Changed my mind."}, follow=True
    )
    assert "You have already rated this case. Thank you!" in page_of(again)
    case.refresh_from_db()
    assert (case.rating, case.rating_comment) == (4, "Quick and kind.")


def test_rating_link_in_the_resolution_email_works_without_logging_in(
    client, member, card, staff, django_capture_on_commit_callbacks
):
    case = open_case(member)
    with django_capture_on_commit_callbacks(execute=True):
        resolve(case, staff)
    resolved = mail.outbox[-1]
    assert resolved.subject.endswith(f"Your case {case.reference} is resolved")
    link = re.search(r"https?://[^/\s]+(/rate/[^/\s]+/)", resolved.body).group(1)

    form = client.get(link)
    assert f"How did we handle {case.reference}?" in page_of(form)
    thanks = client.post(link, {"rating": "5", "comment": "Lovely people."})

    assert "Thank you for your rating" in page_of(thanks)
    case.refresh_from_db()
    assert (case.rating, case.rating_comment) == (5, "Lovely people.")
    assert "You have already rated this case. Thank you!" in page_of(client.get(link))


@pytest.mark.parametrize(
    "tamper",
    [lambda token: token[:-1] + ("B" if token.endswith("A") else "A"), lambda token: "abc:def"],
    ids=["one character changed", "made up"],
)
def test_tampered_rating_link_gives_a_clear_not_found_page(client, member, card, staff, tamper):
    case = resolve(open_case(member), staff)
    token = tamper(services.rating_token(case))

    response = client.get(reverse("rate_complaint", args=[token]))

    assert response.status_code == 404
    assert "This rating link is not valid." in page_of(response)
    assert client.post(reverse("rate_complaint", args=[token]), {"rating": "1"}).status_code == 404
    case.refresh_from_db()
    assert case.rating is None


def test_member_reopens_a_resolved_case_with_one_click_within_14_days(
    member_client, member, card, staff
):
    with time_machine.travel(NOON, tick=False) as clock:
        case = resolve(open_case(member), staff)
        clock.shift(13 * DAY)
        page = page_of(member_client.get(reverse("complaint", args=[case.reference])))
        assert "Not fixed? Reopen the case" in page

        response = member_client.post(
            reverse("complaint_reopen", args=[case.reference]), follow=True
        )

    assert "Your case is open again. We will be in touch." in page_of(response)
    case.refresh_from_db()
    assert (case.status, case.resolved_at) == (ComplaintStatus.IN_PROGRESS, None)
    assert case.events.filter(action="status", detail__endswith="reopened").count() == 1


def test_member_cannot_reopen_after_14_days(member_client, member, card, staff):
    with time_machine.travel(NOON, tick=False) as clock:
        case = resolve(open_case(member), staff)
        clock.shift(15 * DAY)
        page = page_of(member_client.get(reverse("complaint", args=[case.reference])))
        assert "Not fixed? Reopen the case" not in page

        response = member_client.post(
            reverse("complaint_reopen", args=[case.reference]), follow=True
        )

    assert "This case can no longer be reopened here. Please file a new complaint." in page_of(
        response
    )
    case.refresh_from_db()
    assert case.status == ComplaintStatus.RESOLVED


def test_member_with_an_open_case_is_not_asked_about_their_visit(
    member_client, member, card, staff
):
    make_visit_survey()
    loyalty_services.record_purchase(card, Decimal("9.50"), reference="R-9", staff=staff)
    case = open_case(member)

    assert "How was your visit?" not in page_of(member_client.get(reverse("portal")))

    resolve(case, staff)
    assert "How was your visit?" in page_of(member_client.get(reverse("portal")))


# Workflow through the services -----------------------------------------------------------


def test_default_sla_targets_come_with_the_database(db):
    assert SLATarget.objects.count() == 4
    assert list(SLATarget.objects.values_list("priority", "first_response_hours")) == [
        (ComplaintPriority.LOW, 48),
        (ComplaintPriority.NORMAL, 24),
        (ComplaintPriority.HIGH, 8),
        (ComplaintPriority.URGENT, 2),
    ]


def test_new_case_gets_due_times_from_its_priority(member, card):
    with time_machine.travel(NOON, tick=False):
        case = open_case(member)

    assert (case.priority, case.first_response_due, case.resolution_due) == (
        ComplaintPriority.NORMAL,
        NOON + 24 * HOUR,
        NOON + 120 * HOUR,
    )


@pytest.mark.parametrize(
    ("steps", "to"),
    [
        ([], ComplaintStatus.IN_PROGRESS),
        ([], ComplaintStatus.CLOSED),
        ([ComplaintStatus.ACKNOWLEDGED], ComplaintStatus.NEW),
        ([ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.IN_PROGRESS], ComplaintStatus.ACKNOWLEDGED),
        ([ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.IN_PROGRESS], ComplaintStatus.CLOSED),
    ],
    ids=[
        "new to in progress",
        "new to closed",
        "back to new",
        "back to acknowledged",
        "skip resolved",
    ],
)
def test_status_cannot_skip_a_step_or_go_back(member, card, staff, steps, to):
    case = open_case(member)
    for step in steps:
        services.change_status(case, step, actor=staff)
    events_before = case.events.count()

    with pytest.raises(ComplaintError, match="A case cannot go from"):
        services.change_status(case, to, actor=staff)

    case.refresh_from_db()
    assert case.status == (steps[-1] if steps else ComplaintStatus.NEW)
    assert case.events.count() == events_before


def test_resolving_needs_the_resolve_step_and_an_acknowledged_case(member, card, staff):
    case = open_case(member)

    with pytest.raises(ComplaintError, match="Use “Resolve”"):
        services.change_status(case, ComplaintStatus.RESOLVED, actor=staff)
    with pytest.raises(ComplaintError, match="Acknowledge the case before resolving it."):
        services.resolve_complaint(
            case, actor=staff, resolution_type=ComplaintResolution.APOLOGY, summary="Sorry."
        )
    case.refresh_from_db()
    assert case.status == ComplaintStatus.NEW


def test_every_status_change_is_logged_along_the_whole_path(member, card, staff):
    case = open_case(member)

    services.change_status(case, ComplaintStatus.ACKNOWLEDGED, actor=staff)
    services.change_status(case, ComplaintStatus.IN_PROGRESS, actor=staff)
    services.resolve_complaint(
        case,
        actor=staff,
        resolution_type=ComplaintResolution.REFUND,
        summary="Refunded at the till.",
    )
    services.change_status(case, ComplaintStatus.CLOSED, actor=staff)
    services.reopen(case, by=staff)

    case.refresh_from_db()
    assert (case.status, case.closed_at, case.resolved_at) == (
        ComplaintStatus.IN_PROGRESS,
        None,
        None,
    )
    assert list(case.events.filter(action="status").values_list("detail", "actor")) == [
        ("new → acknowledged", staff.pk),
        ("acknowledged → in_progress", staff.pk),
        ("in_progress → resolved: Refund", staff.pk),
        ("resolved → closed", staff.pk),
        ("closed → in_progress: reopened", staff.pk),
    ]


def test_goodwill_points_need_a_members_card(db, staff):
    case = open_case()
    services.change_status(case, ComplaintStatus.ACKNOWLEDGED, actor=staff)

    with pytest.raises(ComplaintError, match="Goodwill points need a member's card"):
        services.resolve_complaint(
            case,
            actor=staff,
            resolution_type=ComplaintResolution.GOODWILL,
            summary="Points for you.",
            goodwill_points=50,
        )
    case.refresh_from_db()
    assert case.status == ComplaintStatus.ACKNOWLEDGED


# Escalation of late cases ----------------------------------------------------------------


def test_overdue_case_escalates_once_per_breach_and_emails_the_owners(
    owner, staff, member, card, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOON, tick=False) as clock:
        late = open_case(member)  # normal: answer within 24 hours, resolve within 120
        answered = open_case(member)
        services.reply(answered, "We are on it.", author=staff)
        done = resolve(open_case(member), staff)

        clock.move_to(NOON + 25 * HOUR)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.escalate_overdue(timezone.now()) == 1
        late.refresh_from_db()
        assert late.priority == ComplaintPriority.HIGH
        assert [message.to for message in mail.outbox] == [[owner.email]]
        assert mail.outbox[0].subject.endswith(f"Overdue case {late.reference} escalated")
        assert "is now High priority" in mail.outbox[0].body

        clock.move_to(NOON + 30 * HOUR)  # the same day, the daily run again
        with django_capture_on_commit_callbacks(execute=True):
            assert services.escalate_overdue(timezone.now()) == 0
        late.refresh_from_db()
        assert late.priority == ComplaintPriority.HIGH
        assert len(mail.outbox) == 1

        clock.move_to(NOON + 121 * HOUR)  # now the resolution is late too, for both open cases
        with django_capture_on_commit_callbacks(execute=True):
            assert services.escalate_overdue(timezone.now()) == 2

    late.refresh_from_db()
    answered.refresh_from_db()
    done.refresh_from_db()
    assert (late.priority, answered.priority, done.priority) == (
        ComplaintPriority.URGENT,
        ComplaintPriority.HIGH,
        ComplaintPriority.NORMAL,
    )
    assert len(mail.outbox) == 3
    assert late.events.filter(action="escalated").count() == 2
    # Escalation makes a late case louder, not later: the promised times stay.
    assert late.resolution_due == NOON + 120 * HOUR


# Close the loop ---------------------------------------------------------------------------


@pytest.fixture
def scores(db):
    """A members' survey asking NPS, CSAT and a comment; returns (survey, nps, csat, comment)."""
    survey = SurveyFactory(
        title="Our new menu", audience=Audience.PUBLIC, allow_anonymous=True, starts_at=NOON - DAY
    )
    return (
        survey,
        QuestionFactory(survey=survey, order=1, kind=QuestionKind.NPS),
        QuestionFactory(survey=survey, order=2, kind=QuestionKind.CSAT),
        QuestionFactory(survey=survey, order=3, kind=QuestionKind.LONG_TEXT),
    )


@pytest.mark.parametrize(("nps", "csat"), [(6, 4), (7, 2), (0, 1)])
def test_unhappy_member_answer_opens_one_follow_up_case(member, card, scores, nps, csat):
    survey, nps_question, csat_question, comment = scores

    response = services.submit_response(
        survey,
        {nps_question.pk: nps, csat_question.pk: csat, comment.pk: "Too sweet."},
        user=member,
    )

    case = Complaint.objects.get()
    assert (case.user, case.channel, case.survey_response) == (
        member,
        ComplaintChannel.SURVEY_FOLLOW_UP,
        response,
    )
    assert "Our new menu" in case.description and "Too sweet." in case.description
    assert services.follow_up_survey_answer(response) is None
    assert Complaint.objects.count() == 1


def test_content_member_and_anonymous_answers_open_no_case(member, card, scores):
    survey, nps_question, csat_question, _comment = scores

    services.submit_response(survey, {nps_question.pk: 7, csat_question.pk: 3}, user=member)
    services.submit_response(
        survey, {nps_question.pk: 0, csat_question.pk: 1}, session_key="anonymous-browser"
    )

    assert not Complaint.objects.exists()


def test_member_whose_follow_up_was_resolved_and_who_later_scores_7_is_a_recovered_detractor(
    member, card, outsider, outsider_card, staff, scores
):
    survey, nps_question, _csat, _comment = scores
    later = SurveyFactory(title="Our terrace", starts_at=NOON - DAY)
    later_nps = QuestionFactory(survey=later, kind=QuestionKind.NPS)
    with time_machine.travel(NOON, tick=False) as clock:
        services.submit_response(survey, {nps_question.pk: 2}, user=member)
        services.submit_response(survey, {nps_question.pk: 3}, user=outsider)
        clock.shift(HOUR)
        # Happy again before anyone followed the complaint up: not a recovery.
        services.submit_response(later, {later_nps.pk: 9}, user=outsider)
        clock.shift(HOUR)
        for case in Complaint.objects.filter(channel=ComplaintChannel.SURVEY_FOLLOW_UP):
            resolve(case, staff)
        assert selectors.recovered_detractors() == 0

        clock.shift(7 * DAY)
        services.submit_response(later, {later_nps.pk: 9}, user=member)

    assert selectors.recovered_detractors() == 1


def test_logged_in_member_is_sent_from_the_contact_form_to_the_portal_form(member_client):
    response = member_client.get(reverse("contact"))
    assert response.status_code == 302
    assert response.url == reverse("complaint_new")


def test_complaint_photos_get_unguessable_names(member_client, card, media):
    import io

    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(picture, format="PNG")
    upload = SimpleUploadedFile("my-receipt.png", picture.getvalue(), "image/png")
    member_client.post(
        reverse("complaint_new"),
        {
            "category": "product",
            "description": "The cake was dry and crumbly.",
            "remedy_sought": "refund",
            "photo": upload,
        },
    )
    name = Complaint.objects.get().photo.name
    assert name.startswith("complaints/")
    assert "my-receipt" not in name
    assert len(name.split("/")[1].split(".")[0]) >= 30


def test_a_customer_reply_is_e_mailed_to_the_assigned_staff_member(
    member_client, member, card, staff, django_capture_on_commit_callbacks
):
    case = services.file_complaint(
        user=member,
        name="Maria Reyes",
        email=member.email,
        category="service",
        description="Nobody answered the phone.",
        remedy_sought="apology",
        channel="portal",
    )
    services.assign(case, staff, actor=staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(
            reverse("complaint_reply", args=[case.reference]), {"body": "Any news, please?"}
        )
    assert [message.to for message in mail.outbox] == [[staff.email]]
    assert "Any news, please?" in mail.outbox[0].body
    assert case.reference in mail.outbox[0].subject
