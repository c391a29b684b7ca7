from decimal import Decimal

import pytest
from django.urls import reverse

from loyalty import cardnumbers, services
from loyalty.models import Card, CardStatus, Kind, PointTransaction
from tests.factories import make_card

# Session, user, 2 permission checks, card, program, bonus days, latest lines, card events,
# reversals, the counter's branch, the stamp cards.
COUNTER_QUERIES = 12


def mistyped(number):
    wrong = str((int(number[3]) + 1) % 10)
    return number[:3] + wrong + number[4:]


def test_scanning_a_card_number_opens_the_card(staff_client, card):
    response = staff_client.get(reverse("admin:counter"), {"query": card.number})
    assert response.status_code == 302
    assert response.url == reverse("admin:counter_card", args=[card.pk])


def test_typed_number_with_spaces_is_found(staff_client, card):
    response = staff_client.get(reverse("admin:counter"), {"query": card.formatted_number})
    assert response.url == reverse("admin:counter_card", args=[card.pk])


def test_mistyped_digit_is_caught_before_any_lookup(staff_client, card, django_assert_num_queries):
    number = mistyped(card.number)
    assert not cardnumbers.is_valid(number)
    # Session, user, the user's two permission queries and the counter's branch: no card is
    # looked up.
    with django_assert_num_queries(5):
        response = staff_client.get(reverse("admin:counter"), {"query": number})
    assert "a digit may be mistyped" in response.content.decode()


def test_unknown_card_number_says_so(staff_client, tiers):
    body = "12345678901"
    number = body + cardnumbers.luhn_check_digit(body)
    response = staff_client.get(reverse("admin:counter"), {"query": number})
    assert "No card has that number." in response.content.decode()


@pytest.mark.parametrize("query", ["M", " 4 "])
def test_one_character_asks_for_more_before_any_lookup(
    staff_client, card, query, django_assert_num_queries
):
    # Session, user, the user's two permission queries and the counter's branch: no card is
    # looked up.
    with django_assert_num_queries(5):
        response = staff_client.get(reverse("admin:counter"), {"query": query})
    page = response.content.decode()
    assert "Type at least two letters or digits." in page
    assert "No card matches" not in page


@pytest.mark.parametrize("query", ["Maria", "reyes", "member@example", "040 555"])
def test_finds_a_card_by_name_email_or_phone(staff_client, card, member, query):
    member.phone = "040 555 1234"
    member.save()
    response = staff_client.get(reverse("admin:counter"), {"query": query})
    assert response.status_code == 302
    assert response.url == reverse("admin:counter_card", args=[card.pk])


def test_several_matches_are_listed(staff_client, card, outsider_card, member, outsider):
    response = staff_client.get(reverse("admin:counter"), {"query": "example.com"})
    page = response.content.decode()
    assert card.formatted_number in page
    assert outsider_card.formatted_number in page


def test_card_page_shows_member_tier_balance(staff_client, card):
    page = staff_client.get(reverse("admin:counter_card", args=[card.pk])).content.decode()
    assert "Maria Reyes" in page
    assert "Bronze" in page
    assert f">{card.balance}<" in page


def test_recording_a_purchase_shows_points_and_new_balance(staff_client, card, staff):
    response = staff_client.post(
        reverse("admin:counter_purchase", args=[card.pk]),
        {"amount": "12,50", "reference": "1042"},
        follow=True,
    )
    card.refresh_from_db()
    line = PointTransaction.objects.get(card=card, kind=Kind.PURCHASE)
    assert line.amount == Decimal("12.50")
    assert line.created_by == staff
    assert f"+{line.points} points. New balance {card.balance}." in response.content.decode()


def test_double_submitted_receipt_is_recorded_once(staff_client, card):
    url = reverse("admin:counter_purchase", args=[card.pk])
    staff_client.post(url, {"amount": "20.00", "reference": "777"})
    response = staff_client.post(url, {"amount": "20.00", "reference": "777"}, follow=True)
    assert PointTransaction.objects.filter(card=card, kind=Kind.PURCHASE).count() == 1
    assert "was already recorded" in response.content.decode()


def test_receipt_already_on_another_card_is_refused_naming_the_card_and_its_holder(
    staff_client, card, outsider_card, staff
):
    services.record_purchase(card, "12.50", reference="T-1001", staff=staff)

    response = staff_client.post(
        reverse("admin:counter_purchase", args=[outsider_card.pk]),
        {"amount": "12.50", "reference": "T-1001"},
        follow=True,
    )

    assert (
        f"Receipt T-1001 already earned points on card {card.formatted_number} (Maria Reyes). "
        "Nothing was added."
    ) in response.content.decode()
    assert not PointTransaction.objects.filter(card=outsider_card, kind=Kind.PURCHASE).exists()
    outsider_card.refresh_from_db()
    assert outsider_card.balance == 50


def test_a_first_receipt_says_recorded_and_the_same_receipt_again_says_nothing_was_added(
    staff_client, card, program
):
    program.points_per_unit = Decimal("2.00")
    program.purchase_ceiling = Decimal("5000.00")
    program.save()
    url = reverse("admin:counter_purchase", args=[card.pk])

    first = staff_client.post(url, {"amount": "1234.50", "reference": "R-77"}, follow=True)
    again = staff_client.post(url, {"amount": "1234.50", "reference": "R-77"}, follow=True)

    # 50 welcome + 2,469 for the purchase + 25 first-purchase bonus.
    assert "Recorded €1,234.50: +2,469 points. New balance 2,544." in first.content.decode()
    assert (
        "Receipt R-77 was already recorded on this card (2,469 points). Nothing was added."
        in again.content.decode()
    )
    assert "Recorded" not in again.content.decode()
    assert Card.objects.get(pk=card.pk).balance == 2544


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "Enter an amount greater than zero."),
        ("-5", "Enter an amount greater than zero."),
        ("abc", "Enter the amount as a number"),
        ("1000000", "The amount must be below"),
        ("1.234", "at most two decimals"),
    ],
)
def test_bad_amounts_are_refused_with_a_message(staff_client, card, amount, message):
    before = Card.objects.get(pk=card.pk).balance
    response = staff_client.post(
        reverse("admin:counter_purchase", args=[card.pk]),
        {"amount": amount, "reference": "X1"},
        follow=True,
    )
    assert message in response.content.decode()
    assert Card.objects.get(pk=card.pk).balance == before
    assert not PointTransaction.objects.filter(kind=Kind.PURCHASE).exists()


def test_reversal_needs_a_reason_and_happens_once(staff_client, card, staff):
    line = services.record_purchase(card, Decimal("30.00"), reference="R1", staff=staff).line
    url = reverse("admin:counter_reverse", args=[line.pk])
    response = staff_client.post(url, {"reason": ""}, follow=True)
    assert "Give a reason" in response.content.decode()
    staff_client.post(url, {"reason": "Returned the cake"})
    response = staff_client.post(url, {"reason": "Again"}, follow=True)
    assert "already been reversed" in response.content.decode()
    assert PointTransaction.objects.filter(kind=Kind.PURCHASE_REVERSAL).count() == 1


def test_reversal_message_writes_points_like_the_page(staff_client, card, staff, program):
    program.points_per_unit = Decimal("2.00")
    program.save()
    line = services.record_purchase(card, Decimal("999.00"), reference="R5", staff=staff).line

    response = staff_client.post(
        reverse("admin:counter_reverse", args=[line.pk]), {"reason": "Returned"}, follow=True
    )

    # 50 welcome + 1,998 for the purchase + 25 first-purchase bonus − 1,998.
    assert "Receipt R5 reversed: −1,998 points. New balance 75." in response.content.decode()


def test_reversing_a_reversal_is_refused(staff_client, card, staff):
    line = services.record_purchase(card, Decimal("30.00"), reference="R1", staff=staff).line
    reversal = services.reverse_purchase(line, staff=staff, reason="Returned")
    response = staff_client.post(
        reverse("admin:counter_reverse", args=[reversal.pk]), {"reason": "undo"}, follow=True
    )
    assert "Only a purchase can be reversed." in response.content.decode()


def test_blocked_card_is_refused_for_purchases(staff_client, card, staff):
    services.block_card(card, staff=staff, reason="Lost")
    response = staff_client.post(
        reverse("admin:counter_purchase", args=[card.pk]),
        {"amount": "10", "reference": "B1"},
        follow=True,
    )
    assert "blocked" in response.content.decode()
    assert not PointTransaction.objects.filter(kind=Kind.PURCHASE).exists()


def test_replacing_a_lost_card_moves_everything_and_retires_the_old_number(
    staff_client, card, staff
):
    services.record_purchase(card, Decimal("40.00"), reference="R1", staff=staff)
    card.refresh_from_db()
    old_number, balance = card.number, card.balance
    response = staff_client.post(
        reverse("admin:counter_replace", args=[card.pk]), {"reason": "Lost card"}
    )
    card.refresh_from_db()
    assert response.url == reverse("admin:counter_print", args=[card.pk])
    assert card.number != old_number
    assert card.balance == balance
    assert card.status == CardStatus.ACTIVE
    refused = staff_client.get(reverse("admin:counter"), {"query": old_number})
    page = refused.content.decode()
    assert "was replaced" in page
    assert card.formatted_number in page


def test_enrolling_a_walk_in_prints_a_card_with_pin_qr_and_barcode(
    staff_client, staff, tiers, program
):
    response = staff_client.post(
        reverse("admin:counter_enrol"), {"holder_name": "Walk In", "holder_email": ""}
    )
    card = Card.objects.get(holder_name="Walk In")
    assert response.url == reverse("admin:counter_print", args=[card.pk])
    assert card.is_physical and card.user is None and len(card.claim_pin) == 6
    assert card.balance == program.signup_bonus
    page = staff_client.get(response.url).content.decode()
    assert card.formatted_number in page
    assert card.claim_pin in page
    assert '<svg role="img"' in page
    assert 'src="data:image/svg+xml;base64,' in page


def test_enrolment_refuses_a_malformed_email(staff_client, staff, tiers):
    response = staff_client.post(reverse("admin:counter_enrol"), {"holder_email": "nope"})
    assert "Enter a valid email address." in response.content.decode()
    assert not Card.objects.exists()


def test_members_and_outsiders_cannot_use_the_counter(client, member, card):
    client.force_login(member)
    assert client.get(reverse("admin:counter")).status_code == 302  # to the admin login
    response = client.post(
        reverse("admin:counter_purchase", args=[card.pk]), {"amount": "10", "reference": "X"}
    )
    assert response.status_code == 302
    assert not PointTransaction.objects.filter(kind=Kind.PURCHASE).exists()


def test_unknown_card_id_is_404(staff_client, tiers):
    assert staff_client.get(reverse("admin:counter_card", args=[999999])).status_code == 404


@pytest.mark.parametrize("purchases", [3, 30])
def test_counter_card_page_queries_do_not_grow_with_history(
    staff_client, card, staff, purchases, django_assert_num_queries
):
    make_card(holder_name="Other", staff=staff, physical=True)
    for number in range(purchases):
        services.record_purchase(card, Decimal("5.00"), reference=f"Q{number}", staff=staff)
    with django_assert_num_queries(COUNTER_QUERIES):
        staff_client.get(reverse("admin:counter_card", args=[card.pk]))
