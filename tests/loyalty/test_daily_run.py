"""The daily run: birthday bonuses, expiry warnings and expiry, tier review, voucher expiry and
complaint escalation, run once a day (or catching up missed days) without ever doing a thing
twice."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from loyalty import selectors, services
from loyalty.models import Card, DailyRun, Kind, PointTransaction, Tier, TierChange
from rewards import services as reward_services
from rewards.models import RedemptionStatus
from surveys import services as survey_services
from surveys.models import ComplaintCategory as Category
from surveys.models import ComplaintChannel as Channel
from surveys.models import ComplaintPriority as Priority
from surveys.models import RemedySought as Remedy
from tests.factories import UserFactory, make_card
from tests.rewards.factories import RewardFactory

UTC = datetime.UTC


def noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def days(first: datetime.date, last: datetime.date):
    for offset in range((last - first).days + 1):
        yield first + datetime.timedelta(days=offset)


def run_daily(day: datetime.date, *options: str) -> str:
    """The daily run as cron starts it on `day`, with the clock at noon; returns its output."""
    out = io.StringIO()
    with time_machine.travel(noon(day), tick=False):
        call_command("run_daily", *options, "--date", day.isoformat(), stdout=out)
    return out.getvalue()


def on(step, day: datetime.date):
    """One step of the daily run for `day`, with the clock at noon that day."""
    with time_machine.travel(noon(day), tick=False):
        return step(day)


def lines(user, kind):
    return list(
        PointTransaction.objects.filter(card__user=user, kind=kind)
        .order_by("id")
        .values_list("points", "reference")
    )


def sent_to(address, words=""):
    return [
        message for message in mail.outbox if message.to == [address] and words in message.subject
    ]


@pytest.fixture
def emails_sent(django_capture_on_commit_callbacks):
    """Run the on-commit e-mails of everything in the block, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# Birthdays ---------------------------------------------------------------------------------


@pytest.fixture
def birthday_member(member, program):
    member.birthday = datetime.date(1990, 3, 1)
    member.save()
    with time_machine.travel(noon(datetime.date(2026, 6, 1)), tick=False):
        make_card(member)
    return member


def test_birthday_bonus_is_paid_once_on_the_birthday(birthday_member, program, emails_sent):
    with emails_sent():
        assert on(services.award_birthday_bonuses, datetime.date(2027, 2, 28)) == 0
        assert on(services.award_birthday_bonuses, datetime.date(2027, 3, 1)) == 1
        assert on(services.award_birthday_bonuses, datetime.date(2027, 3, 1)) == 0
        assert on(services.award_birthday_bonuses, datetime.date(2027, 3, 2)) == 0

    assert lines(birthday_member, Kind.BIRTHDAY_BONUS) == [
        (program.birthday_bonus, "birthday-2027")
    ]
    greetings = sent_to(birthday_member.email, "Happy birthday")
    assert len(greetings) == 1
    assert "We added 100 birthday points to your card." in greetings[0].body


def test_missed_days_pay_the_birthday_on_the_first_run_after_it(birthday_member, emails_sent):
    with emails_sent():
        run_daily(datetime.date(2027, 2, 26), "--only")
        # The server was down from 27 February; it comes back on 4 March.
        output = run_daily(datetime.date(2027, 3, 4), "--only")
        run_daily(datetime.date(2027, 3, 10))

    assert "2027-03-04: birthdays 1," in output
    assert lines(birthday_member, Kind.BIRTHDAY_BONUS) == [(100, "birthday-2027")]
    assert len(sent_to(birthday_member.email, "Happy birthday")) == 1


def test_running_twice_the_same_day_pays_and_emails_once(birthday_member, emails_sent):
    with emails_sent():
        first = run_daily(datetime.date(2027, 3, 1))
        second = run_daily(datetime.date(2027, 3, 1))

    assert "birthdays 1" in first
    assert "birthdays 0" in second
    assert len(lines(birthday_member, Kind.BIRTHDAY_BONUS)) == 1
    assert len(sent_to(birthday_member.email, "Happy birthday")) == 1


def test_birthday_is_paid_again_the_next_year(birthday_member):
    for year in (2027, 2028):
        run_daily(datetime.date(year, 3, 1), "--only")
    assert lines(birthday_member, Kind.BIRTHDAY_BONUS) == [
        (100, "birthday-2027"),
        (100, "birthday-2028"),
    ]


def test_leap_day_birthday_is_paid_on_28_february_in_common_years(member, program):
    member.birthday = datetime.date(1992, 2, 29)
    member.save()
    with time_machine.travel(noon(datetime.date(2026, 6, 1)), tick=False):
        make_card(member)

    assert "birthdays 1" in run_daily(datetime.date(2027, 2, 28), "--only")
    assert "birthdays 0" in run_daily(datetime.date(2027, 3, 1), "--only")
    assert "birthdays 0" in run_daily(datetime.date(2028, 2, 28), "--only")
    assert "birthdays 1" in run_daily(datetime.date(2028, 2, 29), "--only")


def change_birthday(client, member, birthday: str, *, on_day: datetime.date):
    """The member edits their profile on `on_day`."""
    with time_machine.travel(noon(on_day), tick=False):
        client.force_login(member)
        response = client.post(
            reverse("profile"),
            {
                "first_name": member.first_name,
                "last_name": member.last_name,
                "birthday": birthday,
                "phone": "",
                "language": "en",
            },
        )
    assert response.status_code == 302
    assert response.url == reverse("profile")
    member.refresh_from_db()
    assert member.birthday == datetime.date.fromisoformat(birthday)
    assert member.birthday_changed_at == noon(on_day)


def test_birthday_moved_to_a_day_already_past_does_not_pay_twice_that_year(client, member, program):
    member.birthday = datetime.date(1990, 1, 10)
    member.save()
    with time_machine.travel(noon(datetime.date(2026, 6, 1)), tick=False):
        make_card(member)
    run_daily(datetime.date(2027, 1, 10), "--only")
    assert len(lines(member, Kind.BIRTHDAY_BONUS)) == 1

    change_birthday(client, member, "1990-05-01", on_day=datetime.date(2027, 6, 1))
    for day in (datetime.date(2027, 6, 1), datetime.date(2027, 12, 31)):
        assert "birthdays 0" in run_daily(day, "--only")
    assert lines(member, Kind.BIRTHDAY_BONUS) == [(100, "birthday-2027")]

    run_daily(datetime.date(2028, 5, 1), "--only")
    assert lines(member, Kind.BIRTHDAY_BONUS) == [(100, "birthday-2027"), (100, "birthday-2028")]


def test_birthday_set_to_a_past_day_this_year_waits_until_next_year(client, member, program):
    with time_machine.travel(noon(datetime.date(2026, 6, 1)), tick=False):
        make_card(member)
    # Never paid this year, so the only thing that stops a bonus today is the 30-day rule.
    change_birthday(client, member, "1990-03-01", on_day=datetime.date(2027, 6, 1))
    assert "birthdays 0" in run_daily(datetime.date(2027, 6, 1), "--only")
    assert "birthdays 1" in run_daily(datetime.date(2028, 3, 1), "--only")


def test_birthday_set_less_than_30_days_ahead_waits_until_next_year(client, member, program):
    with time_machine.travel(noon(datetime.date(2026, 6, 1)), tick=False):
        make_card(member)
    change_birthday(client, member, "1990-12-10", on_day=datetime.date(2026, 11, 24))

    for day in (datetime.date(2026, 12, 10), datetime.date(2026, 12, 31)):
        assert "birthdays 0" in run_daily(day, "--only")
    assert lines(member, Kind.BIRTHDAY_BONUS) == []

    assert "birthdays 1" in run_daily(datetime.date(2027, 12, 10), "--only")
    assert lines(member, Kind.BIRTHDAY_BONUS) == [(100, "birthday-2027")]


def test_birthday_set_well_ahead_is_paid_this_year(client, member, program):
    with time_machine.travel(noon(datetime.date(2026, 6, 1)), tick=False):
        make_card(member)
    change_birthday(client, member, "1990-12-10", on_day=datetime.date(2026, 10, 1))

    assert "birthdays 1" in run_daily(datetime.date(2026, 12, 10), "--only")


# Expiry --------------------------------------------------------------------------------------

ACTIVE = datetime.date(2026, 1, 10)  # the card's last activity, at noon UTC


@pytest.fixture
def quiet_card(member, program):
    """A card with 50 welcome points, untouched since 10 January 2026."""
    program.expiry_months = 12
    program.expiry_warning_days = 30
    program.save()
    with time_machine.travel(noon(ACTIVE), tick=False):
        return make_card(member)


def test_an_inactive_member_is_warned_once_per_inactive_spell(
    member, quiet_card, staff, emails_sent
):
    warn = services.send_expiry_warnings
    with emails_sent():
        # Points expire on 10 January 2027: the warning goes out 30 days before.
        assert on(warn, datetime.date(2026, 12, 10)) == 0
        assert on(warn, datetime.date(2026, 12, 11)) == 1
        for day in days(datetime.date(2026, 12, 11), datetime.date(2027, 1, 9)):
            assert on(warn, day) == 0
    warnings = sent_to(member.email, "expire")
    assert len(warnings) == 1
    assert warnings[0].subject.endswith("Your points expire on 10 Jan 2027")
    assert "Your 50 points expire on 10 Jan 2027" in warnings[0].body

    # A purchase starts a new spell, which gets its own warning.
    with time_machine.travel(noon(datetime.date(2026, 12, 20)), tick=False):
        services.record_purchase(quiet_card, "10.00", reference="R-1", staff=staff)
    with emails_sent():
        assert on(warn, datetime.date(2027, 11, 19)) == 0
        assert on(warn, datetime.date(2027, 11, 20)) == 1
        assert on(warn, datetime.date(2027, 11, 21)) == 0
    warnings = sent_to(member.email, "expire")
    assert len(warnings) == 2
    assert warnings[1].subject.endswith("Your points expire on 20 Dec 2027")


def test_inactive_points_expire_to_zero_in_one_line_once(member, quiet_card):
    expire = services.expire_inactive_points
    assert on(expire, datetime.date(2027, 1, 10)) == 0
    assert on(expire, datetime.date(2027, 1, 11)) == 1
    assert on(expire, datetime.date(2027, 1, 11)) == 0
    assert on(expire, datetime.date(2027, 3, 1)) == 0

    assert lines(member, Kind.EXPIRY) == [(-50, "")]
    quiet_card.refresh_from_db()
    assert quiet_card.balance == 0


@pytest.fixture
def quiet_cards(program):
    """Seven cards with their welcome points, untouched since ACTIVE."""
    program.expiry_months = 12
    program.save()
    with time_machine.travel(noon(ACTIVE), tick=False):
        return [make_card(UserFactory()) for _ in range(7)]


def test_expiry_writes_each_batch_in_one_insert_and_one_update(
    quiet_cards, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(services, "BATCH", 3)  # three batches: 3, 3 and 1 cards
    # The program, the ids; then per batch: its savepoint, the lock, the insert, the update,
    # the release.
    with django_assert_num_queries(2 + 3 * 5):
        assert on(services.expire_inactive_points, datetime.date(2027, 1, 11)) == 7
    for card in Card.objects.filter(pk__in=[card.pk for card in quiet_cards]):
        assert card.balance == 0
        (line,) = card.transactions.filter(kind=Kind.EXPIRY)
        assert (line.points, line.balance_after) == (-50, 0)
    assert selectors.ledger_mismatches() == []


def test_a_failing_batch_is_done_card_by_card_and_skips_only_the_bad_card(quiet_cards, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 4)
    bad = quiet_cards[1].pk
    real = PointTransaction.objects.bulk_create

    def refuse(objs, *args, **kwargs):
        objs = list(objs)
        if any(line.card_id == bad for line in objs):
            raise RuntimeError("bad card data")
        return real(objs, *args, **kwargs)

    monkeypatch.setattr(PointTransaction.objects, "bulk_create", refuse)
    assert on(services.expire_inactive_points, datetime.date(2027, 1, 11)) == 6
    balances = dict(
        Card.objects.filter(pk__in=[c.pk for c in quiet_cards]).values_list("pk", "balance")
    )
    assert balances.pop(bad) == 50
    assert set(balances.values()) == {0}
    assert selectors.ledger_mismatches() == []


def earn(card, staff):
    services.record_purchase(card, "10.00", reference="R-1", staff=staff)


def spend(card, staff):
    reward = RewardFactory(points_cost=20)
    reward_services.redeem(card, reward)


def bonus(card, staff):
    services.award_bonus(card, Kind.GOODWILL, 5, staff=staff, note="Sorry about the wait")


@pytest.mark.parametrize("activity", [earn, spend, bonus])
def test_any_earning_or_spending_resets_the_clock(member, quiet_card, staff, activity):
    with time_machine.travel(noon(datetime.date(2026, 7, 1)), tick=False):
        activity(quiet_card, staff)

    # No warning and no expiry when the old spell would have had them ...
    assert on(services.send_expiry_warnings, datetime.date(2026, 12, 11)) == 0
    for day in (datetime.date(2027, 1, 11), datetime.date(2027, 7, 1)):
        assert on(services.expire_inactive_points, day) == 0
    # ... but twelve months after the activity.
    assert on(services.expire_inactive_points, datetime.date(2027, 7, 2)) == 1
    quiet_card.refresh_from_db()
    assert quiet_card.balance == 0
    assert len(lines(member, Kind.EXPIRY)) == 1


def test_member_home_shows_when_the_points_expire(member_client, quiet_card):
    with time_machine.travel(noon(datetime.date(2026, 11, 24)), tick=False):
        page = member_client.get(reverse("portal")).content.decode()
    assert "Your 50 points expire on 10 Jan 2027 unless you earn or spend points" in page


# Tier review ---------------------------------------------------------------------------------

REACHED_GOLD = datetime.date(2026, 1, 15)


@pytest.fixture
def gold_card(member, tiers, staff, program):
    """Gold reached on 15 January 2026 with two big purchases, then nothing."""
    program.tier_window_months = 12
    program.save()
    with time_machine.travel(noon(REACHED_GOLD), tick=False):
        card = make_card(member)
        services.record_purchase(card, "800.00", reference="G-1", staff=staff)  # Silver
        services.record_purchase(card, "800.00", reference="G-2", staff=staff)  # Gold
    card.refresh_from_db()
    assert card.tier.name == "Gold"
    return card


def review(day):
    return on(services.review_tiers, day)


def test_moving_up_happens_at_once_on_purchase_with_an_email(
    member, card, staff, tiers, emails_sent
):
    with emails_sent():
        services.record_purchase(card, "500.00", reference="R-1", staff=staff)
    card.refresh_from_db()
    assert card.tier.name == "Silver"
    assert TierChange.objects.filter(card=card, to_tier__name="Silver").count() == 1
    welcome = sent_to(member.email, "Welcome to Silver!")
    assert len(welcome) == 1
    assert "you are now a Silver member" in welcome[0].body


def test_gold_is_kept_for_the_window_warned_once_then_lowered_one_step(
    member, gold_card, emails_sent
):
    mail.outbox.clear()
    with emails_sent():
        # Gold holds until 15 January 2027 (the window after reaching it): warn within 30 days.
        assert review(datetime.date(2026, 12, 1)) == (0, 0)
        assert review(datetime.date(2026, 12, 16)) == (0, 0)
        assert review(datetime.date(2026, 12, 17)) == (1, 0)
        for day in days(datetime.date(2026, 12, 18), datetime.date(2027, 1, 15)):
            assert review(day) == (0, 0), day
    gold_card.refresh_from_db()
    assert gold_card.tier.name == "Gold"
    warnings = sent_to(member.email, "Keep your Gold tier")
    assert len(warnings) == 1
    assert "earn them before 15 Jan 2027" in warnings[0].body

    with emails_sent():
        assert review(datetime.date(2027, 1, 16)) == (0, 1)
        assert review(datetime.date(2027, 1, 16)) == (0, 0)
        assert review(datetime.date(2027, 1, 17)) == (0, 0)
    gold_card.refresh_from_db()
    assert gold_card.tier.name == "Silver"  # one step, although nothing was earned
    lowered = TierChange.objects.filter(card=gold_card, from_tier__name="Gold")
    assert [(change.to_tier.name, change.reason) for change in lowered] == [
        ("Silver", "Tier review 2027-01-16")
    ]
    notices = sent_to(member.email, "Your tier is now Silver")
    assert len(notices) == 1
    assert "not quite enough to stay Gold" in notices[0].body


def test_a_member_who_still_qualifies_is_untouched(member, gold_card, staff, emails_sent):
    with time_machine.travel(noon(datetime.date(2026, 12, 1)), tick=False):
        services.record_purchase(gold_card, "999.00", reference="K-1", staff=staff)
        services.record_purchase(gold_card, "20.00", reference="K-2", staff=staff)
    mail.outbox.clear()
    changes = TierChange.objects.count()

    with emails_sent():
        for day in days(datetime.date(2026, 12, 1), datetime.date(2027, 1, 31)):
            assert review(day) == (0, 0), day
    gold_card.refresh_from_db()
    assert gold_card.tier.name == "Gold"
    assert TierChange.objects.count() == changes
    assert mail.outbox == []


def test_the_lowest_tier_is_never_reviewed(member, card, tiers):
    assert card.tier.name == "Bronze"
    assert review(datetime.date(2028, 1, 1)) == (0, 0)
    card.refresh_from_db()
    assert card.tier.name == "Bronze"


# The command ---------------------------------------------------------------------------------


def test_the_command_prints_what_it_did(birthday_member):
    output = run_daily(datetime.date(2027, 3, 1))
    assert (
        "2027-03-01: birthdays 1, expiry warnings 0, cards expired 0, tier warnings 0, "
        "tiers lowered 0, vouchers expired 0, complaints escalated 0"
    ) in output
    assert "Daily run finished." in output
    assert DailyRun.objects.get().summary["birthdays"] == 1


def test_missed_days_are_caught_up_in_order(db):
    DailyRun.objects.create(day=datetime.date(2026, 11, 28))

    output = run_daily(datetime.date(2026, 12, 1))

    assert list(DailyRun.objects.order_by("pk").values_list("day", flat=True)) == [
        datetime.date(2026, 11, 28),
        datetime.date(2026, 11, 29),
        datetime.date(2026, 11, 30),
        datetime.date(2026, 12, 1),
    ]
    reported = [line.split(":")[0] for line in output.splitlines() if line.startswith("2026-")]
    assert reported == ["2026-11-29", "2026-11-30", "2026-12-01"]


def test_only_runs_just_the_given_day(db):
    DailyRun.objects.create(day=datetime.date(2026, 11, 28))
    run_daily(datetime.date(2026, 12, 1), "--only")
    assert list(DailyRun.objects.order_by("day").values_list("day", flat=True)) == [
        datetime.date(2026, 11, 28),
        datetime.date(2026, 12, 1),
    ]


@pytest.mark.parametrize("text", ["2026-13-01", "1.12.2026", "tomorrow"])
def test_a_malformed_date_is_refused_clearly(db, text):
    with pytest.raises(CommandError, match=r"Give the date as YYYY-MM-DD, for example 2026-12-01"):
        call_command("run_daily", "--date", text, stdout=io.StringIO())
    assert not DailyRun.objects.exists()


def member_since(email, day: datetime.date, **fields):
    """A member whose card was issued, with its welcome points, at noon on `day`."""
    user = UserFactory(email=email, **fields)
    with time_machine.travel(noon(day), tick=False):
        make_card(user)
    return user


def complain(user, day: datetime.date):
    with time_machine.travel(noon(day), tick=False):
        return survey_services.file_complaint(
            name=user.get_full_name(),
            email=user.email,
            category=Category.PRODUCT,
            description="The bread was stale.",
            remedy_sought=Remedy.REPLACEMENT,
            channel=Channel.PORTAL,
            user=user,
        )


def test_running_twice_the_same_day_adds_no_lines_and_no_emails(
    member, gold_card, owner, tiers, emails_sent
):
    # Something for every step on 16 January 2027. The Gold member has a birthday too.
    member.birthday = datetime.date(1990, 1, 16)
    member.save()
    member_since("expired@example.com", datetime.date(2026, 1, 14))
    member_since("warned@example.com", datetime.date(2026, 2, 1))  # expires 1 February 2027
    almost = member_since("almost@example.com", datetime.date(2026, 2, 1))
    with time_machine.travel(noon(datetime.date(2026, 2, 1)), tick=False):
        services.award_bonus(almost.cards.get(), Kind.GOODWILL, tiers[2].threshold)  # Gold
    voucher_holder = member_since("voucher@example.com", datetime.date(2026, 12, 1))
    with time_machine.travel(noon(datetime.date(2026, 12, 1)), tick=False):
        reward_services.redeem(voucher_holder.cards.get(), RewardFactory(points_cost=20))
    complain(voucher_holder, datetime.date(2027, 1, 10))
    mail.outbox.clear()

    with emails_sent():
        first = run_daily(datetime.date(2027, 1, 16), "--only")
    assert (
        "2027-01-16: birthdays 1, expiry warnings 2, cards expired 1, tier warnings 1, "
        "tiers lowered 1, vouchers expired 1, complaints escalated 1"
    ) in first
    ledger, sent = PointTransaction.objects.count(), len(mail.outbox)
    assert sent == 6  # birthday, two expiry warnings, tier warning, tier down, escalation

    with emails_sent():
        second = run_daily(datetime.date(2027, 1, 16), "--only")
    assert (
        "2027-01-16: birthdays 0, expiry warnings 0, cards expired 0, tier warnings 0, "
        "tiers lowered 0, vouchers expired 0, complaints escalated 0"
    ) in second
    assert (PointTransaction.objects.count(), len(mail.outbox)) == (ledger, sent)


def test_the_run_expires_vouchers_past_their_validity(member, card):
    reward = RewardFactory(points_cost=20, valid_days=30)
    with time_machine.travel(noon(datetime.date(2026, 11, 1)), tick=False):
        voucher = reward_services.redeem(card, reward)

    assert "vouchers expired 0" in run_daily(datetime.date(2026, 11, 30), "--only")
    assert "vouchers expired 1" in run_daily(datetime.date(2026, 12, 1), "--only")
    voucher.refresh_from_db()
    card.refresh_from_db()
    assert voucher.status == RedemptionStatus.EXPIRED
    assert card.balance == 50  # the points came back


def test_the_run_escalates_overdue_complaints(member, owner):
    case = complain(member, datetime.date(2026, 11, 24))

    assert "complaints escalated 1" in run_daily(datetime.date(2026, 11, 26), "--only")
    case.refresh_from_db()
    assert case.priority == Priority.HIGH


def test_a_year_of_daily_runs_keeps_the_ledger_adding_up(staff, tiers, program):
    """A dozen members buying, redeeming and having birthdays, and the run every day for a
    year; the autouse check then proves every balance equals its ledger."""
    program.expiry_months = 6  # so the year sees points expire
    program.save()
    first = datetime.date(2026, 1, 1)
    last = datetime.date(2026, 12, 31)
    reward = RewardFactory(points_cost=60, valid_days=20)
    with time_machine.travel(noon(first), tick=False):
        members = [
            UserFactory(
                email=f"year{number}@example.com",
                birthday=datetime.date(1980 + number, number + 1, 3 + 2 * number)
                if number % 4
                else None,
            )
            for number in range(12)
        ]
        cards = [make_card(member) for member in members]

    receipts = 0
    for day in days(first + datetime.timedelta(days=1), last):
        with time_machine.travel(noon(day), tick=False):
            for number, card in enumerate(cards):
                regular = number % 3 == 0 and day.toordinal() % 9 == number % 9
                spring_only = number % 3 == 1 and day.month <= 3 and day.day == 5 + number
                monthly = number % 3 == 2 and day.day == 7
                if regular or spring_only or monthly:
                    receipts += 1
                    amount = Decimal(15 + 7 * number) + Decimal("0.50")
                    services.record_purchase(card, amount, reference=f"Y-{receipts}", staff=staff)
                if number % 3 == 2 and day.day == 8:
                    card.refresh_from_db()
                    if card.balance >= reward.points_cost:
                        voucher = reward_services.redeem(card, reward)
                        if day.month % 2:  # every other voucher is used at the counter
                            reward_services.fulfil_redemption(voucher, staff=staff)
            call_command("run_daily", "--only", "--date", day.isoformat(), stdout=io.StringIO())

    assert DailyRun.objects.count() == 364
    with_birthdays = [member for member in members if member.birthday]
    for member in with_birthdays:
        assert lines(member, Kind.BIRTHDAY_BONUS) == [(program.birthday_bonus, "birthday-2026")]
    assert not PointTransaction.objects.filter(
        card__user__birthday__isnull=True, kind=Kind.BIRTHDAY_BONUS
    ).exists()
    assert PointTransaction.objects.filter(kind=Kind.EXPIRY).exists()
    assert PointTransaction.objects.filter(kind=Kind.REDEMPTION_REFUND).exists()
    assert Card.objects.filter(tier__threshold__gt=0).exists()
    assert set(Tier.objects.values_list("name", flat=True)) == {"Bronze", "Silver", "Gold"}


# Query bound ---------------------------------------------------------------------------------

QUIET_DAY = datetime.date(2026, 11, 25)


def quiet_members(count, staff):
    """Members with nothing due on QUIET_DAY: birthdays later in the year or none, recent
    activity, and a third of them Silver members who still qualify."""
    with time_machine.travel(noon(datetime.date(2026, 11, 20)), tick=False):
        for number in range(count):
            member = UserFactory(
                email=f"quiet{number}@example.com",
                password=None,  # hashing 200 passwords would take most of the test's time
                birthday=datetime.date(1985, 12, 1 + number % 28) if number % 2 else None,
            )
            card = make_card(member)
            if number % 3 == 0:
                services.award_bonus(card, Kind.GOODWILL, 500, staff=staff)


# Each step reads the program; then birthdays: the due cards; expiry warnings: the candidates;
# tier review: the tiers, the cards above the lowest, and for the batch the points earned, the
# tier changes and the cards themselves.
DAILY_QUERIES = 10


@pytest.mark.parametrize("count", [20, 200])
def test_the_daily_run_queries_do_not_grow_with_members(
    count, staff, tiers, program, django_assert_num_queries
):
    quiet_members(count, staff)
    assert Card.objects.filter(tier__name="Silver").count() == (count + 2) // 3

    with (
        time_machine.travel(noon(QUIET_DAY), tick=False),
        django_assert_num_queries(DAILY_QUERIES),
    ):
        assert services.award_birthday_bonuses(QUIET_DAY) == 0
        assert services.send_expiry_warnings(QUIET_DAY) == 0
        assert services.review_tiers(QUIET_DAY) == (0, 0)


# Birthdays of the day, a batch of them together: the queries do not grow with the members
# but for each one's e-mail, one task written.
# program, due ids, tiers; savepoint, lock, paid, lines, balances, earned, release
BIRTHDAY_QUERIES = 10
PER_MEMBER = 1  # the e-mail's task


@pytest.mark.parametrize("count", [3, 30])
def test_a_day_of_many_birthdays_costs_one_query_more_per_member(
    count, tiers, program, django_assert_num_queries
):
    for number in range(count):
        member_since(
            f"birthday{number}@example.com",
            datetime.date(2026, 6, 1),
            password=None,
            birthday=datetime.date(1990, 11, 25),
        )
    with (
        time_machine.travel(noon(QUIET_DAY), tick=False),
        django_assert_num_queries(BIRTHDAY_QUERIES + PER_MEMBER * count),
    ):
        assert services.award_birthday_bonuses(QUIET_DAY) == count
    for card in Card.objects.filter(user__email__startswith="birthday"):
        assert card.balance == program.signup_bonus + program.birthday_bonus
    assert services.award_birthday_bonuses(QUIET_DAY) == 0


WARNING_QUERIES = 6  # program, due ids; savepoint, lock, warned marks, release


@pytest.mark.parametrize("count", [3, 30])
def test_a_day_of_many_expiry_warnings_costs_one_query_more_per_member(
    count, tiers, program, django_assert_num_queries
):
    for number in range(count):
        member_since(f"idle{number}@example.com", datetime.date(2025, 12, 10), password=None)
    with (
        time_machine.travel(noon(QUIET_DAY), tick=False),
        django_assert_num_queries(WARNING_QUERIES + PER_MEMBER * count),
    ):
        assert services.send_expiry_warnings(QUIET_DAY) == count
    assert Card.objects.filter(expiry_warned_at__isnull=False).count() == count
    assert on(services.send_expiry_warnings, QUIET_DAY) == 0


def test_a_birthday_bonus_that_reaches_a_tier_lifts_that_member_alone(
    tiers, program, staff, emails_sent
):
    bronze, silver, _ = tiers
    near, far = (
        member_since(f"{name}@example.com", datetime.date(2026, 6, 1), birthday=QUIET_DAY)
        for name in ("near", "far")
    )
    with time_machine.travel(noon(datetime.date(2026, 6, 2)), tick=False):
        card = near.cards.get()
        missing = silver.threshold - program.signup_bonus - program.birthday_bonus
        services.award_bonus(card, Kind.GOODWILL, missing, staff=staff)
    with emails_sent():
        assert on(services.award_birthday_bonuses, QUIET_DAY) == 2
    assert near.cards.get().tier == silver
    assert far.cards.get().tier == bronze
    assert list(
        TierChange.objects.exclude(to_tier=bronze).values_list("card__user__email", "reason")
    ) == [("near@example.com", f"{silver.threshold} points earned")]
    assert len(sent_to(near.email, "Happy birthday")) == len(sent_to(far.email, "Happy birthday"))
    assert len(sent_to(near.email, "Happy birthday")) == 1


# One bad member ------------------------------------------------------------------------------

BUSY_DAY = datetime.date(2027, 1, 16)


def something_for_every_step(member, tiers):
    """On BUSY_DAY: the member (Gold since REACHED_GOLD) has a birthday and loses Gold, one
    card expires, two members are warned of expiry, one of them of losing Gold too, a voucher
    expires and a complaint is escalated."""
    member.birthday = datetime.date(1990, 1, 16)
    member.save()
    member_since("expired@example.com", datetime.date(2026, 1, 14))
    member_since("warned@example.com", datetime.date(2026, 2, 1))
    almost = member_since("almost@example.com", datetime.date(2026, 2, 1))
    with time_machine.travel(noon(datetime.date(2026, 2, 1)), tick=False):
        services.award_bonus(almost.cards.get(), Kind.GOODWILL, tiers[2].threshold)
    voucher_holder = member_since("voucher@example.com", datetime.date(2026, 12, 1))
    with time_machine.travel(noon(datetime.date(2026, 12, 1)), tick=False):
        reward_services.redeem(voucher_holder.cards.get(), RewardFactory(points_cost=20))
    complain(voucher_holder, datetime.date(2027, 1, 10))


def test_a_line_break_in_a_name_injects_no_header_and_the_day_runs_on(
    member, gold_card, owner, tiers, emails_sent
):
    something_for_every_step(member, tiers)
    bea = member_since(
        "bea@example.com",
        datetime.date(2026, 6, 1),
        first_name="Bea\nBcc: x@y",
        birthday=datetime.date(1990, 1, 16),
    )
    mail.outbox.clear()

    with emails_sent():
        output = run_daily(BUSY_DAY, "--only")

    assert (
        "2027-01-16: birthdays 2, expiry warnings 2, cards expired 1, tier warnings 1, "
        "tiers lowered 1, vouchers expired 1, complaints escalated 1"
    ) in output
    assert DailyRun.objects.get(day=BUSY_DAY).summary["birthdays"] == 2
    assert lines(bea, Kind.BIRTHDAY_BONUS) == [(100, "birthday-2027")]
    (greeting,) = sent_to(bea.email, "Happy birthday")
    assert greeting.subject.endswith("Happy birthday, Bea Bcc: x@y!")
    assert greeting.recipients() == [bea.email]
    headers = greeting.message()
    assert headers["Bcc"] is None
    assert "\n" not in headers["Subject"]
    assert len(mail.outbox) == 7  # the six of a busy day and Bea's greeting
    assert all("x@y" not in message.recipients() for message in mail.outbox)


def break_mail_to(monkeypatch, address):
    """From now on e-mail to `address` fails as a bug would, inside the step's transaction."""
    from accounts import emails

    send = emails.send_to_member

    def send_or_fail(template, user, context, **kwargs):
        if user.email == address:
            raise RuntimeError(f"cannot render {template}")
        return send(template, user, context, **kwargs)

    monkeypatch.setattr(emails, "send_to_member", send_or_fail)


def test_a_member_whose_step_fails_is_logged_and_skipped_and_tried_again_next_day(
    member, gold_card, tiers, emails_sent, monkeypatch, caplog
):
    something_for_every_step(member, tiers)
    # Birthday, expiry warning and Gold warning due on BUSY_DAY, like the members around them.
    broken = member_since(
        "broken@example.com", datetime.date(2026, 2, 1), birthday=datetime.date(1990, 1, 16)
    )
    broken_card = broken.cards.get()
    with time_machine.travel(noon(datetime.date(2026, 2, 1)), tick=False):
        services.award_bonus(broken_card, Kind.GOODWILL, tiers[2].threshold)
    break_mail_to(monkeypatch, broken.email)

    with emails_sent():
        output = run_daily(BUSY_DAY, "--only")

    assert (
        "2027-01-16: birthdays 1, expiry warnings 2, cards expired 1, tier warnings 1, "
        "tiers lowered 1, vouchers expired 1, complaints escalated 1"
    ) in output
    assert DailyRun.objects.filter(day=BUSY_DAY).exists()
    failures = [record for record in caplog.records if record.name == "suki.daily"]
    # Birthdays and expiry warnings run in batches: the batch fails, then its cards are done
    # one by one; the tier review is card by card.
    skipped = f"card {broken_card.pk} failed and was skipped"
    assert [record.getMessage() for record in failures] == [
        "Daily run, birthdays: a batch failed; its cards one by one",
        f"Daily run, birthdays: {skipped}",
        "Daily run, expiry warnings: a batch failed; its cards one by one",
        f"Daily run, expiry warnings: {skipped}",
        f"Daily run, tier review: {skipped}",
    ]
    assert all(record.exc_info[0] is RuntimeError for record in failures)
    # Nothing of the failed steps stayed: no bonus, no warning marks.
    broken_card.refresh_from_db()
    assert lines(broken, Kind.BIRTHDAY_BONUS) == []
    assert (broken_card.expiry_warned_at, broken_card.tier_warned_at) == (None, None)

    monkeypatch.undo()
    with emails_sent():
        output = run_daily(BUSY_DAY + datetime.timedelta(days=1), "--only")
    # The birthday points are new activity, so the points no longer expire soon.
    assert "birthdays 1, expiry warnings 0, cards expired 0, tier warnings 1" in output
    assert lines(broken, Kind.BIRTHDAY_BONUS) == [(100, "birthday-2027")]
    assert len(sent_to(broken.email, "Happy birthday")) == 1
    assert len(sent_to(broken.email, "Keep your Gold tier")) == 1


def test_a_failing_step_is_reported_and_the_other_steps_still_run(
    member, gold_card, tiers, monkeypatch, caplog
):
    something_for_every_step(member, tiers)

    def review_tiers(day, **kwargs):
        raise RuntimeError("tier table locked")

    monkeypatch.setattr(services, "review_tiers", review_tiers)
    out, err = io.StringIO(), io.StringIO()
    with time_machine.travel(noon(BUSY_DAY), tick=False):
        call_command("run_daily", "--only", "--date", BUSY_DAY.isoformat(), stdout=out, stderr=err)

    assert (
        "2027-01-16: birthdays 1, expiry warnings 2, cards expired 1, tier warnings 0, "
        "tiers lowered 0, vouchers expired 1, complaints escalated 1"
    ) in out.getvalue()
    assert "2027-01-16: tier review failed (tier table locked)" in err.getvalue()
    assert "Daily run 2027-01-16: the tier review step failed" in caplog.text
    assert DailyRun.objects.filter(day=BUSY_DAY).exists()
    gold_card.refresh_from_db()
    assert gold_card.tier.name == "Gold"


def test_two_runs_the_same_day_add_up_in_the_days_summary(birthday_member, program):
    day = datetime.date(2027, 3, 1)
    run_daily(day, "--only")
    # A member who joins later that day, with a birthday already past this year.
    late = member_since("late@example.com", datetime.date(2026, 6, 1), birthday=day)

    second = run_daily(day, "--only")

    assert "2027-03-01: birthdays 1," in second  # what this run did
    assert lines(late, Kind.BIRTHDAY_BONUS) == [(100, "birthday-2027")]
    run = DailyRun.objects.get(day=day)
    assert run.summary == {
        "birthdays": 2,
        "expiry warnings": 0,
        "cards expired": 0,
        "tier warnings": 0,
        "tiers lowered": 0,
        "vouchers expired": 0,
        "stamp cards expired": 0,
        "complaints escalated": 0,
        "till answers forgotten": 0,
        "webhook deliveries forgotten": 0,
        "inactive members erased": 0,
        "inactive members warned": 0,
    }
