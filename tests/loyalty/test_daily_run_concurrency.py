"""Two machines starting the daily run for the same day at the same moment: each member still
gets one birthday bonus, one expiry, one warning and one tier step, and one e-mail each."""

import datetime
import io

import time_machine
from django.core import mail
from django.core.management import call_command

from loyalty import services
from loyalty.models import DailyRun, Kind, PointTransaction, TierChange
from tests.concurrency import all_at_once, postgresql_only
from tests.factories import UserFactory, make_card

pytestmark = postgresql_only

MEMBERS = 6


def noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, 12, tzinfo=datetime.UTC)


def both_at_once(work):
    """Run work() in two threads released together; fail if either raised."""
    results = all_at_once(2, lambda _index: work())
    assert [result for result in results if isinstance(result, Exception)] == []


def members(prefix, *, issued: datetime.date, birthday=None):
    users = [
        UserFactory(email=f"{prefix}{number}@example.com", birthday=birthday, password=None)
        for number in range(MEMBERS)
    ]
    with time_machine.travel(noon(issued), tick=False):
        for user in users:
            make_card(user)
    return users


def count(users, kind):
    return sorted(
        PointTransaction.objects.filter(card__user=user, kind=kind).count() for user in users
    )


def mails(users, words):
    return sorted(
        sum(1 for message in mail.outbox if message.to == [user.email] and words in message.subject)
        for user in users
    )


def test_two_daily_runs_at_once_pay_expire_and_warn_once_per_member():
    day = datetime.date(2027, 3, 1)
    birthdays = members(
        "birthday", issued=datetime.date(2026, 6, 1), birthday=day.replace(year=1990)
    )
    expiring = members("expiring", issued=datetime.date(2026, 1, 10))  # expire on 11 Jan 2027
    warned = members("warned", issued=datetime.date(2026, 3, 20))  # expire on 20 Mar 2027
    mail.outbox.clear()

    with time_machine.travel(noon(day), tick=False):
        both_at_once(
            lambda: call_command(
                "run_daily", "--only", "--date", day.isoformat(), stdout=io.StringIO()
            )
        )

    assert count(birthdays, Kind.BIRTHDAY_BONUS) == [1] * MEMBERS
    assert count(expiring, Kind.EXPIRY) == [1] * MEMBERS
    assert count(birthdays + warned, Kind.EXPIRY) == [0] * (2 * MEMBERS)
    assert mails(birthdays, "Happy birthday") == [1] * MEMBERS
    assert mails(warned, "Your points expire on") == [1] * MEMBERS
    assert len(mail.outbox) == 2 * MEMBERS
    assert DailyRun.objects.filter(day=day).count() == 1


def test_two_tier_reviews_at_once_lower_or_warn_each_member_once(tiers):
    gold = members("gold", issued=datetime.date(2026, 1, 15))
    warned = members("warned", issued=datetime.date(2026, 2, 1))
    for users, day in [(gold, datetime.date(2026, 1, 15)), (warned, datetime.date(2026, 2, 1))]:
        with time_machine.travel(noon(day), tick=False):
            for user in users:
                services.award_bonus(user.cards.get(), Kind.GOODWILL, tiers[2].threshold)
    mail.outbox.clear()

    # The window after reaching Gold has passed for the first group and ends within 30 days
    # for the second.
    day = datetime.date(2027, 1, 16)
    with time_machine.travel(noon(day), tick=False):
        both_at_once(lambda: services.review_tiers(day))

    for user in gold:
        card = user.cards.get()
        assert card.tier.name == "Silver"
        assert TierChange.objects.filter(card=card, from_tier__name="Gold").count() == 1
        assert not TierChange.objects.filter(card=card, from_tier__name="Silver").exists()
    assert mails(gold, "Your tier is now Silver") == [1] * MEMBERS
    assert {user.cards.get().tier.name for user in warned} == {"Gold"}
    assert mails(warned, "Keep your Gold tier") == [1] * MEMBERS
    assert len(mail.outbox) == 2 * MEMBERS
