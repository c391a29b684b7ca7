import pytest
from django.urls import reverse
from django.utils.html import escape

from loyalty import services
from loyalty.exceptions import CardNotActive, MissingReason
from loyalty.models import CardEvent, CardEventKind, CardStatus
from tests.factories import make_card


def events_of(card):
    return list(card.events.values_list("kind", "reason", "staff"))


def test_blocking_a_card_keeps_the_reason_and_who_blocked_it(staff_client, staff, card):
    staff_client.post(reverse("admin:counter_block", args=[card.pk]), {"reason": "Reported lost"})

    card.refresh_from_db()
    assert card.status == CardStatus.BLOCKED
    assert events_of(card) == [(CardEventKind.BLOCKED, "Reported lost", staff.pk)]


def test_a_refused_block_leaves_no_event(staff, card):
    with pytest.raises(MissingReason):
        services.block_card(card, staff=staff, reason="  ")
    services.block_card(card, staff=staff, reason="Stolen")
    with pytest.raises(CardNotActive):
        services.block_card(card, staff=staff, reason="Again")

    assert events_of(card) == [(CardEventKind.BLOCKED, "Stolen", staff.pk)]


def test_replacing_a_card_and_allowing_its_claim_again_are_kept_newest_first(staff, tiers):
    walk_in = make_card(holder_name="Walk In", staff=staff, physical=True)

    services.block_card(walk_in, staff=staff, reason="Left on the bus")
    services.replace_card(walk_in, staff=staff, reason="Lost card")
    services.unlock_claim(walk_in, staff=staff)

    assert events_of(walk_in) == [
        (CardEventKind.CLAIM_UNLOCKED, "", staff.pk),
        (CardEventKind.REPLACED, "Lost card", staff.pk),
        (CardEventKind.BLOCKED, "Left on the bus", staff.pk),
    ]


def test_a_digital_card_replaced_by_a_claimed_card_says_so(member, card, staff):
    printed = make_card(holder_name="Walk-in", physical=True, staff=staff)

    services.claim_card(member, printed.number, printed.claim_pin)

    assert events_of(card) == [
        (CardEventKind.REPLACED, f"Card {printed.formatted_number} claimed", None)
    ]


def test_counter_card_page_shows_the_latest_card_events(staff_client, staff, card):
    services.block_card(card, staff=staff, reason="Reported lost")

    page = staff_client.get(reverse("admin:counter_card", args=[card.pk])).content.decode()

    assert "Card history" in page
    assert "Reported lost" in page
    assert escape(str(staff)) in page


def test_owner_sees_a_cards_events_in_the_admin_and_cannot_change_them(owner_client, staff, card):
    services.block_card(card, staff=staff, reason="Reported lost")
    event = CardEvent.objects.get()

    card_page = owner_client.get(reverse("admin:loyalty_card_change", args=[card.pk]))
    event_list = owner_client.get(reverse("admin:loyalty_cardevent_changelist"))
    edit = owner_client.post(
        reverse("admin:loyalty_cardevent_change", args=[event.pk]), {"reason": "Changed"}
    )

    for page in (card_page, event_list):
        text = page.content.decode()
        assert "Reported lost" in text
        assert escape(str(staff)) in text
    assert edit.status_code == 403
    assert owner_client.get(reverse("admin:loyalty_cardevent_add")).status_code == 403
    assert CardEvent.objects.get().reason == "Reported lost"


def test_staff_may_read_card_events(staff_client, staff, card):
    services.block_card(card, staff=staff, reason="Reported lost")

    response = staff_client.get(reverse("admin:loyalty_cardevent_changelist"))

    assert response.status_code == 200
    assert "Reported lost" in response.content.decode()
