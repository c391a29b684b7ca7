"""The demo data looks like a shop's true first year: histories in time order, members joined
on the day of their first activity and all through the year, some coming back and some not,
nothing in the future, complaints answered in hours."""

import datetime
import io
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from loyalty import services
from loyalty.models import Card, Kind, PointTransaction
from rewards.models import Redemption
from surveys.models import Complaint, ComplaintStatus, Response
from surveys.selectors import complaint_figures


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo seeded once for this module, rolled back after it; each test runs in a
    savepoint inside."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def lines_by_card(order):
    lines = defaultdict(list)
    for line in PointTransaction.objects.order_by(*order):
        lines[line.card_id].append(line)
    return lines


def counts():
    return {
        "cards": Card.objects.count(),
        "lines": PointTransaction.objects.count(),
        "users": User.objects.count(),
        "redemptions": Redemption.objects.count(),
        "responses": Response.objects.count(),
        "complaints": Complaint.objects.count(),
    }


def test_demo_history_lists_newest_first_with_the_right_balance_after_each_line(demo, db):
    by_time = lines_by_card(["created_at", "id"])
    assert len(by_time) == Card.objects.count() > 120
    for lines in by_time.values():
        running = 0
        for line in lines:
            running += line.points
            assert line.balance_after == running, (line.card_id, line.kind, line.created_at)


def test_demo_ledger_lines_are_written_in_time_order(demo, db):
    for card_id, lines in lines_by_card(["id"]).items():
        moments = [line.created_at for line in lines]
        assert moments == sorted(moments), card_id


def test_demo_members_joined_on_the_day_of_their_first_activity(demo, db):
    first_lines = lines_by_card(["created_at", "id"])
    cards = Card.objects.filter(user__isnull=False).select_related("user")
    assert 120 <= cards.count() <= 150
    for card in cards:
        first = first_lines[card.pk][0].created_at
        joined = card.user.date_joined
        assert joined <= first, card.user.email
        assert first - joined < datetime.timedelta(days=1), card.user.email
        assert abs(card.created_at - first) < datetime.timedelta(days=1), card.user.email


def test_demo_has_a_year_of_history_and_nothing_dated_after_now(demo, db):
    now = timezone.now()
    assert not Response.objects.filter(created_at__gt=now).exists()
    assert not PointTransaction.objects.filter(created_at__gt=now).exists()
    assert not Complaint.objects.filter(created_at__gt=now).exists()
    oldest = PointTransaction.objects.order_by("created_at").first().created_at
    assert now - oldest > datetime.timedelta(days=300)
    answered = Response.objects.order_by("created_at").first().created_at
    assert now - answered > datetime.timedelta(days=300)


def test_demo_has_survey_answers_in_most_weeks_of_the_year(demo, db):
    today = timezone.localdate()
    weeks = {
        (today - timezone.localdate(answered)).days // 7
        for answered in Response.objects.values_list("created_at", flat=True)
    }
    assert len(weeks & set(range(52))) >= 45


def test_demo_complaints_are_answered_within_hours_and_resolved_within_days(demo, db):
    figures = complaint_figures()
    assert figures["median_first_response"] < datetime.timedelta(hours=24)
    assert figures["median_resolution"] < datetime.timedelta(days=7)
    states = set(Complaint.objects.values_list("status", flat=True))
    assert states == set(ComplaintStatus.values)


def test_demo_receipt_numbers_are_each_on_one_card(demo, db):
    cards_by_receipt = defaultdict(set)
    for card_id, reference in PointTransaction.objects.filter(kind=Kind.PURCHASE).values_list(
        "card", "reference"
    ):
        cards_by_receipt[reference].add(card_id)
    assert len(cards_by_receipt) > 1000
    assert all(len(cards) == 1 for cards in cards_by_receipt.values())


def came_back(card, purchased, within):
    """Whether the member bought something on a later day than they joined, within `within`
    days of joining."""
    joined = timezone.localdate(card.user.date_joined)
    return any(0 < (day - joined).days <= within for day in purchased[card.pk])


def test_demo_members_join_all_year_and_some_come_back_and_some_do_not(demo, db):
    now = timezone.now()
    purchased = defaultdict(set)
    for card_id, moment in PointTransaction.objects.filter(kind=Kind.PURCHASE).values_list(
        "card", "created_at"
    ):
        purchased[card_id].add(timezone.localdate(moment))
    cards = list(Card.objects.filter(user__isnull=False).select_related("user"))
    months = {timezone.localtime(card.user.date_joined).strftime("%Y-%m") for card in cards}
    assert len(months) >= 10
    assert all(now - card.user.date_joined < datetime.timedelta(days=366) for card in cards)
    settled = [card for card in cards if now - card.user.date_joined > datetime.timedelta(days=90)]
    back = [card for card in settled if came_back(card, purchased, 30)]
    never = [card for card in settled if not came_back(card, purchased, 365)]
    assert back and never
    # Like a café: most come back within a month, more within three, not everyone ever.
    assert 0.45 < len(back) / len(settled) < 0.8
    assert len(back) < sum(came_back(card, purchased, 90) for card in settled) < len(settled)
    # Those who joined in the last three months are still coming (bought something in the
    # last 90 days) more often than those who joined before.
    today = timezone.localdate()

    def still_coming(group):
        recent = [any((today - day).days <= 90 for day in purchased[card.pk]) for card in group]
        return sum(recent) / len(group)

    assert still_coming(settled) < still_coming([card for card in cards if card not in settled])


def test_demo_ledger_passes_check_ledger(demo, db):
    output = io.StringIO()
    call_command("check_ledger", stdout=output)
    assert "Ledger adds up" in output.getvalue()


def test_running_the_demo_again_adds_nothing(demo, db):
    before = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == before


def test_running_the_demo_again_after_the_walk_in_card_was_claimed_issues_no_card(demo, db):
    walk_in = Card.objects.get(holder_name="Demo walk-in")
    newcomer = User.objects.create_user(email="newcomer@example.com", password="x" * 12)
    services.claim_card(newcomer, walk_in.number, walk_in.claim_pin)
    before = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == before


def test_demo_texts_speak_every_language_with_a_few_left_for_the_owner(demo, db, client):
    from django.urls import reverse
    from django.utils import translation

    from loyalty.models import BonusDay, StampCard, Tier
    from rewards.models import Reward
    from surveys.models import Choice, Question, Survey

    with translation.override("fi"):
        assert Reward.objects.get(name_en="Free coffee").name == "Ilmainen kahvi"
        assert Tier.objects.get(name_en="Gold").name == "Kulta"
        assert (
            BonusDay.objects.get(name_en="Weekend double").message == "Tuplapisteet tänä lauantaina"
        )
        assert StampCard.objects.get().name == "Kahvikortti: 9 + 1 ilmaiseksi"
        assert Survey.objects.get(title_en="How was your visit?").title == "Millainen käyntisi oli?"
        assert Choice.objects.get(label_en="Tea").label == "Teetä"
    with translation.override("fil"):
        assert Question.objects.get(text_en="What did you have?").text == "Ano ang binili mo?"
    with translation.override("id"):
        # Left blank on purpose: Indonesian members read the English, the admin shows "id".
        tote = Reward.objects.get(name_en="Kapihan tote bag")
        assert (tote.name, tote.description) == ("Tas tote Kapihan", tote.description_en)
    client.force_login(User.objects.get(email="owner@example.com"))
    page = client.get(
        reverse("admin:rewards_reward_changelist"), {"translations": "missing"}
    ).content.decode()
    assert "Kapihan tote bag" in page and "Free coffee" not in page


def test_running_the_demo_again_keeps_what_the_owner_translated(demo, db):
    from loyalty.models import Tier

    Tier.objects.filter(name_en="Gold").update(name_fi="Kultainen")
    call_command("seed_demo", stdout=io.StringIO())
    assert Tier.objects.get(name_en="Gold").name_fi == "Kultainen"
