import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from loyalty import services
from loyalty.models import BonusDay, Card, CardStatus, PointTransaction, Store
from tests.factories import make_card

# Session, user, the page's state (core.pagecache), card, program, tiers, bonus days, rewards,
# the stamp cards (none here; with some, their progress and vouchers add two: see
# tests/loyalty/test_stamp_pages.py), earnings in the tier window, recent lines, the post-visit
# survey and the latest purchase it asks about.
PORTAL_QUERIES = 13
HISTORY_QUERIES = 5  # session, user, the page's state, count, one page of lines
NOON = datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.UTC)


def add_purchases(card, staff, count, *, start=0):
    for number in range(start, start + count):
        services.record_purchase(card, Decimal("10.00"), reference=f"R{number}", staff=staff)


@time_machine.travel(NOON)
def test_member_home_shows_card_balance_tier_progress_and_value(
    member_client, card, staff, program
):
    services.record_purchase(card, Decimal("200.00"), reference="1042", staff=staff)
    card.refresh_from_db()
    page = member_client.get(reverse("portal")).content.decode()
    assert card.formatted_number in page
    assert '<svg role="img"' in page  # the QR code, drawn inline
    assert f"{card.balance} points" in page
    assert "Bronze" in page
    assert f"{500 - card.balance} more points to Silver" in page
    value = card.balance * program.point_value
    assert f"worth €{value:.2f}" in page
    assert "expire on 24 Nov 2027" in page


@time_machine.travel(NOON)
def test_member_home_announces_bonus_days_for_their_tier_only(member_client, card, tiers):
    gold = tiers[2]
    BonusDay.objects.create(
        name="Everyone",
        message="Double points this Saturday",
        starts_on=datetime.date(2026, 11, 28),
        ends_on=datetime.date(2026, 11, 28),
        multiplier=Decimal("2"),
    )
    BonusDay.objects.create(
        name="Gold only",
        message="Gold tasting triple",
        starts_on=datetime.date(2026, 11, 25),
        ends_on=datetime.date(2026, 11, 30),
        multiplier=Decimal("3"),
        minimum_tier=gold,
    )
    page = member_client.get(reverse("portal")).content.decode()
    assert "Double points this Saturday" in page
    assert "Gold tasting triple" not in page


def test_history_lists_every_line_with_why_and_balance_after(member_client, card, staff, tiers):
    kiosk = Store.objects.create(name="Harbour kiosk")
    services.record_purchase(card, Decimal("12.34"), reference="1042", staff=staff, store=kiosk)
    page = member_client.get(reverse("history")).content.decode()
    assert "Purchase" in page
    assert "€12.34" in page
    assert "receipt 1042" in page
    assert "Harbour kiosk" in page
    assert "Welcome bonus" in page
    assert "Balance after:" in page


def test_history_is_paginated(member_client, card, staff):
    add_purchases(card, staff, 25)
    first = member_client.get(reverse("history")).content.decode()
    second = member_client.get(reverse("history"), {"page": 2}).content.decode()
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in second
    assert "Welcome bonus" in second


@pytest.mark.parametrize("size", [10, 1000])
def test_member_home_and_history_queries_do_not_grow_with_history(
    member_client, card, staff, size, django_assert_num_queries
):
    store = Store.main()
    lines = [
        PointTransaction(
            card=card,
            store=store,
            kind="purchase",
            points=1,
            balance_after=card.balance + i + 1,
            amount=Decimal("1.00"),
            reference=f"bulk{i}",
        )
        for i in range(size)
    ]
    PointTransaction.objects.bulk_create(lines)
    Card.objects.filter(pk=card.pk).update(balance=card.balance + size)
    with django_assert_num_queries(PORTAL_QUERIES):
        assert member_client.get(reverse("portal")).status_code == 200
    with django_assert_num_queries(HISTORY_QUERIES):
        assert member_client.get(reverse("history"), {"page": 3}).status_code == 200


def test_member_sees_only_their_own_history(member_client, card, outsider_card, staff):
    services.record_purchase(outsider_card, Decimal("55.55"), reference="SECRET-1", staff=staff)
    page = member_client.get(reverse("history")).content.decode()
    assert "SECRET-1" not in page
    assert (
        outsider_card.formatted_number not in member_client.get(reverse("portal")).content.decode()
    )


def test_signed_in_member_on_the_home_page_goes_to_their_card(member_client, card):
    response = member_client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url == reverse("portal")


def test_visitors_and_staff_see_the_public_home_page(client, staff):
    assert "Join for free" in client.get(reverse("home")).content.decode()
    client.force_login(staff)
    page = client.get(reverse("home"))
    assert page.status_code == 200
    assert "Show my card" in page.content.decode()


def test_portal_needs_login(client, db):
    assert client.get(reverse("portal")).status_code == 302
    assert client.get(reverse("history")).status_code == 302


def test_member_without_card_can_get_a_digital_one_once(client, outsider, tiers, program):
    client.force_login(outsider)
    assert "Get a digital card" in client.get(reverse("portal")).content.decode()
    client.post(reverse("digital_card"))
    client.post(reverse("digital_card"))  # a double click
    cards = Card.objects.filter(user=outsider)
    assert cards.count() == 1
    assert cards.get().balance == program.signup_bonus


def test_member_claims_a_walk_in_card_with_number_and_pin(client, outsider, staff, tiers):
    walk_in = make_card(holder_name="Walk In", staff=staff, physical=True)
    client.force_login(outsider)
    response = client.post(
        reverse("claim_card"),
        {"number": walk_in.formatted_number, "pin": walk_in.claim_pin},
        follow=True,
    )
    walk_in.refresh_from_db()
    assert walk_in.user == outsider
    assert "is now yours" in response.content.decode()


def test_wrong_pin_says_so_and_changes_nothing(client, outsider, staff, tiers):
    walk_in = make_card(holder_name="Walk In", staff=staff, physical=True)
    client.force_login(outsider)
    wrong = "000000" if walk_in.claim_pin != "000000" else "111111"
    response = client.post(reverse("claim_card"), {"number": walk_in.number, "pin": wrong})
    assert "do not match a card that can be claimed" in response.content.decode()
    walk_in.refresh_from_db()
    assert walk_in.user is None


def test_claims_are_rate_limited_per_member(client, outsider, staff, tiers):
    walk_in = make_card(holder_name="Walk In", staff=staff, physical=True)
    client.force_login(outsider)
    for _ in range(10):
        client.post(reverse("claim_card"), {"number": "123456789012", "pin": "123456"})
    response = client.post(
        reverse("claim_card"), {"number": walk_in.number, "pin": walk_in.claim_pin}
    )
    assert "Too many attempts" in response.content.decode()
    walk_in.refresh_from_db()
    assert walk_in.user is None


def test_blocked_card_shows_no_qr_and_says_why(member_client, card, staff):
    services.block_card(card, staff=staff, reason="Lost")
    page = member_client.get(reverse("portal")).content.decode()
    assert "This card is blocked" in page
    assert '<svg role="img"' not in page
    assert Card.objects.get(pk=card.pk).status == CardStatus.BLOCKED


def test_negative_balance_is_explained(member_client, card, staff, program):
    line = services.record_purchase(card, Decimal("300.00"), reference="BIG", staff=staff).line
    services.spend_points(card, card.__class__.objects.get(pk=card.pk).balance - 10)
    services.reverse_purchase(line, staff=staff, reason="Returned")
    page = member_client.get(reverse("portal")).content.decode()
    assert "below zero" in page
