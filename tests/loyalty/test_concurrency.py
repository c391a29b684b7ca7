"""Rules that must hold when tills and browser tabs act on one card at the same moment."""

from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.roles import STAFF
from loyalty import services
from loyalty.exceptions import InsufficientPoints, ReceiptUsedOnAnotherCard
from loyalty.models import Kind, PointTransaction
from loyalty.services import PurchaseRecorded
from tests.concurrency import all_at_once, of_type, postgresql_only
from tests.factories import UserFactory

pytestmark = postgresql_only


def ledger_sum(card):
    return sum(PointTransaction.objects.filter(card=card).values_list("points", flat=True))


def test_same_receipt_submitted_by_eight_tills_at_once_is_recorded_once(card, staff, program):
    results = all_at_once(
        8, lambda _index: services.record_purchase(card, "12.50", reference="R-1", staff=staff)
    )

    assert all(isinstance(result, PurchaseRecorded) for result in results), results
    assert len({result.line.pk for result in results}) == 1
    assert PointTransaction.objects.filter(card=card, kind=Kind.PURCHASE).count() == 1
    card.refresh_from_db()
    assert card.balance == 50 + 12 + 25


def test_only_one_of_the_tills_sending_one_receipt_at_once_is_told_it_was_recorded(
    card, staff, program
):
    results = all_at_once(
        6, lambda _index: services.record_purchase(card, "30.00", reference="R-9", staff=staff)
    )

    assert all(isinstance(result, PurchaseRecorded) for result in results), results
    assert [result.created for result in results].count(True) == 1
    (line,) = PointTransaction.objects.filter(card=card, kind=Kind.PURCHASE)
    assert {result.line for result in results} == {line}
    card.refresh_from_db()
    assert card.balance == ledger_sum(card) == 50 + 30 + 25


def test_one_receipt_sent_for_two_cards_at_once_earns_points_on_one_card_only(
    card, outsider_card, staff, program
):
    cards = [card, outsider_card]

    results = all_at_once(
        2,
        lambda index: services.record_purchase(
            cards[index], "12.50", reference="T-1001", staff=staff
        ),
    )

    (recorded,) = of_type(results, PurchaseRecorded)
    (refused,) = of_type(results, ReceiptUsedOnAnotherCard)
    assert recorded.created
    (line,) = PointTransaction.objects.filter(kind=Kind.PURCHASE, reference="T-1001")
    assert line == recorded.line
    assert line.card.formatted_number in str(refused)
    other = outsider_card if line.card == card else card
    other.refresh_from_db()
    assert other.balance == 50


def test_two_tills_sending_one_receipt_for_one_card_at_once_are_told_apart_at_the_counter(
    card, staff, program
):
    colleague = UserFactory(email="colleague@example.com", is_staff=True)
    colleague.groups.add(Group.objects.get(name=STAFF))
    tills = [Client(), Client()]
    for till, person in zip(tills, [staff, colleague], strict=True):
        till.force_login(person)
    url = reverse("admin:counter_purchase", args=[card.pk])

    def send(index):
        response = tills[index].post(url, {"amount": "12.50", "reference": "R-5"})
        assert response.status_code == 302
        return [str(message) for message in get_messages(response.wsgi_request)]

    told = all_at_once(2, send)

    assert all(isinstance(messages, list) for messages in told), told
    assert sorted(told) == [
        ["Receipt R-5 was already recorded on this card (12 points). Nothing was added."],
        ["Recorded €12.50: +12 points. New balance 87."],
    ]
    assert PointTransaction.objects.filter(card=card, kind=Kind.PURCHASE).count() == 1
    card.refresh_from_db()
    assert card.balance == ledger_sum(card) == 50 + 12 + 25


def test_concurrent_spending_never_takes_the_balance_below_zero(card, program):
    services.award_bonus(card, Kind.GOODWILL, 50)  # balance 100

    results = all_at_once(10, lambda _index: services.spend_points(card, 30, note="Coffee"))

    spent = [result for result in results if isinstance(result, PointTransaction)]
    refused = [result for result in results if isinstance(result, InsufficientPoints)]
    assert (len(spent), len(refused)) == (3, 7), results
    card.refresh_from_db()
    assert card.balance == 10
    assert sorted(line.balance_after for line in spent) == [10, 40, 70]


def test_concurrent_purchases_with_different_receipts_all_land(card, staff, program):
    results = all_at_once(
        8,
        lambda index: services.record_purchase(card, "10.00", reference=f"R-{index}", staff=staff),
    )

    assert all(isinstance(result, PurchaseRecorded) for result in results), results
    assert all(result.created for result in results)
    assert PointTransaction.objects.filter(card=card, kind=Kind.PURCHASE).count() == 8
    assert PointTransaction.objects.filter(card=card, kind=Kind.FIRST_PURCHASE_BONUS).count() == 1
    card.refresh_from_db()
    assert card.balance == ledger_sum(card) == 50 + 8 * 10 + 25
