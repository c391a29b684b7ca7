"""Stamp cards on the member home and at the counter."""

import pytest
from django.urls import reverse

from loyalty import services
from loyalty.models import StampCard, StampLine, StampRule
from rewards.models import Redemption
from tests.loyalty.test_portal import PORTAL_QUERIES
from tests.rewards.factories import RewardFactory


@pytest.fixture
def coffee(db):
    return StampCard.objects.create(
        name="Coffee card",
        stamps_needed=9,
        rule=StampRule.ITEMS,
        product="coffee",
        reward=RewardFactory(name="Free coffee", points_cost=1),
    )


def test_the_member_home_shows_the_stamps_and_the_free_coffee(member_client, card, staff, coffee):
    services.record_purchase(card, "30.00", reference="R-1", staff=staff, items=11)
    page = member_client.get(reverse("portal")).content.decode()
    assert "Coffee card" in page and "2 of 9 stamps" in page
    assert page.count('class="stamp stamp-filled"') == 2
    assert page.count('class="stamp"') == 7
    voucher = Redemption.objects.get(stamp_line__isnull=False)
    assert voucher.formatted_code in page
    assert reverse("voucher", args=[voucher.code]) in page


def test_stamp_cards_add_the_same_queries_however_many(member_client, card, staff, coffee):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def portal_queries():
        member_client.get(reverse("portal"))
        with CaptureQueriesContext(connection) as queries:
            assert member_client.get(reverse("portal")).status_code == 200
        return len(queries)

    services.record_purchase(card, "30.00", reference="R-1", staff=staff, items=10)
    with_one = portal_queries()
    for number in range(5):
        StampCard.objects.create(name=f"Card {number}", stamps_needed=5, reward=coffee.reward)
    services.record_purchase(card, "30.00", reference="R-2", staff=staff, items=3)
    assert portal_queries() == with_one
    # Beside the page's own: the stamp cards' progress and their vouchers.
    assert with_one <= PORTAL_QUERIES + 2


def test_the_counter_stamps_the_items_typed_and_says_so(client, staff, card, coffee):
    client.force_login(staff)
    page = client.get(reverse("admin:counter_card", args=[card.pk])).content.decode()
    assert 'name="items"' in page and "Items (coffee)" in page
    assert "0 of 9 stamps" in page
    response = client.post(
        reverse("admin:counter_purchase", args=[card.pk]),
        {"amount": "13.50", "reference": "R-7", "items": "3"},
        follow=True,
    )
    text = response.content.decode()
    assert "Coffee card: 3 of 9 stamps." in text
    assert StampLine.objects.get().stamps == 3

    response = client.post(
        reverse("admin:counter_purchase", args=[card.pk]),
        {"amount": "27.00", "reference": "R-8", "items": "6"},
        follow=True,
    )
    voucher = Redemption.objects.get(stamp_line__isnull=False)
    assert f"Card full: voucher {voucher.formatted_code} for Free coffee issued." in (
        response.content.decode()
    )


@pytest.mark.parametrize("items", ["0", "abc", "100", "٣"])
def test_a_wrong_item_count_at_the_counter_records_nothing(client, staff, card, coffee, items):
    client.force_login(staff)
    response = client.post(
        reverse("admin:counter_purchase", args=[card.pk]),
        {"amount": "13.50", "reference": "R-7", "items": items},
        follow=True,
    )
    assert "Enter the number of items, from 1 to 99." in response.content.decode()
    assert not card.transactions.filter(kind="purchase").exists()


def test_a_stamp_cards_voucher_cannot_be_cancelled_by_the_member(
    member_client, card, staff, coffee
):
    services.record_purchase(card, "30.00", reference="R-1", staff=staff, items=9)
    voucher = Redemption.objects.get()
    member_client.post(reverse("cancel_voucher", args=[voucher.code]), follow=True)
    voucher.refresh_from_db()
    assert voucher.status == "issued"
