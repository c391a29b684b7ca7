import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from loyalty import cardnumbers, selectors, services
from loyalty.exceptions import (
    AlreadyReversed,
    CardNotActive,
    CardNotFound,
    InsufficientPoints,
    InvalidAmount,
    InvalidCardNumber,
    InvalidPoints,
    MissingReason,
    MissingReference,
    NotAllowed,
    NotReversible,
    ReceiptUsedOnAnotherCard,
)
from loyalty.models import BonusDay, CardStatus, Kind, PointTransaction, TierChange
from tests.factories import UserFactory, make_card

HELSINKI = ZoneInfo("Europe/Helsinki")
# A Wednesday at noon; the clock stands still unless a test moves it.
NOW = datetime.datetime(2025, 6, 11, 12, 0, tzinfo=HELSINKI)
TODAY = NOW.date()
FRIDAY = datetime.datetime(2025, 6, 13, 12, 0, tzinfo=HELSINKI)
SATURDAY = datetime.datetime(2025, 6, 14, 12, 0, tzinfo=HELSINKI)

# The default program: 1 point per unit, 50 welcome points, 25 for the first purchase.
pytestmark = pytest.mark.time_machine(NOW, tick=False)


def buy(card, amount, reference, staff):
    return services.record_purchase(card, amount, reference=reference, staff=staff).line


def balance_of(card):
    card.refresh_from_db()
    return card.balance


def purchase_lines(card):
    return PointTransaction.objects.filter(card=card, kind=Kind.PURCHASE)


def make_bonus_day(**fields):
    fields = {"name": "Bonus day", "starts_on": TODAY, "ends_on": TODAY, **fields}
    return BonusDay.objects.create(**fields)


def reach_silver(card):
    """50 welcome points + 450 goodwill = 500 earned, Silver's threshold."""
    services.award_bonus(card, Kind.GOODWILL, 450, note="Loyal customer")
    card.refresh_from_db()
    assert card.tier.name == "Silver"


# Earning ------------------------------------------------------------------------------------


def test_purchase_earns_floor_of_amount_times_rate_tier_and_bonus_day(card, staff):
    reach_silver(card)
    make_bonus_day(name="Double points", multiplier=Decimal("2.00"))

    line = buy(card, Decimal("12.99"), "R-1", staff)

    # 12.99 × 1 × 1.25 (Silver) × 2 = 32.475, rounded down.
    assert line.points == 32
    assert (line.tier_name, line.tier_multiplier) == ("Silver", Decimal("1.25"))
    assert (line.bonus_day_name, line.bonus_multiplier) == ("Double points", Decimal("2.00"))
    assert line.amount == Decimal("12.99")
    assert balance_of(card) == 500 + 32 + 25


def test_points_per_unit_comes_from_the_program(card, staff, program):
    program.points_per_unit = Decimal("2.50")
    program.save()

    line = buy(card, "10.01", "R-1", staff)

    assert line.points == 25  # floor(25.025)


def test_best_multiplier_and_best_flat_bonus_apply_not_their_sum(card, staff):
    make_bonus_day(name="Small", multiplier=Decimal("1.50"), flat_bonus=30)
    make_bonus_day(name="Big", multiplier=Decimal("3.00"), flat_bonus=10)

    line = buy(card, "10.00", "R-1", staff)

    assert line.points == 10 * 3 + 30
    assert line.bonus_points == 30
    assert line.bonus_multiplier == Decimal("3.00")


def test_inactive_or_past_bonus_days_do_not_apply(card, staff):
    make_bonus_day(multiplier=Decimal("2.00"), is_active=False)
    yesterday = TODAY - datetime.timedelta(days=1)
    make_bonus_day(multiplier=Decimal("3.00"), starts_on=yesterday, ends_on=yesterday)

    assert buy(card, "10.00", "R-1", staff).points == 10


def test_first_purchase_earns_the_first_purchase_bonus_once(card, staff):
    first = buy(card, "10.00", "R-1", staff)
    services.reverse_purchase(first, staff=staff, reason="Returned")
    buy(card, "10.00", "R-2", staff)
    buy(card, "10.00", "R-3", staff)

    bonuses = PointTransaction.objects.filter(card=card, kind=Kind.FIRST_PURCHASE_BONUS)
    assert [line.points for line in bonuses] == [25]
    assert balance_of(card) == 50 + 25 + 10 + 10


def test_new_card_starts_in_the_entry_tier(card):
    card.refresh_from_db()
    assert card.tier.name == "Bronze"


def test_tier_goes_up_as_soon_as_earnings_in_the_window_cross_the_threshold(card, staff, tiers):
    bronze, silver, _gold = tiers
    buy(card, "424.00", "R-1", staff)  # 50 + 424 + 25 = 499 earned
    card.refresh_from_db()
    assert card.tier == bronze

    buy(card, "1.00", "R-2", staff)  # 500 earned

    card.refresh_from_db()
    assert card.tier == silver
    change = TierChange.objects.get(card=card, to_tier=silver)
    assert change.from_tier == bronze
    assert change.reason == "500 points earned"
    # The very next purchase earns at Silver's 1.25×.
    assert buy(card, "10.00", "R-3", staff).points == 12


def test_points_earned_before_the_tier_window_do_not_count(member, staff, tiers, time_machine):
    time_machine.move_to(NOW - datetime.timedelta(days=400), tick=False)
    card = make_card(member)
    services.award_bonus(card, Kind.GOODWILL, 400)  # 450 earned, long ago
    time_machine.move_to(NOW, tick=False)

    buy(card, "60.00", "R-1", staff)  # 85 earned in the last 12 months

    card.refresh_from_db()
    assert card.tier.name == "Bronze"


def test_spent_points_do_not_lower_the_tier_progress(card):
    services.spend_points(card, 50, note="Free coffee")
    services.award_bonus(card, Kind.GOODWILL, 450)

    card.refresh_from_db()
    assert card.balance == 450
    assert card.tier.name == "Silver"


def test_bonus_day_with_a_minimum_tier_applies_only_to_that_tier_and_above(
    card, outsider_card, staff, tiers
):
    _bronze, silver, _gold = tiers
    make_bonus_day(name="Silver double", multiplier=Decimal("2.00"), minimum_tier=silver)
    gold_card = make_card(holder_name="Gloria Gold")
    services.award_bonus(gold_card, Kind.GOODWILL, 1450)
    reach_silver(outsider_card)

    assert buy(card, "10.00", "R-1", staff).points == 10  # Bronze: no bonus
    assert buy(outsider_card, "10.00", "R-2", staff).points == 25  # 10 × 1.25 × 2
    assert buy(gold_card, "10.00", "R-3", staff).points == 30  # 10 × 1.5 × 2


def test_weekday_bonus_day_applies_on_its_weekdays_only(card, staff, time_machine):
    make_bonus_day(
        name="Saturday double",
        starts_on=datetime.date(2025, 6, 9),
        ends_on=datetime.date(2025, 6, 15),
        weekdays=[5],
        multiplier=Decimal("2.00"),
    )

    time_machine.move_to(FRIDAY, tick=False)
    friday = buy(card, "10.00", "R-1", staff)
    time_machine.move_to(SATURDAY, tick=False)
    saturday = buy(card, "10.00", "R-2", staff)

    assert (friday.points, friday.bonus_day_name) == (10, "")
    assert (saturday.points, saturday.bonus_day_name) == (20, "Saturday double")


# Receipts and amounts -----------------------------------------------------------------------


def test_double_submitted_receipt_is_recorded_once(card, staff):
    first = buy(card, "12.50", "R-1", staff)
    balance = balance_of(card)

    again = buy(card, "12.50", " R-1 ", staff)

    assert again.pk == first.pk
    assert balance_of(card) == balance
    assert purchase_lines(card).count() == 1


def test_recording_a_purchase_says_whether_it_added_the_line(card, staff):
    first = services.record_purchase(card, "12.50", reference="R-1", staff=staff)
    again = services.record_purchase(card, "12.50", reference="R-1", staff=staff)

    assert (first.created, again.created) == (True, False)
    assert again.line == first.line


def test_receipt_another_till_wrote_in_the_meantime_is_reported_as_already_recorded(
    card, staff, monkeypatch
):
    bonus_days = services.applicable_bonus_days

    def other_till_records_it_first(tier, day):
        # After this call's receipt check, before its write: the other till's purchase lands.
        monkeypatch.setattr(services, "applicable_bonus_days", bonus_days)
        other_till.append(services.record_purchase(card, "12.50", reference="R-1", staff=staff))
        return bonus_days(tier, day)

    other_till = []
    monkeypatch.setattr(services, "applicable_bonus_days", other_till_records_it_first)
    recorded = services.record_purchase(card, "12.50", reference="R-1", staff=staff)

    assert other_till[0].created and not recorded.created
    assert recorded.line == other_till[0].line
    assert purchase_lines(card).count() == 1


def test_receipt_recorded_on_another_card_is_refused_naming_that_card(card, outsider_card, staff):
    buy(card, "12.50", "T-1001", staff)

    with pytest.raises(ReceiptUsedOnAnotherCard) as refused:
        buy(outsider_card, "12.50", "T-1001", staff)

    assert str(refused.value) == (
        f"Receipt T-1001 already earned points on card {card.formatted_number} (Maria Reyes). "
        "Nothing was added."
    )
    assert balance_of(outsider_card) == 50
    assert not purchase_lines(outsider_card).exists()


def test_receipt_reversed_on_the_wrong_card_can_be_recorded_on_the_right_one(
    card, outsider_card, staff
):
    wrong = buy(outsider_card, "12.50", "T-1001", staff)
    services.reverse_purchase(wrong, staff=staff, reason="Wrong card")

    right = buy(card, "12.50", "T-1001", staff)

    assert (right.card, right.points) == (card, 12)
    assert balance_of(card) == 50 + 12 + 25
    with pytest.raises(ReceiptUsedOnAnotherCard, match=card.formatted_number):
        buy(make_card(holder_name="Walk-in"), "12.50", "T-1001", staff)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "greater than zero"),
        (Decimal("0.00"), "greater than zero"),
        ("-5.00", "greater than zero"),
        ("abc", "as a number"),
        ("", "as a number"),
        (None, "as a number"),
        ("NaN", "greater than zero"),
        ("Infinity", "greater than zero"),
        ("12.345", "at most two decimals"),
        ("1000.00", "below 1000.00"),
        (Decimal("5000"), "below 1000.00"),
    ],
)
def test_invalid_amount_is_refused_and_nothing_is_written(card, staff, amount, message):
    lines_before = PointTransaction.objects.count()

    with pytest.raises(InvalidAmount, match=message):
        buy(card, amount, "R-1", staff)

    assert PointTransaction.objects.count() == lines_before
    assert balance_of(card) == 50


def test_amount_just_below_the_ceiling_is_accepted(card, staff, program):
    program.purchase_ceiling = Decimal("200.00")
    program.save()

    assert buy(card, "199.99", "R-1", staff).points == 199
    with pytest.raises(InvalidAmount):
        buy(card, "200.00", "R-2", staff)


@pytest.mark.parametrize("reference", ["", "   ", None])
def test_purchase_without_a_receipt_number_is_refused(card, staff, reference):
    with pytest.raises(MissingReference):
        buy(card, "10.00", reference, staff)

    assert not purchase_lines(card).exists()
    assert balance_of(card) == 50


def test_blocked_card_cannot_collect_points(card, staff):
    services.block_card(card, staff=staff, reason="Reported stolen")

    with pytest.raises(CardNotActive):
        buy(card, "10.00", "R-1", staff)

    assert not purchase_lines(card).exists()


# Reversals ----------------------------------------------------------------------------------


def test_reversal_takes_the_purchase_points_back_once(card, staff):
    purchase = buy(card, "100.00", "R-1", staff)

    reversal = services.reverse_purchase(purchase, staff=staff, reason="Goods returned")

    assert reversal.kind == Kind.PURCHASE_REVERSAL
    assert reversal.points == -100
    assert reversal.reversal_of == purchase
    assert reversal.note == "Goods returned"
    assert balance_of(card) == 50 + 25
    with pytest.raises(AlreadyReversed):
        services.reverse_purchase(purchase, staff=staff, reason="Clicked twice")
    assert balance_of(card) == 50 + 25
    assert PointTransaction.objects.filter(kind=Kind.PURCHASE_REVERSAL).count() == 1


def test_a_reversal_cannot_itself_be_reversed(card, staff):
    purchase = buy(card, "100.00", "R-1", staff)
    reversal = services.reverse_purchase(purchase, staff=staff, reason="Goods returned")

    with pytest.raises(NotReversible):
        services.reverse_purchase(reversal, staff=staff, reason="Undo the undo")

    assert balance_of(card) == 50 + 25


def test_only_purchases_can_be_reversed(card, staff):
    welcome = PointTransaction.objects.get(card=card, kind=Kind.SIGNUP_BONUS)

    with pytest.raises(NotReversible):
        services.reverse_purchase(welcome, staff=staff, reason="No")


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_reversal_needs_a_reason(card, staff, reason):
    purchase = buy(card, "100.00", "R-1", staff)

    with pytest.raises(MissingReason):
        services.reverse_purchase(purchase, staff=staff, reason=reason)

    assert not PointTransaction.objects.filter(kind=Kind.PURCHASE_REVERSAL).exists()


def test_reversal_may_take_balance_below_zero_which_blocks_spending(card, staff):
    purchase = buy(card, "100.00", "R-1", staff)  # 50 + 100 + 25 = 175
    services.spend_points(card, 150, note="Cake")

    services.reverse_purchase(purchase, staff=staff, reason="Goods returned")

    assert balance_of(card) == -75
    with pytest.raises(InsufficientPoints):
        services.spend_points(card, 1, note="Sweet")
    assert balance_of(card) == -75
    # Earned back, the card can be spent again.
    buy(card, "76.00", "R-2", staff)
    services.spend_points(card, 1, note="Sweet")
    assert balance_of(card) == 0


def test_spending_more_than_the_balance_is_refused(card):
    with pytest.raises(InsufficientPoints):
        services.spend_points(card, 51)

    line = services.spend_points(card, 50)

    assert (line.kind, line.points, line.balance_after) == (Kind.REDEMPTION, -50, 0)


# Manual adjustments and bonuses -------------------------------------------------------------


def test_staff_may_not_adjust_points(card, staff):
    with pytest.raises(NotAllowed):
        services.adjust_points(card, 100, staff=staff, reason="Because")

    assert not PointTransaction.objects.filter(kind=Kind.ADJUSTMENT).exists()
    assert balance_of(card) == 50


def test_owner_adjusts_points_with_a_reason(card, owner):
    line = services.adjust_points(card, -20, staff=owner, reason="Double-scanned coupon")

    assert (line.kind, line.points, line.note) == (Kind.ADJUSTMENT, -20, "Double-scanned coupon")
    assert line.created_by == owner
    assert balance_of(card) == 30


@pytest.mark.parametrize("reason", ["", "  ", None])
def test_adjustment_needs_a_reason(card, owner, reason):
    with pytest.raises(MissingReason):
        services.adjust_points(card, 10, staff=owner, reason=reason)

    assert balance_of(card) == 50


def test_adjustment_cannot_take_the_balance_below_zero(card, owner):
    with pytest.raises(InsufficientPoints):
        services.adjust_points(card, -51, staff=owner, reason="Correction")
    assert balance_of(card) == 50

    services.adjust_points(card, -50, staff=owner, reason="Correction")
    assert balance_of(card) == 0


@pytest.mark.parametrize("points", [0, 1.5, "10"])
def test_adjustment_must_be_a_whole_number_other_than_zero(card, owner, points):
    with pytest.raises(InvalidPoints):
        services.adjust_points(card, points, staff=owner, reason="Correction")


@pytest.mark.parametrize(
    "kind", [Kind.PURCHASE, Kind.ADJUSTMENT, Kind.REDEMPTION, Kind.EXPIRY, Kind.TRANSFER, "other"]
)
def test_award_bonus_refuses_kinds_that_are_not_bonuses(card, kind):
    with pytest.raises(ValueError, match="not a bonus kind"):
        services.award_bonus(card, kind, 10)

    assert balance_of(card) == 50


@pytest.mark.parametrize("points", [0, -10, 2.5])
def test_award_bonus_refuses_points_that_are_not_positive_whole_numbers(card, points):
    with pytest.raises(InvalidPoints):
        services.award_bonus(card, Kind.GOODWILL, points)

    assert balance_of(card) == 50


def test_award_bonus_records_what_caused_it(card, member, staff):
    line = services.award_bonus(card, Kind.BIRTHDAY_BONUS, 100, source=member, staff=staff)

    assert line.source == member
    assert line.created_by == staff
    assert balance_of(card) == 150


# The ledger itself --------------------------------------------------------------------------


def test_ledger_lines_cannot_be_edited(card):
    line = PointTransaction.objects.get(card=card)
    line.points = 5000

    with pytest.raises(ValueError, match="never changed"):
        line.save()

    assert PointTransaction.objects.get(pk=line.pk).points == 50


def test_ledger_lines_cannot_be_deleted(card):
    line = PointTransaction.objects.get(card=card)

    with pytest.raises(ValueError, match="never deleted"):
        line.delete()

    assert PointTransaction.objects.filter(pk=line.pk).exists()


def test_every_line_carries_the_balance_after_it(card, staff):
    buy(card, "10.00", "R-1", staff)
    services.spend_points(card, 30)

    lines = PointTransaction.objects.filter(card=card).order_by("id")
    assert [(line.points, line.balance_after) for line in lines] == [
        (50, 50),
        (10, 60),
        (25, 85),
        (-30, 55),
    ]


# Expiry -------------------------------------------------------------------------------------

ISSUED = datetime.datetime(2024, 1, 10, 12, 0, tzinfo=HELSINKI)


def test_points_expire_after_the_expiry_months_without_activity_exactly_once(
    member, outsider, tiers, time_machine
):
    time_machine.move_to(ISSUED, tick=False)
    idle = make_card(member)
    busy = make_card(outsider)
    time_machine.move_to(ISSUED + datetime.timedelta(days=200), tick=False)
    services.award_bonus(busy, Kind.SURVEY_BONUS, 20)
    time_machine.move_to(datetime.datetime(2025, 1, 11, 9, 0, tzinfo=HELSINKI), tick=False)

    assert services.expire_inactive_points(datetime.date(2025, 1, 11)) == 1
    assert services.expire_inactive_points(datetime.date(2025, 1, 11)) == 0

    expired = PointTransaction.objects.get(kind=Kind.EXPIRY)
    assert (expired.card, expired.points) == (idle, -50)
    assert expired.note == "No activity since 2024-01-10"
    assert balance_of(idle) == 0
    assert balance_of(busy) == 70


def test_points_do_not_expire_before_the_expiry_months_are_over(member, tiers, time_machine):
    time_machine.move_to(ISSUED, tick=False)
    card = make_card(member)
    time_machine.move_to(datetime.datetime(2025, 1, 10, 9, 0, tzinfo=HELSINKI), tick=False)

    assert services.expire_inactive_points(datetime.date(2025, 1, 10)) == 0
    assert balance_of(card) == 50


def test_points_never_expire_when_the_program_says_zero_months(
    member, tiers, program, time_machine
):
    program.expiry_months = 0
    program.save()
    time_machine.move_to(ISSUED, tick=False)
    card = make_card(member)
    time_machine.move_to(ISSUED + datetime.timedelta(days=3650), tick=False)

    assert services.expire_inactive_points((ISSUED + datetime.timedelta(days=3650)).date()) == 0
    assert balance_of(card) == 50


# Lost cards and finding cards ---------------------------------------------------------------


def test_replaced_card_keeps_its_balance_tier_and_history_under_a_new_number(card, staff):
    buy(card, "10.00", "R-1", staff)
    old_number = card.number
    history = list(PointTransaction.objects.filter(card=card).values_list("pk", flat=True))

    replaced = services.replace_card(card, staff=staff, reason="Lost on the bus")

    assert replaced.pk == card.pk
    assert replaced.number != old_number
    assert cardnumbers.is_valid(replaced.number)
    card.refresh_from_db()
    assert (card.number, card.balance, card.tier.name) == (replaced.number, 85, "Bronze")
    assert card.status == CardStatus.ACTIVE
    assert list(PointTransaction.objects.filter(card=card).values_list("pk", flat=True)) == (
        history
    )
    assert selectors.card_by_number(replaced.number) == card


def test_old_number_of_a_replaced_card_is_refused_naming_the_new_number(card, staff):
    old_number = card.number

    replaced = services.replace_card(card, staff=staff, reason="Lost on the bus")

    with pytest.raises(CardNotActive) as refused:
        selectors.card_by_number(old_number)
    assert replaced.formatted_number in str(refused.value)
    assert "no longer works" in str(refused.value)


def test_card_is_found_by_its_number_as_a_person_types_it(card):
    typed = card.formatted_number.replace(" ", "-")

    assert selectors.card_by_number(f" {typed} ") == card


def test_card_number_with_a_mistyped_digit_is_reported_as_invalid(card):
    last = card.number[-2]
    mistyped = card.number[:-2] + str((int(last) + 1) % 10) + card.number[-1]

    with pytest.raises(InvalidCardNumber, match="mistyped"):
        selectors.card_by_number(mistyped)


def test_valid_number_of_no_card_is_reported_as_not_found(card):
    unknown = "12345678901" + cardnumbers.luhn_check_digit("12345678901")
    assert unknown != card.number

    with pytest.raises(CardNotFound):
        selectors.card_by_number(unknown)


@pytest.fixture
def findable(card, outsider_card, member, staff):
    member.phone = "+358 40 123 4567"
    member.save()
    walk_in = make_card(holder_name="Pedro Penduko", holder_email="Pedro@Example.com", staff=staff)
    return card, walk_in


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Maria", "member"),
        ("reyes", "member"),
        ("maria reyes", "member"),
        ("member@example", "member"),
        ("123 4567", "member"),
        ("penduko", "walk-in"),
        ("pedro@example.com", "walk-in"),
    ],
)
def test_counter_finds_cards_by_name_email_or_phone(findable, text, found):
    member_card, walk_in = findable

    results = selectors.search_cards(text)

    assert results == [member_card if found == "member" else walk_in]


def test_a_whole_name_or_phone_as_typed_comes_before_its_words_found_apart(findable, staff):
    member_card, walk_in = findable
    # Both words, but in different fields: found only when nobody has the whole name.
    apart = make_card(UserFactory(first_name="Maria", email="reyes.fan@example.com"))
    assert selectors.search_cards("Maria Reyes") == [member_card]
    assert selectors.search_cards("Reyes Maria") == [member_card, apart]
    assert selectors.search_cards("Pedro Penduko") == [walk_in]
    assert selectors.search_cards("40 123 4567") == [member_card]
    assert selectors.search_cards("4567 123") == [member_card]


def test_search_needs_at_least_two_characters(findable):
    assert selectors.search_cards("M") == []
    assert selectors.search_cards("   ") == []


def test_search_leaves_out_replaced_cards(card, member, staff):
    printed = make_card(holder_name="Walk-in", physical=True, staff=staff)
    services.claim_card(member, printed.number, printed.claim_pin)

    assert selectors.search_cards("Maria") == [printed]


def test_search_finds_nobody_for_a_stranger(findable):
    assert selectors.search_cards("nobody@example.com") == []


@pytest.mark.parametrize("earlier_purchases", [1, 40])
def test_recording_a_purchase_takes_a_handful_of_queries_whatever_the_history(
    card, staff, earlier_purchases, django_assert_num_queries
):
    for number in range(earlier_purchases):
        services.record_purchase(card, Decimal("5.00"), reference=f"E{number}", staff=staff)
    # The service's own savepoint and release (the test already runs in a transaction),
    # program, the main branch (no branch named), card lock, receipt check, tiers, bonus days,
    # savepoint, insert line, update card, release, earnings in the window, the member (for a
    # receipt e-mail), the branch's stamp cards (none here), and on PostgreSQL the receipt
    # number's lock.
    with django_assert_num_queries(15 + (connection.vendor == "postgresql")):
        services.record_purchase(card, Decimal("12.50"), reference="NEW", staff=staff)
