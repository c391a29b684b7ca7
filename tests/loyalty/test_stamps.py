"""Stamp cards: stamps with purchases, full cards and their vouchers, reversals, expiry and
the stamp ledger's check."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from loyalty import services, stamps
from loyalty.models import (
    StampCard,
    StampKind,
    StampLine,
    StampProgress,
    StampRule,
    Store,
)
from rewards import services as reward_services
from rewards.models import Redemption, RedemptionStatus
from tests.rewards.factories import RewardFactory


@pytest.fixture
def coffee(db):
    reward = RewardFactory(name="Free coffee", points_cost=1, stock=None)
    return StampCard.objects.create(
        name="Coffee card", stamps_needed=9, rule=StampRule.VISIT, reward=reward
    )


def buy(card, staff, receipt, amount="4.50", **kwargs):
    return services.record_purchase(card, amount, reference=receipt, staff=staff, **kwargs)


def progress(card, stamp_card):
    return StampProgress.objects.get(card=card, stamp_card=stamp_card)


def vouchers(card):
    return list(Redemption.objects.filter(card=card, stamp_line__isnull=False))


def test_each_visit_stamps_the_card_and_the_ninth_issues_the_free_coffee(card, staff, coffee):
    for number in range(8):
        result = buy(card, staff, f"R-{number}")
    (stamped,) = result.stamps
    assert (stamped.added, stamped.stamps, stamped.completed) == (1, 8, 0)
    assert vouchers(card) == []

    (stamped,) = buy(card, staff, "R-8").stamps
    assert (stamped.stamps, stamped.completed) == (0, 1)
    (voucher,) = stamped.vouchers
    assert voucher.reward.name == "Free coffee" and voucher.points == 0
    assert voucher.status == RedemptionStatus.ISSUED
    assert vouchers(card) == [voucher]
    state = progress(card, coffee)
    assert (state.stamps, state.completed, state.started_at) == (0, 1, None)
    # Stamps cost the member no points: the balance only grew with the purchases.
    completion = StampLine.objects.get(kind=StampKind.COMPLETION)
    assert completion.stamps == -9 and completion.stamps_after == 0


def test_items_stamp_each_and_the_extra_stamps_carry_over(card, staff, coffee):
    coffee.rule = StampRule.ITEMS
    coffee.save()
    buy(card, staff, "R-1", items=7)
    (stamped,) = buy(card, staff, "R-2", items=4).stamps
    assert (stamped.added, stamped.stamps, stamped.completed) == (4, 2, 1)
    (stamped,) = buy(card, staff, "R-3", items=20).stamps
    assert (stamped.stamps, stamped.completed) == (4, 2)
    assert len(vouchers(card)) == 3
    assert progress(card, coffee).completed == 3


def test_a_purchase_under_the_amount_earns_no_stamp(card, staff, coffee):
    coffee.rule = StampRule.AMOUNT
    coffee.minimum_amount = Decimal("10.00")
    coffee.save()
    assert buy(card, staff, "R-1", amount="9.99").stamps == ()
    (stamped,) = buy(card, staff, "R-2", amount="10.00").stamps
    assert stamped.stamps == 1


def test_at_most_one_stamp_a_day_when_the_owner_says_so(card, staff, coffee):
    coffee.one_per_visit = True
    coffee.rule = StampRule.ITEMS
    coffee.save()
    with time_machine.travel(datetime.datetime(2026, 6, 1, 9, tzinfo=datetime.UTC)):
        assert buy(card, staff, "R-1", items=3).stamps[0].added == 1
        assert buy(card, staff, "R-2").stamps == ()
    with time_machine.travel(datetime.datetime(2026, 6, 2, 9, tzinfo=datetime.UTC)):
        assert buy(card, staff, "R-3").stamps[0].stamps == 2


def test_only_the_branches_taking_part_stamp(card, staff, coffee):
    uptown = Store.objects.create(name="Uptown")
    coffee.stores.set([uptown])
    assert buy(card, staff, "R-1").stamps == ()
    assert buy(card, staff, "R-2", store=uptown).stamps[0].stamps == 1


def test_the_same_receipt_stamps_once(card, staff, coffee):
    buy(card, staff, "R-1")
    again = buy(card, staff, "R-1")
    assert again.created is False and again.stamps == ()
    assert progress(card, coffee).stamps == 1
    assert StampLine.objects.count() == 1


@pytest.mark.parametrize("items", [0, 100, -1, "x", "٣", "1.5", True])
def test_a_wrong_number_of_items_records_nothing(card, staff, coffee, items):
    with pytest.raises(stamps.InvalidItems):
        buy(card, staff, "R-1", items=items)
    assert not card.transactions.filter(kind="purchase").exists()
    assert not StampLine.objects.exists()


def test_a_reversal_takes_its_stamps_back(card, staff, coffee):
    buy(card, staff, "R-1")
    line = buy(card, staff, "R-2").line
    services.reverse_purchase(line, staff=staff, reason="Wrong card")
    assert progress(card, coffee).stamps == 1
    reversal = StampLine.objects.get(kind=StampKind.REVERSAL)
    assert (reversal.stamps, reversal.purchase) == (-1, line)


def test_reversing_the_stamp_that_filled_the_card_cancels_the_unused_voucher(card, staff, coffee):
    for number in range(8):
        buy(card, staff, f"R-{number}")
    last = buy(card, staff, "R-8")
    (voucher,) = last.stamps[0].vouchers

    services.reverse_purchase(last.line, staff=staff, reason="Refunded")

    voucher.refresh_from_db()
    assert voucher.status == RedemptionStatus.CANCELLED
    state = progress(card, coffee)
    assert (state.stamps, state.completed) == (8, 0)
    kinds = list(StampLine.objects.order_by("pk").values_list("kind", flat=True))[-3:]
    assert kinds == [StampKind.COMPLETION, StampKind.COMPLETION_UNDONE, StampKind.REVERSAL]
    # The next visit fills the card again, with a new voucher.
    assert len(buy(card, staff, "R-9").stamps[0].vouchers) == 1


def test_a_used_voucher_stays_used_and_the_card_is_left_short_never_negative(card, staff, coffee):
    coffee.rule = StampRule.ITEMS
    coffee.save()
    first = buy(card, staff, "R-1", items=5)
    (voucher,) = buy(card, staff, "R-2", items=5).stamps[0].vouchers  # 10: full, 1 carried
    reward_services.fulfil_redemption(voucher, staff=staff)

    services.reverse_purchase(first.line, staff=staff, reason="Refunded")

    voucher.refresh_from_db()
    assert voucher.status == RedemptionStatus.FULFILLED
    state = progress(card, coffee)
    assert (state.stamps, state.completed) == (0, 1)
    reversal = StampLine.objects.get(kind=StampKind.REVERSAL)
    assert reversal.stamps == -1  # only what was left on the card


def test_a_card_in_progress_expires_after_its_days(card, staff, coffee):
    coffee.days_to_complete = 30
    coffee.save()
    with time_machine.travel(datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.UTC)):
        buy(card, staff, "R-1")
        buy(card, staff, "R-2")
    assert stamps.expire_stamps(datetime.datetime(2026, 3, 30, 9, tzinfo=datetime.UTC)) == 0
    assert stamps.expire_stamps(datetime.datetime(2026, 4, 1, 9, tzinfo=datetime.UTC)) == 1
    state = progress(card, coffee)
    assert (state.stamps, state.started_at) == (0, None)
    assert StampLine.objects.filter(kind=StampKind.EXPIRY).get().stamps == -2
    assert stamps.expire_stamps(datetime.datetime(2026, 4, 2, 9, tzinfo=datetime.UTC)) == 0


def test_progress_for_the_member_home_shows_each_active_card(card, staff, coffee):
    reward = coffee.reward
    StampCard.objects.create(name="Bread card", stamps_needed=5, reward=reward)
    StampCard.objects.create(name="Old card", stamps_needed=5, reward=reward, is_active=False)
    buy(card, staff, "R-1")
    rows = stamps.progress_of(card)
    assert [(row["stamp_card"].name, row["stamps"]) for row in rows] == [
        ("Bread card", 1),
        ("Coffee card", 1),
    ]
    assert rows[1]["label"] == "1 of 9 stamps"
    assert rows[1]["squares"] == [True] + [False] * 8


@pytest.mark.ledger_broken_on_purpose
def test_check_ledger_finds_stamps_that_do_not_add_up(card, staff, coffee):
    buy(card, staff, "R-1")
    call_command("check_ledger", stdout=StringIO())
    StampProgress.objects.update(stamps=5)
    errors = StringIO()
    with pytest.raises(CommandError):
        call_command("check_ledger", stdout=StringIO(), stderr=errors)
    assert "Coffee card" in errors.getvalue() and "stamps 5, ledger sum 1" in errors.getvalue()


def test_erasing_a_member_forfeits_the_stamps_and_cancels_the_free_coffee(
    card, member, staff, coffee
):
    from suki import privacy
    from suki.models import PrivacySource

    for number in range(11):
        buy(card, staff, f"R-{number}")
    (voucher,) = vouchers(card)
    privacy.erase(member, source=PrivacySource.PORTAL)
    voucher.refresh_from_db()
    assert voucher.status == RedemptionStatus.CANCELLED
    assert progress(card, coffee).stamps == 0
    assert StampLine.objects.filter(kind=StampKind.FORFEIT).get().stamps == -2
