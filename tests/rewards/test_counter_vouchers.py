import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils.html import escape

from loyalty.models import Kind, PointTransaction
from rewards import services
from rewards.models import RedemptionStatus
from tests.rewards.factories import RewardFactory, top_up

HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime.datetime(2025, 6, 11, 14, 30, tzinfo=HELSINKI)
WHEN = "11 Jun 2025, 14:30"

pytestmark = pytest.mark.time_machine(NOW, tick=False)


@pytest.fixture
def funded_card(card):
    return top_up(card, 450)  # 500 points


@pytest.fixture
def voucher(funded_card):
    return services.redeem(funded_card, RewardFactory(name="Cinnamon bun", points_cost=100))


def look_up(client, code):
    return client.get(reverse("admin:counter_vouchers"), {"code": code}).content.decode()


@pytest.mark.parametrize("typed", ["exact", "formatted", "lower"])
def test_looking_up_a_code_shows_member_reward_and_status(staff_client, voucher, typed):
    code = {
        "exact": voucher.code,
        "formatted": voucher.formatted_code,
        "lower": voucher.formatted_code.lower(),
    }[typed]

    page = look_up(staff_client, code)

    assert "Cinnamon bun" in page
    assert "Member <strong>Maria Reyes</strong>" in page
    assert f"Voucher <strong>{voucher.formatted_code}</strong>" in page
    assert 'data-testid="voucher-status">Ready to use<' in page
    assert "Valid until 11 Jul 2025, 14:30" in page
    assert reverse("admin:counter_fulfil", args=[voucher.pk]) in page
    assert "Mark as used and hand over" in page


def test_mark_as_used_fulfils_the_voucher(staff_client, staff, voucher):
    response = staff_client.post(reverse("admin:counter_fulfil", args=[voucher.pk]), follow=True)

    page = response.content.decode()
    assert f"Voucher {voucher.formatted_code} used: hand over Cinnamon bun." in page
    voucher.refresh_from_db()
    assert voucher.status == RedemptionStatus.FULFILLED
    assert (voucher.fulfilled_by, voucher.fulfilled_at) == (staff, NOW)


def test_used_code_says_when_and_by_whom_and_cannot_be_used_again(staff_client, staff, voucher):
    staff_client.post(reverse("admin:counter_fulfil", args=[voucher.pk]))

    page = look_up(staff_client, voucher.code)

    assert escape(f"already used on {WHEN} (by {staff.get_full_name()}).") in page
    assert 'data-testid="voucher-status">Used<' in page
    assert "Mark as used" not in page
    again = staff_client.post(reverse("admin:counter_fulfil", args=[voucher.pk]), follow=True)
    assert "This voucher was already used on" in again.content.decode()
    voucher.refresh_from_db()
    assert voucher.fulfilled_at == NOW


def test_cancelled_code_says_it_was_cancelled(staff_client, member, voucher):
    services.cancel_redemption(voucher, by=member)

    page = look_up(staff_client, voucher.code)

    assert f"This voucher was cancelled on {WHEN} and its points were refunded." in page
    assert "Mark as used" not in page


def test_expired_code_says_it_expired_and_the_points_are_back(
    staff_client, staff, funded_card, voucher, time_machine
):
    time_machine.move_to(NOW + datetime.timedelta(days=31), tick=False)
    staff_client.force_login(staff)  # the session from a month ago has ended

    page = look_up(staff_client, voucher.code)

    assert "This voucher expired on 11 Jul 2025, 14:30 and its points were refunded." in page
    assert 'data-testid="voucher-status">Expired<' in page
    assert "Mark as used" not in page
    funded_card.refresh_from_db()
    assert funded_card.balance == 500


def test_fulfilling_a_voucher_that_just_expired_refuses_and_refunds(
    staff_client, staff, funded_card, voucher, time_machine
):
    time_machine.move_to(voucher.valid_until - datetime.timedelta(minutes=1), tick=False)
    staff_client.force_login(staff)  # the session from a month ago has ended
    page = look_up(staff_client, voucher.code)  # still valid when the page was shown
    assert "Mark as used" in page
    time_machine.move_to(voucher.valid_until + datetime.timedelta(minutes=1), tick=False)

    response = staff_client.post(reverse("admin:counter_fulfil", args=[voucher.pk]), follow=True)

    assert "This voucher expired on" in response.content.decode()
    voucher.refresh_from_db()
    assert voucher.status == RedemptionStatus.EXPIRED
    funded_card.refresh_from_db()
    assert funded_card.balance == 500


def test_unknown_code_says_so(staff_client, voucher):
    code = "ABCDEFGHJK" if voucher.code != "ABCDEFGHJK" else "ABCDEFGHJL"
    assert "No voucher has that code." in look_up(staff_client, code)


@pytest.mark.parametrize("typed", ["ABC", "ABCDEFGHIO", "0123456789", "ABCDE-FGHJK-L"])
def test_malformed_code_is_explained(staff_client, tiers, typed):
    page = look_up(staff_client, typed)
    assert (
        "That is not a voucher code: codes have 10 characters, letters A–Z without I and O "
        "and digits 2–9." in page
    )
    assert 'aria-invalid="true"' in page


def test_card_page_offers_pay_with_points_in_steps_up_to_the_balance(staff_client, funded_card):
    page = staff_client.get(reverse("admin:counter_card", args=[funded_card.pk])).content.decode()

    assert '<option value="100">100 points = €5.00 off</option>' in page
    assert '<option value="500">500 points = €25.00 off</option>' in page
    assert '<option value="600">' not in page
    assert reverse("admin:counter_pay", args=[funded_card.pk]) in page


def test_no_pay_with_points_below_one_step(staff_client, card):
    page = staff_client.get(reverse("admin:counter_card", args=[card.pk])).content.decode()
    assert card.balance == 50
    assert "Pay with points" not in page


def test_paying_with_points_takes_them_off_with_the_receipt(staff_client, staff, funded_card):
    url = reverse("admin:counter_pay", args=[funded_card.pk])

    response = staff_client.post(url, {"points": "200", "reference": "R-77"}, follow=True)

    page = response.content.decode()
    assert "Take €10.00 off receipt R-77. 200 points used; new balance 300." in page
    line = PointTransaction.objects.get(card=funded_card, kind=Kind.REDEMPTION)
    assert (line.points, line.reference, line.created_by) == (-200, "R-77", staff)
    funded_card.refresh_from_db()
    assert funded_card.balance == 300
    assert 'data-testid="counter-balance">300<' in page


def test_double_submitted_payment_is_taken_once(staff_client, funded_card):
    url = reverse("admin:counter_pay", args=[funded_card.pk])
    staff_client.post(url, {"points": "200", "reference": "R-77"}, follow=True)

    response = staff_client.post(url, {"points": "200", "reference": "R-77"}, follow=True)

    page = response.content.decode()
    assert (
        "The discount for receipt R-77 was already given (200 points, €10.00). "
        "Do not take it off again." in page
    )
    assert "Take €" not in page
    funded_card.refresh_from_db()
    assert funded_card.balance == 300
    assert PointTransaction.objects.filter(kind=Kind.REDEMPTION).count() == 1


def test_resubmitted_payment_of_the_whole_balance_says_it_was_already_given(
    staff_client, funded_card
):
    url = reverse("admin:counter_pay", args=[funded_card.pk])
    staff_client.post(url, {"points": "500", "reference": "R-9"}, follow=True)

    response = staff_client.post(url, {"points": "500", "reference": "R-9"}, follow=True)

    page = response.content.decode()
    assert "The discount for receipt R-9 was already given (500 points, €25.00)." in page
    assert "Take €" not in page
    assert "Choose the points to use" not in page
    funded_card.refresh_from_db()
    assert funded_card.balance == 0


def test_payment_figures_have_thousands_separators(staff_client, card, program):
    card = top_up(card, 2950)  # 3,000 points
    url = reverse("admin:counter_pay", args=[card.pk])

    offered = staff_client.get(reverse("admin:counter_card", args=[card.pk])).content.decode()
    paid = staff_client.post(url, {"points": "2000", "reference": "R-5"}, follow=True)
    again = staff_client.post(url, {"points": "1000", "reference": "R-5"}, follow=True)

    assert '<option value="2000">2,000 points = €100.00 off</option>' in offered
    assert (
        "Take €100.00 off receipt R-5. 2,000 points used; new balance 1,000."
        in paid.content.decode()
    )
    assert (
        "The discount for receipt R-5 was already given (2,000 points, €100.00)."
        in again.content.decode()
    )
    card.refresh_from_db()
    assert card.balance == 1000


@pytest.mark.parametrize(
    "data",
    [
        {"points": "600", "reference": "R-1"},  # more than the balance
        {"points": "150", "reference": "R-1"},  # not a step
        {"points": "200", "reference": ""},
        {"reference": "R-1"},
    ],
)
def test_payment_outside_the_offered_steps_or_without_receipt_is_refused(
    staff_client, funded_card, data
):
    response = staff_client.post(
        reverse("admin:counter_pay", args=[funded_card.pk]), data, follow=True
    )

    assert "Choose the points to use and enter the receipt number." in response.content.decode()
    funded_card.refresh_from_db()
    assert funded_card.balance == 500
    assert not PointTransaction.objects.filter(kind=Kind.REDEMPTION).exists()


def test_member_cannot_use_the_voucher_or_payment_screens(client, member, funded_card, voucher):
    client.force_login(member)

    lookup = client.get(reverse("admin:counter_vouchers"), {"code": voucher.code})
    fulfil = client.post(reverse("admin:counter_fulfil", args=[voucher.pk]))
    pay = client.post(
        reverse("admin:counter_pay", args=[funded_card.pk]), {"points": "100", "reference": "X"}
    )

    for response in (lookup, fulfil, pay):
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    assert "Maria Reyes" not in lookup.content.decode()
    voucher.refresh_from_db()
    assert voucher.status == RedemptionStatus.ISSUED
    funded_card.refresh_from_db()
    assert funded_card.balance == 400
