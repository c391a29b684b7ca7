"""The owner's own texts (rewards, tiers, bonus days, surveys, stamp cards, the program's name)
reach each member in the language saved in their profile, fall back to English where the owner
left a language blank, and stay English where the shop's systems read them (webhooks, the
ledger's record of a sale)."""

import datetime
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from loyalty import services as loyalty_services
from loyalty.models import BonusDay, Program, StampCard, Tier
from surveys import services as survey_services
from surveys.models import Complaint, QuestionKind
from tests.factories import TierFactory
from tests.rewards.factories import RewardFactory
from tests.surveys.factories import ChoiceFactory, QuestionFactory, SurveyFactory
from webhooks.models import Delivery, Endpoint


def speaks(member, language):
    member.language = language
    member.save()


@pytest.fixture
def emails_sent(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def coffee(db):
    return RewardFactory(
        name="Free coffee",
        name_fil="Libreng kape",
        name_fi="Ilmainen kahvi",
        name_ind="Kopi gratis",
        description="Any size, any day.",
        description_fi="Mikä tahansa koko, minä päivänä tahansa.",
        points_cost=10,
    )


@pytest.mark.parametrize(
    ("language", "name", "description"),
    [
        ("fi", "Ilmainen kahvi", "Mikä tahansa koko, minä päivänä tahansa."),
        ("fil", "Libreng kape", "Any size, any day."),  # no Filipino description: English
        ("id", "Kopi gratis", "Any size, any day."),
        ("en", "Free coffee", "Any size, any day."),
    ],
)
def test_catalog_shows_rewards_in_the_members_saved_language(
    member_client, member, card, coffee, language, name, description
):
    speaks(member, language)

    page = member_client.get(reverse("rewards")).content.decode()

    assert f">{name}</h2>" in page
    assert description in page
    if language != "en":
        assert ">Free coffee</h2>" not in page


def test_reward_blank_in_a_language_shows_its_english_name(member_client, member, card):
    RewardFactory(name="Croissant", name_fi="", name_fil="Croissant (fil)", points_cost=10)
    speaks(member, "fi")

    page = member_client.get(reverse("rewards")).content.decode()

    assert ">Croissant</h2>" in page


def test_member_home_shows_tier_bonus_day_and_program_in_the_members_language(
    member_client, member, card, program
):
    Tier.objects.filter(pk=card.tier_id).update(
        name_fi="Pronssi", benefits_en="A birthday treat.", benefits_fi="Syntymäpäiväherkku."
    )
    today = timezone.localdate()
    BonusDay.objects.create(
        name="Double points",
        name_fi="Tuplapisteet",
        message="Double points today",
        message_fi="Tänään tuplapisteet",
        starts_on=today,
        ends_on=today,
        multiplier="2.00",
    )
    speaks(member, "fi")

    page = member_client.get(reverse("portal")).content.decode()

    assert "Pronssi" in page
    assert "Syntymäpäiväherkku." in page
    assert "Tänään tuplapisteet" in page
    assert "Double points today" not in page
    assert "A birthday treat." not in page


def test_tier_left_blank_in_a_language_shows_in_english(member_client, member, card):
    Tier.objects.filter(pk=card.tier_id).update(name_fi="Pronssi", benefits_en="A birthday treat.")
    speaks(member, "id")

    page = member_client.get(reverse("portal")).content.decode()

    assert "Bronze" in page and "Pronssi" not in page
    assert "A birthday treat." in page


def test_survey_page_asks_in_the_members_language_with_english_where_blank(
    member_client, member, card
):
    survey = SurveyFactory(title="Our menu", title_ind="Menu kami", intro="Tell us.")
    question = QuestionFactory(
        survey=survey,
        kind=QuestionKind.SINGLE,
        text="Which drink?",
        text_ind="Minuman apa?",
        help_text="Pick one.",
    )
    ChoiceFactory(question=question, label="Tea", label_ind="Teh", order=1)
    ChoiceFactory(question=question, label="Cocoa", order=2)  # no Indonesian label
    speaks(member, "id")

    page = member_client.get(reverse("survey_answer", args=[survey.pk])).content.decode()

    assert "Menu kami" in page and "Our menu" not in page
    assert "Minuman apa?" in page and "Which drink?" not in page
    assert "Teh" in page and ">Tea<" not in page
    assert "Cocoa" in page
    assert "Tell us." in page and "Pick one." in page  # not translated: English


def test_stamp_card_name_follows_the_member(member_client, member, card, coffee):
    StampCard.objects.create(
        name="Coffee card", name_fil="Kard ng kape", stamps_needed=9, reward=coffee
    )
    speaks(member, "fil")

    page = member_client.get(reverse("portal")).content.decode()

    assert "Kard ng kape" in page
    assert "Coffee card" not in page


def test_program_name_has_a_column_per_language(program):
    Program.objects.filter(pk=program.pk).update(name_en="Kapihan Rewards", name_fi="Kapihan-edut")
    program = Program.current()
    with translation.override("fi"):
        assert str(program) == "Kapihan-edut"
    with translation.override("fil"):
        assert str(program) == "Kapihan Rewards"


# Texts Suki writes itself -----------------------------------------------------------------


def test_bonus_day_email_names_the_bonus_day_in_the_members_language(
    owner_client, member, card, emails_sent
):
    member.marketing_consent = True
    member.language = "fi"
    member.save()
    bonus_day = BonusDay.objects.create(
        name="Double Saturday",
        name_fi="Tuplalauantai",
        message="Double points this Saturday",
        message_fi="Tuplapisteet tänä lauantaina.",
        starts_on=datetime.date(2026, 11, 28),
        ends_on=datetime.date(2026, 11, 28),
        multiplier="2.00",
    )

    with emails_sent():
        owner_client.post(
            reverse("admin:loyalty_bonusday_changelist"),
            {"action": "announce", "_selected_action": [bonus_day.pk]},
        )

    (announcement,) = mail.outbox
    assert announcement.subject == f"[{settings.BUSINESS_NAME}] Tuplalauantai"
    assert "Tuplapisteet tänä lauantaina." in announcement.body
    assert "Double" not in announcement.body
    assert "Tuplapisteet tänä lauantaina." in announcement.alternatives[0][0]


def test_case_opened_from_a_low_survey_answer_is_written_in_the_members_language(
    member, card, emails_sent
):
    speaks(member, "fi")
    survey = SurveyFactory(title="Our new menu", title_fi="Uusi ruokalistamme")
    nps = QuestionFactory(survey=survey, kind=QuestionKind.NPS)

    # Submitted outside any request (a task, the shell): English is active, not the member's.
    with emails_sent():
        survey_services.submit_response(survey, {nps.pk: 2}, user=member)

    case = Complaint.objects.get()
    assert case.description == "Vastauksesi kyselyymme ”Uusi ruokalistamme”."
    assert "Our new menu" not in case.description
    (received,) = [message for message in mail.outbox if case.reference in message.body]
    assert "Our new menu" not in received.body


# What the shop's systems read ---------------------------------------------------------------


def test_webhook_payload_names_the_tier_in_english_whatever_the_request_language(
    member, client, tiers, staff
):
    Tier.objects.filter(name_en="Bronze").update(name_fi="Pronssi")
    endpoint = Endpoint.objects.create(
        url="https://example.com/hook", events=["member.joined", "purchase.recorded"]
    )
    with translation.override("fi"):
        card = loyalty_services.issue_card(user=member)
        loyalty_services.record_purchase(card, Decimal("5.00"), reference="R-1", staff=staff)

    payloads = [
        json.dumps(delivery.payload) for delivery in Delivery.objects.filter(endpoint=endpoint)
    ]
    assert payloads
    assert all("Pronssi" not in payload for payload in payloads)
    assert any('"Bronze"' in payload for payload in payloads)


def test_ledger_records_the_tier_in_english_whatever_the_staff_language(card, staff):
    TierFactory(name="Bronze")
    Tier.objects.filter(pk=card.tier_id).update(name_fi="Pronssi")
    with translation.override("fi"):
        line = loyalty_services.record_purchase(
            card, Decimal("5.00"), reference="R-2", staff=staff
        ).line

    assert line.tier_name == "Bronze"


def test_member_import_finds_a_tier_by_its_name_in_any_language(owner, tiers):
    from loyalty import imports

    Tier.objects.filter(name_en="Gold").update(name_fi="Kulta")
    content = b"name,email,tier\nAna Cruz,ana@example.com,Gold\nBen Laine,ben@example.com,kulta\n"

    with translation.override("fi"):  # an owner whose admin is in Finnish
        report = imports.run_import(imports.read_members(content), staff=owner, dry_run=True)

    assert [row.problems for row in report.rows] == [[], []]


def test_redeeming_in_finnish_keeps_the_rewards_english_name_in_the_ledger(card, coffee):
    from rewards import services as reward_services
    from tests.rewards.factories import top_up

    card = top_up(card, 100)
    with translation.override("fi"):
        reward_services.redeem(card, coffee)

    assert card.transactions.order_by("-pk").first().note == "Free coffee"


def test_tier_up_email_names_the_new_tier_and_its_benefits_in_the_members_language(
    member, card, staff, emails_sent
):
    speaks(member, "fi")
    Tier.objects.filter(name_en="Silver").update(
        name_fi="Hopea", benefits_en="A free refill.", benefits_fi="Ilmainen santsikuppi."
    )

    with emails_sent():
        loyalty_services.record_purchase(card, Decimal("600.00"), reference="R-3", staff=staff)

    (welcome,) = [message for message in mail.outbox if "Hopea" in message.subject]
    assert "Silver" not in welcome.subject
    assert "Ilmainen santsikuppi." in welcome.body
    assert "A free refill." not in welcome.body
