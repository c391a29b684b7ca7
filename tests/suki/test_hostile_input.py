"""Input no page expects (a NUL byte, Unicode digits, huge or malformed numbers, unknown
choices) gets a clear refusal and changes nothing; it never fails the page with a 500."""

import pytest
from django.test import Client
from django.urls import reverse

from loyalty.models import CardEvent, RetiredCardNumber
from surveys import services
from surveys.models import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintEvent,
    ComplaintPriority,
    ComplaintStatus,
    RemedySought,
)

# "²" is a digit to str.isdigit(), but not to int().
SUPERSCRIPT_NUMBER = "²" * 12


@pytest.fixture
def quiet_client():
    """A client that sees the page a visitor would, 500 included, instead of the exception."""
    return Client(raise_request_exception=False)


def logged_in(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def case(member, card):
    return services.file_complaint(
        user=member,
        name=member.get_full_name(),
        email=member.email,
        category=ComplaintCategory.PRODUCT,
        description="The croissant was stale and the coffee was cold.",
        remedy_sought=RemedySought.REPLACEMENT,
        channel=ComplaintChannel.PORTAL,
    )


def test_language_switch_with_a_next_that_is_no_address_goes_home(quiet_client, db):
    response = quiet_client.post(reverse("set_language"), {"language": "fi", "next": "foo"})

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("line", "status"), [("abc", 404), ("1.5", 404), ("99999999999999999999", 404), ("\0", 400)]
)
def test_question_this_with_a_line_that_is_no_number_is_refused(member, card, line, status):
    client = logged_in(member)
    assert client.get(reverse("complaint_new"), {"line": line}).status_code == status
    data = {"line": line, "category": ComplaintCategory.BILLING, "description": "Where is it?"}
    data |= {"remedy_sought": RemedySought.REFUND}
    assert client.post(reverse("complaint_new"), data).status_code == status
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("path", ["/join/%00/", "/s/%00/"])
def test_a_nul_byte_in_a_public_address_is_a_bad_request(quiet_client, db, path):
    response = quiet_client.get(path)

    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_a_nul_byte_in_a_member_address_is_a_bad_request(member, card):
    client = logged_in(member)
    assert client.get("/complaints/%00/").status_code == 400
    assert client.get("/rewards/vouchers/%00/").status_code == 400
    assert client.post("/rewards/vouchers/%00/cancel/").status_code == 400


def test_a_nul_byte_in_a_counter_reason_replaces_no_card(staff, card):
    number = card.number
    url = reverse("admin:counter_replace", args=[card.pk])

    assert logged_in(staff).post(url, {"reason": "lost\0"}).status_code == 400
    card.refresh_from_db()
    assert card.number == number
    assert not RetiredCardNumber.objects.exists()
    assert not CardEvent.objects.exists()


def test_a_counter_reason_too_long_to_keep_is_refused_with_a_message(staff, card):
    number = card.number
    url = reverse("admin:counter_replace", args=[card.pk])

    response = logged_in(staff).post(url, {"reason": "lost " * 50}, follow=True)

    assert "at most 200 characters" in response.content.decode()
    card.refresh_from_db()
    assert card.number == number
    assert not CardEvent.objects.exists()


def test_a_nul_byte_in_an_admin_list_filter_or_search_is_a_bad_request(owner, card):
    client = logged_in(owner)
    ledger = reverse("admin:loyalty_pointtransaction_changelist")
    redemptions = reverse("admin:rewards_redemption_changelist")

    assert client.get(ledger, {"kind": "a\0"}).status_code == 400
    assert client.get(redemptions, {"export": "csv", "q": "\0"}).status_code == 400


def test_a_card_number_of_unicode_digits_is_a_failed_claim(member):
    response = logged_in(member).post(
        reverse("claim_card"), {"number": SUPERSCRIPT_NUMBER, "pin": "123456"}
    )

    assert response.status_code == 200
    assert "That card number and PIN do not match" in response.content.decode()


def test_a_pin_of_unicode_digits_is_refused_by_the_form(member, card):
    response = logged_in(member).post(
        reverse("claim_card"), {"number": card.number, "pin": "²" * 6}
    )

    assert "The PIN is 6 digits." in response.content.decode()
    card.refresh_from_db()
    assert card.failed_claims == 0


def test_a_counter_search_for_unicode_digits_finds_no_card(staff, card):
    response = logged_in(staff).get(reverse("admin:counter"), {"query": SUPERSCRIPT_NUMBER})

    assert response.status_code == 200
    assert "No card matches" in response.content.decode()


def act(user, case, **data):
    url = reverse("admin:surveys_complaint_act", args=[case.pk])
    return logged_in(user).post(url, data, follow=True)


def test_an_unknown_status_on_the_case_page_is_refused_and_changes_nothing(staff, case):
    response = act(staff, case, action="status", status="bogus")

    assert response.status_code == 200
    assert "Choose a status." in response.content.decode()
    case.refresh_from_db()
    assert case.status == ComplaintStatus.NEW
    assert list(ComplaintEvent.objects.values_list("action", flat=True)) == ["created"]


@pytest.mark.parametrize("assignee", ["abc", "1.5", "99999999999999999999", "²"])
def test_an_assignee_that_is_no_staff_id_is_refused_and_changes_nothing(staff, case, assignee):
    response = act(staff, case, action="assign", assignee=assignee)

    assert response.status_code == 200
    assert "Choose a staff member." in response.content.decode()
    case.refresh_from_db()
    assert case.assignee is None
    assert list(ComplaintEvent.objects.values_list("action", flat=True)) == ["created"]


@pytest.mark.parametrize("priority", ["²", "abc", "99999999999999999999", "-1"])
def test_a_priority_that_is_no_choice_is_refused_and_changes_nothing(staff, case, priority):
    before = case.priority

    response = act(staff, case, action="priority", priority=priority)

    assert response.status_code == 200
    assert "Choose a priority." in response.content.decode()
    case.refresh_from_db()
    assert case.priority == before
    assert before in ComplaintPriority.values


@pytest.mark.parametrize("year", ["9223372036854775808", "9999", "0"])
def test_a_year_beyond_the_calendar_in_the_complaint_list_shows_the_whole_list(staff, case, year):
    response = logged_in(staff).get(
        reverse("admin:surveys_complaint_changelist"), {"created_at__year": year}
    )

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_an_unknown_filter_on_the_redemption_export_downloads_nothing(owner, db):
    response = logged_in(owner).get(
        reverse("admin:rewards_redemption_changelist"), {"export": "csv", "foo": "1"}
    )

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
