"""Each event is emitted by the service that makes the change, with the fields a shop's system
needs and no personal data, to the active endpoints that subscribe to it and no others."""

import datetime
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from loyalty import services
from rewards import services as reward_services
from surveys import services as survey_services
from surveys.models import ComplaintCategory, ComplaintChannel, QuestionKind, RemedySought
from tests.factories import UserFactory, make_card
from tests.rewards.factories import RewardFactory, top_up
from tests.surveys.factories import QuestionFactory, SurveyFactory
from webhooks.models import Delivery, Endpoint, Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def listening(db):
    """The endpoint that wants everything; beside it one that wants something else and one
    that is switched off."""
    Endpoint.objects.create(url="https://crm.example/hooks", events=[Event.COMPLAINT_OPENED])
    Endpoint.objects.create(
        url="https://old.example/hooks", events=list(Event.values), is_active=False
    )
    return Endpoint.objects.create(url="https://till.example/hooks", events=list(Event.values))


def sent(event: str, listening: Endpoint) -> list[dict]:
    """The data of each `event` message to `listening`, checking that no message of any event
    went to an endpoint that is switched off or does not subscribe to it."""
    for delivery in Delivery.objects.select_related("endpoint"):
        assert delivery.endpoint.is_active and delivery.event_type in delivery.endpoint.events
    deliveries = list(Delivery.objects.filter(event_type=event, endpoint=listening).order_by("pk"))
    for delivery in deliveries:
        assert delivery.payload["type"] == event
        text = json.dumps(delivery.payload)
        assert "@" not in text, "no e-mail addresses in a payload"
        assert "Maria" not in text and "Reyes" not in text, "no names in a payload"
    return [delivery.payload["data"] for delivery in deliveries]


def test_an_online_sign_up_emits_member_joined(listening, member, tiers):
    card = make_card(member)
    (data,) = sent(Event.MEMBER_JOINED, listening)
    assert data == {
        "card_number": card.number,
        "joined": "online",
        "has_account": True,
        "tier": "Bronze",
        "balance": 50,
        "issued_at": data["issued_at"],
    }


def test_a_walk_in_enrolled_at_the_counter_emits_member_joined_once(listening, staff, tiers):
    card = make_card(holder_name="Maria Reyes", physical=True, staff=staff)
    (data,) = sent(Event.MEMBER_JOINED, listening)
    assert (data["card_number"], data["joined"], data["has_account"]) == (
        card.number,
        "counter",
        False,
    )
    services.claim_card(UserFactory(), card.number, card.claim_pin)
    assert len(sent(Event.MEMBER_JOINED, listening)) == 1  # claiming joins nobody new


def test_a_purchase_emits_purchase_recorded_once_per_receipt(listening, card, staff):
    line = services.record_purchase(card, "12.50", reference="R-1", staff=staff).line
    services.record_purchase(card, "12.50", reference="R-1", staff=staff)  # a double submit

    (data,) = sent(Event.PURCHASE_RECORDED, listening)
    card.refresh_from_db()
    assert data == {
        "line_id": line.pk,
        "card_number": card.number,
        "points": 12,
        "amount": "12.50",
        "receipt": "R-1",
        "branch": line.store.name,
        "balance": card.balance,
        "created_at": line.created_at.isoformat(),
        "tier": "Bronze",
        "bonus_day": None,
    }


def test_a_reversal_emits_purchase_reversed(listening, card, staff):
    line = services.record_purchase(card, "12.50", reference="R-1", staff=staff).line
    reversal = services.reverse_purchase(line, staff=staff, reason="Rang up twice")

    (data,) = sent(Event.PURCHASE_REVERSED, listening)
    card.refresh_from_db()
    assert data["line_id"] == reversal.pk
    assert data["reversed_line_id"] == line.pk
    assert (data["points"], data["amount"], data["receipt"]) == (-12, "12.50", "R-1")
    assert (data["balance"], data["reason"]) == (card.balance, "Rang up twice")
    assert data["branch"] == line.store.name


def test_moving_up_and_down_emits_tier_changed(listening, card, staff, program):
    first_tier = sent(Event.TIER_CHANGED, listening)
    assert [(data["from_tier"], data["to_tier"]) for data in first_tier] == [(None, "Bronze")]

    services.record_purchase(card, "600.00", reference="R-1", staff=staff)
    up = sent(Event.TIER_CHANGED, listening)[-1]
    assert (up["card_number"], up["from_tier"], up["to_tier"], up["direction"]) == (
        card.number,
        "Bronze",
        "Silver",
        "up",
    )

    day = timezone.localdate() + datetime.timedelta(days=400)
    with time_machine.travel(datetime.datetime.combine(day, datetime.time(12)), tick=False):
        assert services.review_tiers(day) == (0, 1)
    down = sent(Event.TIER_CHANGED, listening)[-1]
    assert (down["from_tier"], down["to_tier"], down["direction"]) == ("Silver", "Bronze", "down")
    assert down["reason"] == f"Tier review {day}"


def test_a_redemption_emits_voucher_issued_and_fulfilment_voucher_used(listening, card, staff):
    reward = RewardFactory(name="Free croissant", points_cost=100)
    top_up(card, 200)
    redemption = reward_services.redeem(card, reward)

    (issued,) = sent(Event.VOUCHER_ISSUED, listening)
    assert issued == {
        "voucher_code": redemption.code,
        "card_number": card.number,
        "reward": "Free croissant",
        "reward_kind": "free_item",
        "quantity": 1,
        "points": 100,
        "status": "issued",
        "valid_until": redemption.valid_until.isoformat(),
        "created_at": redemption.created_at.isoformat(),
        "used_at": None,
        "branch": None,
    }

    used = reward_services.fulfil_redemption(redemption, staff=staff)
    (data,) = sent(Event.VOUCHER_USED, listening)
    assert (data["voucher_code"], data["status"]) == (redemption.code, "fulfilled")
    assert data["used_at"] == used.fulfilled_at.isoformat()
    assert data["branch"] == used.fulfilled_store.name


def test_a_complaint_from_the_portal_emits_complaint_opened_without_the_customers_words(
    listening, member, card
):
    case = survey_services.file_complaint(
        user=member,
        name="Maria Reyes",
        email=member.email,
        phone="040 123 4567",
        category=ComplaintCategory.PRODUCT,
        description="The croissant was stale.",
        remedy_sought=RemedySought.REPLACEMENT,
        channel=ComplaintChannel.PORTAL,
        receipt_number="R-9",
    )
    (data,) = sent(Event.COMPLAINT_OPENED, listening)
    assert data["complaint_id"] == case.pk
    assert data["reference"] == case.reference
    assert (data["category"], data["channel"], data["status"]) == ("product", "portal", "new")
    assert (data["card_number"], data["receipt"]) == (card.number, "R-9")
    assert data["admin_url"].endswith(reverse("admin:surveys_complaint_change", args=[case.pk]))
    text = json.dumps(data)
    # The phone in any spelling: card numbers are random digits, so a bare "040" could match one.
    assert "stale" not in text and "123 4567" not in text and "1234567" not in text
    # The complaints endpoint hears of it too.
    crm = Endpoint.objects.get(url="https://crm.example/hooks")
    assert Delivery.objects.filter(endpoint=crm, event_type=Event.COMPLAINT_OPENED).count() == 1


def test_the_public_form_and_a_survey_follow_up_emit_complaint_opened(client, member, card):
    crm = Endpoint.objects.create(url="https://crm.example/hooks", events=[Event.COMPLAINT_OPENED])
    response = client.post(
        reverse("contact"),
        {
            "name": "Vera Visitor",
            "email": "vera@example.com",
            "phone": "",
            "category": ComplaintCategory.SERVICE,
            "description": "Nobody answered the phone.",
            "remedy_sought": RemedySought.APOLOGY,
            "receipt_number": "",
            "website": "",
        },
    )
    assert response.context["complaint"].reference  # the "we got it" page

    survey = SurveyFactory(audience="public", allow_anonymous=True)
    nps = QuestionFactory(survey=survey, order=1, kind=QuestionKind.NPS)
    survey_services.submit_response(survey, {nps.pk: 2}, user=member)

    channels = [data["channel"] for data in sent(Event.COMPLAINT_OPENED, crm)]
    assert channels == ["public_form", "survey_follow_up"]


def test_nothing_is_emitted_without_a_subscribed_active_endpoint(member, card, staff):
    Endpoint.objects.create(url="https://off.example/", events=list(Event.values), is_active=False)
    Endpoint.objects.create(url="https://quiet.example/", events=[])
    services.record_purchase(card, "12.50", reference="R-1", staff=staff)
    make_card(UserFactory())
    assert not Delivery.objects.exists()
