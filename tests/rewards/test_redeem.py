import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty import services as loyalty_services
from loyalty.exceptions import CardNotActive, InsufficientPoints
from loyalty.models import Kind, PointTransaction
from rewards import services
from rewards.exceptions import (
    InvalidPayment,
    InvalidQuantity,
    InvalidVoucherCode,
    LimitReached,
    NotCancellable,
    RewardUnavailable,
    SoldOut,
    TierTooLow,
    VoucherAlreadyUsed,
    VoucherCancelled,
    VoucherExpired,
)
from rewards.models import VOUCHER_ALPHABET, Redemption, RedemptionStatus, RewardKind
from tests.rewards.factories import RewardFactory, top_up

HELSINKI = ZoneInfo("Europe/Helsinki")
# Not noon or midnight, which Django writes as words; the clock stands still unless moved.
NOW = datetime.datetime(2025, 6, 11, 14, 30, tzinfo=HELSINKI)
WHEN = "11 Jun 2025, 14:30"

pytestmark = pytest.mark.time_machine(NOW, tick=False)


def state(card, reward):
    """What a refused call must leave alone: balance, stock, vouchers and ledger lines."""
    card.refresh_from_db()
    reward.refresh_from_db()
    return (
        card.balance,
        reward.stock,
        Redemption.objects.count(),
        PointTransaction.objects.filter(card=card).count(),
    )


def lines(card, kind):
    return list(PointTransaction.objects.filter(card=card, kind=kind))


@pytest.fixture
def rich_card(card):
    return top_up(card, 950)  # balance 1000, Silver


# Redeeming ------------------------------------------------------------------------------------


def test_redeeming_spends_points_through_the_ledger_and_issues_a_voucher(rich_card):
    reward = RewardFactory(name="Cinnamon bun", points_cost=120, stock=5, valid_days=14)

    redemption = services.redeem(rich_card, reward, quantity=2)

    rich_card.refresh_from_db()
    reward.refresh_from_db()
    assert rich_card.balance == 1000 - 240
    (line,) = lines(rich_card, Kind.REDEMPTION)
    assert line.points == -240
    assert line.balance_after == 760
    assert line.source == redemption
    assert line.note == "Cinnamon bun"
    assert reward.stock == 3
    assert (redemption.quantity, redemption.points) == (2, 240)
    assert redemption.status == RedemptionStatus.ISSUED
    assert len(redemption.code) == 10
    assert set(redemption.code) <= set(VOUCHER_ALPHABET)
    assert redemption.valid_until == NOW + datetime.timedelta(days=14)


def test_unlimited_reward_keeps_no_stock_count(rich_card):
    reward = RewardFactory(stock=None)
    services.redeem(rich_card, reward, quantity=3)
    reward.refresh_from_db()
    assert reward.stock is None


@pytest.mark.parametrize("quantity", [0, -1, 11, True, 1.0, "1"])
def test_quantity_outside_one_to_ten_is_refused_and_changes_nothing(rich_card, quantity):
    reward = RewardFactory(stock=20)
    before = state(rich_card, reward)

    with pytest.raises(InvalidQuantity, match="Choose a quantity from 1 to 10."):
        services.redeem(rich_card, reward, quantity=quantity)

    assert state(rich_card, reward) == before


@pytest.mark.parametrize(
    "fields",
    [
        {"is_active": False},
        {"available_from": NOW + datetime.timedelta(minutes=1)},
        {"available_until": NOW},
        {"available_until": NOW - datetime.timedelta(days=1)},
    ],
    ids=["inactive", "not-yet-open", "closing-now", "closed"],
)
def test_reward_not_on_offer_is_refused_and_changes_nothing(rich_card, fields):
    reward = RewardFactory(stock=5, **fields)
    before = state(rich_card, reward)

    with pytest.raises(RewardUnavailable, match="not available right now"):
        services.redeem(rich_card, reward)

    assert state(rich_card, reward) == before


def test_reward_inside_its_window_can_be_redeemed(rich_card):
    reward = RewardFactory(
        available_from=NOW - datetime.timedelta(days=1),
        available_until=NOW + datetime.timedelta(minutes=1),
    )
    assert services.redeem(rich_card, reward).status == RedemptionStatus.ISSUED


@pytest.mark.parametrize(("stock", "quantity"), [(0, 1), (2, 3)])
def test_more_than_the_stock_left_is_refused_and_changes_nothing(rich_card, stock, quantity):
    reward = RewardFactory(stock=stock)
    before = state(rich_card, reward)

    with pytest.raises(SoldOut, match="sold out"):
        services.redeem(rich_card, reward, quantity=quantity)

    assert state(rich_card, reward) == before


def test_the_last_units_can_be_redeemed_and_then_it_is_sold_out(rich_card):
    reward = RewardFactory(stock=2)
    services.redeem(rich_card, reward, quantity=2)
    reward.refresh_from_db()
    assert reward.stock == 0
    with pytest.raises(SoldOut):
        services.redeem(rich_card, reward)


def test_reward_for_a_higher_tier_is_refused_and_changes_nothing(card, tiers):
    card = top_up(card, 950)
    assert card.tier.name == "Silver"
    reward = RewardFactory(minimum_tier=tiers[2], stock=5)
    before = state(card, reward)

    with pytest.raises(TierTooLow, match="This reward is for Gold members and above."):
        services.redeem(card, reward)

    assert state(card, reward) == before


def test_reward_for_a_lower_tier_can_be_redeemed(rich_card, tiers):
    reward = RewardFactory(minimum_tier=tiers[1])  # Silver: the card's own tier
    assert services.redeem(rich_card, reward).status == RedemptionStatus.ISSUED


def test_member_limit_counts_issued_and_used_vouchers(rich_card, staff):
    reward = RewardFactory(per_member_limit=3)
    used = services.redeem(rich_card, reward)
    services.fulfil_redemption(used, staff=staff)
    services.redeem(rich_card, reward)
    before = state(rich_card, reward)

    with pytest.raises(LimitReached, match="as often as allowed"):
        services.redeem(rich_card, reward, quantity=2)

    assert state(rich_card, reward) == before
    services.redeem(rich_card, reward, quantity=1)  # the third and last one
    with pytest.raises(LimitReached):
        services.redeem(rich_card, reward)


def test_cancelled_and_expired_vouchers_do_not_count_towards_the_limit(
    rich_card, member, time_machine
):
    reward = RewardFactory(per_member_limit=1, valid_days=7)
    cancelled = services.redeem(rich_card, reward)
    services.cancel_redemption(cancelled, by=member)
    services.redeem(rich_card, reward)
    time_machine.move_to(NOW + datetime.timedelta(days=8), tick=False)
    assert services.expire_vouchers() == 1

    services.redeem(rich_card, reward)

    with pytest.raises(LimitReached):
        services.redeem(rich_card, reward)


def test_balance_too_low_is_refused_with_the_cost_and_changes_nothing(card):
    reward = RewardFactory(points_cost=120)
    before = state(card, reward)

    with pytest.raises(InsufficientPoints, match="This needs 120 points; the card has 50."):
        services.redeem(card, reward)

    assert state(card, reward) == before


def test_negative_balance_after_a_reversal_cannot_redeem(card, staff):
    purchase = loyalty_services.record_purchase(
        card, Decimal("100"), reference="R1", staff=staff
    ).line
    services.redeem(card, RewardFactory(points_cost=150))  # 50 + 100 + 25 - 150 = 25
    loyalty_services.reverse_purchase(purchase, staff=staff, reason="Refunded the cake")
    cheap = RewardFactory(points_cost=1)
    before = state(card, cheap)
    assert before[0] == -75

    with pytest.raises(InsufficientPoints, match="the card has -75"):
        services.redeem(card, cheap)

    assert state(card, cheap) == before


def test_blocked_card_cannot_redeem(rich_card, staff):
    loyalty_services.block_card(rich_card, staff=staff, reason="Reported lost")
    reward = RewardFactory(stock=5)
    before = state(rich_card, reward)

    with pytest.raises(CardNotActive):
        services.redeem(rich_card, reward)

    assert state(rich_card, reward) == before


def test_donation_is_fulfilled_at_once_and_counts_as_donated(rich_card):
    assert services.donated_points() == 0
    services.redeem(rich_card, RewardFactory(kind=RewardKind.FREE_ITEM, points_cost=100))
    donation = RewardFactory(kind=RewardKind.DONATION, points_cost=50)

    first = services.redeem(rich_card, donation)
    services.redeem(rich_card, donation, quantity=3)

    assert first.status == RedemptionStatus.FULFILLED
    assert first.fulfilled_at == NOW
    assert services.donated_points() == 50 + 150
    with pytest.raises(NotCancellable):
        services.cancel_redemption(first, by=None)
    assert services.donated_points() == 200


# Cancelling and expiring ----------------------------------------------------------------------


def test_cancelling_refunds_the_points_and_restocks_once(rich_card, member):
    reward = RewardFactory(points_cost=200, stock=3)
    redemption = services.redeem(rich_card, reward, quantity=2)

    cancelled = services.cancel_redemption(redemption, by=member)

    rich_card.refresh_from_db()
    reward.refresh_from_db()
    assert rich_card.balance == 1000
    assert reward.stock == 3
    assert cancelled.status == RedemptionStatus.CANCELLED
    assert (cancelled.closed_at, cancelled.closed_by) == (NOW, member)
    (refund,) = lines(rich_card, Kind.REDEMPTION_REFUND)
    assert refund.points == 400
    assert refund.source == redemption

    with pytest.raises(NotCancellable, match="Only a voucher that has not been used"):
        services.cancel_redemption(redemption, by=member)

    assert state(rich_card, reward)[:2] == (1000, 3)
    assert len(lines(rich_card, Kind.REDEMPTION_REFUND)) == 1


def test_used_voucher_cannot_be_cancelled(rich_card, member, staff):
    reward = RewardFactory(stock=3)
    redemption = services.redeem(rich_card, reward)
    services.fulfil_redemption(redemption, staff=staff)
    before = state(rich_card, reward)

    with pytest.raises(NotCancellable):
        services.cancel_redemption(redemption, by=member)

    assert state(rich_card, reward) == before
    redemption.refresh_from_db()
    assert redemption.status == RedemptionStatus.FULFILLED


def test_cancelling_a_voucher_past_its_validity_expires_it_and_keeps_the_refund(
    rich_card, member, time_machine
):
    reward = RewardFactory(points_cost=200, stock=3, valid_days=7)
    redemption = services.redeem(rich_card, reward)
    time_machine.move_to(NOW + datetime.timedelta(days=7), tick=False)

    with pytest.raises(NotCancellable, match="had expired; its points are back on the card"):
        services.cancel_redemption(redemption, by=member)

    redemption.refresh_from_db()
    assert redemption.status == RedemptionStatus.EXPIRED
    assert state(rich_card, reward)[:2] == (1000, 3)
    assert len(lines(rich_card, Kind.REDEMPTION_REFUND)) == 1


def test_daily_expiry_refunds_and_restocks_once_even_if_run_twice(rich_card, time_machine):
    reward = RewardFactory(points_cost=100, stock=10)
    short = services.redeem(rich_card, RewardFactory(points_cost=100, stock=10, valid_days=7))
    services.redeem(rich_card, reward)  # valid 30 days
    short_reward = short.reward
    time_machine.move_to(NOW + datetime.timedelta(days=8), tick=False)

    assert services.expire_vouchers() == 1
    assert services.expire_vouchers() == 0

    short.refresh_from_db()
    short_reward.refresh_from_db()
    assert short.status == RedemptionStatus.EXPIRED
    assert short.closed_at == NOW + datetime.timedelta(days=8)
    assert short_reward.stock == 10
    assert Redemption.objects.filter(status=RedemptionStatus.ISSUED).count() == 1
    (refund,) = lines(rich_card, Kind.REDEMPTION_REFUND)
    assert refund.points == 100
    assert refund.source == short
    rich_card.refresh_from_db()
    assert rich_card.balance == 1000 - 100


def test_voucher_is_not_expired_before_its_last_moment(rich_card, time_machine):
    redemption = services.redeem(rich_card, RewardFactory(valid_days=7))
    time_machine.move_to(NOW + datetime.timedelta(days=7, seconds=-1), tick=False)

    assert services.expire_vouchers() == 0
    assert services.expire_if_due(redemption).status == RedemptionStatus.ISSUED
    assert lines(rich_card, Kind.REDEMPTION_REFUND) == []


def test_expire_if_due_expires_on_first_look_and_only_once(rich_card, time_machine):
    reward = RewardFactory(points_cost=300, stock=1, valid_days=7)
    redemption = services.redeem(rich_card, reward)
    time_machine.move_to(NOW + datetime.timedelta(days=30), tick=False)

    first = services.expire_if_due(redemption)
    again = services.expire_if_due(redemption)  # a stale copy that still says issued

    assert first.status == again.status == RedemptionStatus.EXPIRED
    assert state(rich_card, reward)[:2] == (1000, 1)
    assert len(lines(rich_card, Kind.REDEMPTION_REFUND)) == 1
    assert services.expire_vouchers() == 0


# Fulfilling at the counter --------------------------------------------------------------------


def test_fulfilling_marks_the_voucher_used_once_and_names_when_and_who(rich_card, staff):
    redemption = services.redeem(rich_card, RewardFactory())

    used = services.fulfil_redemption(redemption, staff=staff)

    assert used.status == RedemptionStatus.FULFILLED
    assert (used.fulfilled_at, used.fulfilled_by) == (NOW, staff)
    with pytest.raises(VoucherAlreadyUsed) as refused:
        services.fulfil_redemption(redemption, staff=staff)
    assert str(refused.value) == (
        f"This voucher was already used on {WHEN} (by {staff.get_full_name()})."
    )
    rich_card.refresh_from_db()
    assert rich_card.balance == 900  # fulfilling moves no points


def test_fulfilling_a_cancelled_voucher_says_it_was_cancelled(rich_card, member, staff):
    redemption = services.redeem(rich_card, RewardFactory())
    services.cancel_redemption(redemption, by=member)

    with pytest.raises(VoucherCancelled) as refused:
        services.fulfil_redemption(redemption, staff=staff)

    assert str(refused.value) == (
        f"This voucher was cancelled on {WHEN} and its points were refunded."
    )
    redemption.refresh_from_db()
    assert redemption.status == RedemptionStatus.CANCELLED


def test_fulfilling_an_expired_voucher_says_it_expired(rich_card, staff, time_machine):
    redemption = services.redeem(rich_card, RewardFactory(valid_days=7))
    time_machine.move_to(NOW + datetime.timedelta(days=9), tick=False)
    services.expire_vouchers()

    with pytest.raises(VoucherExpired) as refused:
        services.fulfil_redemption(redemption, staff=staff)

    assert str(refused.value) == (
        "This voucher expired on 18 Jun 2025, 14:30 and its points were refunded."
    )
    assert len(lines(rich_card, Kind.REDEMPTION_REFUND)) == 1


def test_fulfilling_a_voucher_past_its_validity_expires_it_and_refunds_once(
    rich_card, staff, time_machine
):
    reward = RewardFactory(points_cost=250, stock=4, valid_days=7)
    redemption = services.redeem(rich_card, reward)
    time_machine.move_to(NOW + datetime.timedelta(days=9), tick=False)

    with pytest.raises(VoucherExpired, match="its points were refunded"):
        services.fulfil_redemption(redemption, staff=staff)
    with pytest.raises(VoucherExpired):
        services.fulfil_redemption(redemption, staff=staff)

    redemption.refresh_from_db()
    assert redemption.status == RedemptionStatus.EXPIRED
    assert redemption.fulfilled_by is None
    assert state(rich_card, reward)[:2] == (1000, 4)
    assert len(lines(rich_card, Kind.REDEMPTION_REFUND)) == 1


# Voucher codes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("ABCDEFGHJK", "ABCDEFGHJK"),
        ("abcde-fghjk", "ABCDEFGHJK"),
        (" 23456-789xy ", "23456789XY"),
        ("abcde fghjk", "ABCDEFGHJK"),
    ],
)
def test_code_is_read_in_any_case_with_a_dash_or_space(typed, code):
    assert services.normalise_code(typed) == code


@pytest.mark.parametrize(
    "typed",
    [
        "ABCDEFGHJI",  # I looks like 1
        "ABCDEFGHJO",  # O looks like 0
        "ABCDEFGHJ0",
        "ABCDEFGHJ1",
        "ABCDEFGHJ",
        "ABCDEFGHJKL",
        "ABCDE_FGHJK",
        "",
        None,
    ],
)
def test_code_with_look_alikes_or_the_wrong_length_is_refused(typed):
    with pytest.raises(InvalidVoucherCode, match="codes have 10 characters"):
        services.normalise_code(typed)


@settings(max_examples=300)
@given(
    separator=st.sampled_from(["", "-", " "]),
    case=st.sampled_from([str.upper, str.lower]),
)
def test_every_new_code_has_ten_unambiguous_characters_and_reads_back(separator, case):
    code = services.new_voucher_code()

    assert len(code) == 10
    assert set(code) <= set(VOUCHER_ALPHABET)
    assert not set(code) & set("IO01")
    assert services.normalise_code(case(code[:5] + separator + code[5:])) == code


@given(
    code=st.text(alphabet=VOUCHER_ALPHABET, min_size=10, max_size=10),
    position=st.integers(0, 9),
    look_alike=st.sampled_from("IO01io"),
)
def test_a_look_alike_anywhere_in_a_code_is_refused(code, position, look_alike):
    typed = code[:position] + look_alike + code[position + 1 :]
    with pytest.raises(InvalidVoucherCode):
        services.normalise_code(typed)


# Paying with points ---------------------------------------------------------------------------


def test_paying_with_points_takes_them_off_with_the_receipt(card, staff, program):
    card = top_up(card, 450)  # 500

    payment = services.pay_with_points(card, 200, staff=staff, reference=" R-77 ")

    line = payment.line
    card.refresh_from_db()
    assert card.balance == 300
    assert (payment.created, payment.points, payment.value) == (True, 200, Decimal("10.00"))
    assert (line.kind, line.points, line.balance_after) == (Kind.REDEMPTION, -200, 300)
    assert line.reference == "R-77"
    assert line.created_by == staff
    assert line.note == "Paid 10.00 with points"  # 200 × 0.05


def test_same_receipt_paid_twice_is_paid_once(card, staff, program):
    card = top_up(card, 450)
    first = services.pay_with_points(card, 200, staff=staff, reference="R-77")

    again = services.pay_with_points(card, 200, staff=staff, reference="R-77")

    assert first.created
    assert not again.created
    assert again.line.pk == first.line.pk
    assert (again.points, again.value) == (200, Decimal("10.00"))
    card.refresh_from_db()
    assert card.balance == 300
    assert len(lines(card, Kind.REDEMPTION)) == 1
    services.pay_with_points(card, 100, staff=staff, reference="R-78")  # another receipt
    card.refresh_from_db()
    assert card.balance == 200


@pytest.mark.parametrize("points", [150, 50, 0, -100, True, 100.0])
def test_points_not_in_the_programs_steps_are_refused(card, staff, program, points):
    card = top_up(card, 450)

    with pytest.raises(InvalidPayment, match="allowed steps"):
        services.pay_with_points(card, points, staff=staff, reference="R-1")

    card.refresh_from_db()
    assert card.balance == 500
    assert lines(card, Kind.REDEMPTION) == []


def test_steps_follow_the_program(card, staff, program):
    program.pay_with_points_step = 25
    program.save()
    card = top_up(card, 450)

    services.pay_with_points(card, 75, staff=staff, reference="R-1")

    card.refresh_from_db()
    assert card.balance == 425


def test_paying_more_than_the_balance_is_refused(card, staff, program):
    card = top_up(card, 450)  # 500

    with pytest.raises(InsufficientPoints):
        services.pay_with_points(card, 600, staff=staff, reference="R-1")

    services.pay_with_points(card, 500, staff=staff, reference="R-2")  # all of it is fine
    card.refresh_from_db()
    assert card.balance == 0
    with pytest.raises(InsufficientPoints):
        services.pay_with_points(card, 100, staff=staff, reference="R-3")


@pytest.mark.parametrize("reference", ["", "   ", None])
def test_paying_with_points_needs_a_receipt_number(card, staff, program, reference):
    card = top_up(card, 450)

    with pytest.raises(InvalidPayment, match="Enter the receipt number."):
        services.pay_with_points(card, 100, staff=staff, reference=reference)

    card.refresh_from_db()
    assert card.balance == 500
