"""The owner writes each text in English, Filipino, Finnish and Indonesian in the admin, and the
lists say which translations are missing."""

import datetime
import importlib
import re

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from loyalty.models import BonusDay, StampCard, Tier
from rewards.models import Reward, RewardKind
from surveys import services as survey_services
from surveys.models import Choice, Question, QuestionKind, Survey
from tests.rewards.factories import RewardFactory
from tests.surveys.factories import ChoiceFactory, QuestionFactory, SurveyFactory


def reward_form(**changes):
    return {
        "name_en": "Cake",
        "name_fil": "Keyk",
        "name_fi": "Kakku",
        "name_ind": "Kue",
        "description_en": "A slice of the day's cake.",
        "kind": RewardKind.FREE_ITEM,
        "points_cost": "250",
        "stock": "",
        "valid_days": "30",
        "is_active": "on",
        "display_order": "100",
        **changes,
    }


def missing_column(page, name):
    """The "Missing translations" cell of the list row naming `name`."""
    for row in page.split("<tr")[1:]:
        if f">{name}<" in row:
            cell = re.search(r'<td class="field-missing_translations">(.*?)</td>', row, re.S)
            return cell.group(1).strip()
    raise AssertionError(f"{name} is not in the list")


def test_reward_form_has_a_field_per_language_and_saves_each(owner_client):
    page = owner_client.get(reverse("admin:rewards_reward_add")).content.decode()
    for field in ["name_en", "name_fil", "name_fi", "name_ind", "description_fi"]:
        assert f'name="{field}"' in page

    response = owner_client.post(reverse("admin:rewards_reward_add"), reward_form())

    assert response.status_code == 302, response.content.decode()
    reward = Reward.objects.get()
    assert (reward.name_en, reward.name_fil, reward.name_fi, reward.name_ind) == (
        "Cake",
        "Keyk",
        "Kakku",
        "Kue",
    )
    with translation.override("fi"):
        assert reward.name == "Kakku"


def test_each_language_field_is_labelled_with_the_languages_name(owner_client):
    page = owner_client.get(reverse("admin:rewards_reward_add")).content.decode()
    for field, label in [
        ("name_en", "Name (English)"),
        ("name_fil", "Name (Filipino)"),
        ("name_fi", "Name (Finnish)"),
        ("name_ind", "Name (Indonesian)"),
        ("description_fi", "Description (Finnish)"),
    ]:
        assert re.search(rf'<label[^>]*for="id_{field}"[^>]*>{re.escape(label)}:?</label>', page), (
            label
        )
    assert "[ind]" not in page and "[fi]" not in page


def test_an_owner_working_in_finnish_keeps_the_english_in_the_original_column(owner_client, owner):
    owner.language = "fi"
    owner.save()

    owner_client.post(reverse("admin:rewards_reward_add"), reward_form())

    # The dashboard's top rewards and other apps' reports read the original column.
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM rewards_reward")
        assert cursor.fetchone() == ("Cake",)


def test_reward_list_names_the_missing_languages_and_filters_them(owner_client):
    RewardFactory(name="Cake", name_fil="Keyk", name_fi="Kakku", name_ind="Kue")
    RewardFactory(name="Tea", name_fi="Tee", description="Green or black.")
    RewardFactory(name="Bun", name_fil="Pan", name_fi="Pulla", name_ind="Roti")
    Reward.objects.filter(name_en="Bun").update(description_en="Warm.", description_fi="Lämmin.")

    page = owner_client.get(reverse("admin:rewards_reward_changelist")).content.decode()

    assert "Missing translations" in page
    assert missing_column(page, "Cake") == "✓"
    assert missing_column(page, "Tea") == "fil, fi, id"  # the description is English only
    assert missing_column(page, "Bun") == "fil, id"
    missing = owner_client.get(
        reverse("admin:rewards_reward_changelist"), {"translations": "missing"}
    ).content.decode()
    complete = owner_client.get(
        reverse("admin:rewards_reward_changelist"), {"translations": "complete"}
    ).content.decode()
    assert ">Tea<" in missing and ">Bun<" in missing and ">Cake<" not in missing
    assert ">Cake<" in complete and ">Tea<" not in complete


def test_tier_bonus_day_and_stamp_card_lists_show_missing_translations(owner_client, tiers):
    Tier.objects.filter(name_en="Gold").update(name_fil="Ginto", name_fi="Kulta", name_ind="Emas")
    BonusDay.objects.create(
        name="Double Saturday",
        name_fi="Tuplalauantai",
        starts_on=datetime.date(2027, 3, 6),
        ends_on=datetime.date(2027, 3, 6),
    )
    StampCard.objects.create(
        name="Coffee card",
        name_fil="Kard ng kape",
        name_fi="Kahvikortti",
        name_ind="Kartu kopi",
        stamps_needed=9,
        reward=RewardFactory(),
    )

    tiers_page = owner_client.get(reverse("admin:loyalty_tier_changelist")).content.decode()
    days_page = owner_client.get(reverse("admin:loyalty_bonusday_changelist")).content.decode()
    cards_page = owner_client.get(reverse("admin:loyalty_stampcard_changelist")).content.decode()

    assert missing_column(tiers_page, "Gold") == "✓"
    assert missing_column(tiers_page, "Silver") == "fil, fi, id"
    assert missing_column(days_page, "Double Saturday") == "fil, id"
    assert missing_column(cards_page, "Coffee card") == "✓"


def test_tiers_left_untranslated_do_not_clash_but_a_finnish_name_stays_unique(owner_client):
    def add_tier(name, threshold, name_fi=""):
        return owner_client.post(
            reverse("admin:loyalty_tier_add"),
            {
                "name_en": name,
                "name_fi": name_fi,
                "threshold": threshold,
                "multiplier": "1.00",
                "colour": "#7a3b12",
            },
        )

    assert add_tier("Bronze", 0).status_code == 302
    assert add_tier("Silver", 500, name_fi="Hopea").status_code == 302
    assert add_tier("Gold", 1500).status_code == 302
    clash = add_tier("Platinum", 3000, name_fi="Hopea")

    assert clash.status_code == 200
    assert list(Tier.objects.values_list("name_en", "name_fi")) == [
        ("Bronze", None),
        ("Silver", "Hopea"),
        ("Gold", None),
    ]


def survey_form(**changes):
    data = {
        "title_en": "Our menu",
        "title_fil": "Ang aming menu",
        "title_fi": "Ruokalistamme",
        "title_ind": "Menu kami",
        "starts_at_0": "2026-11-01",
        "starts_at_1": "09:00:00",
        "is_active": "on",
        "audience": "members",
        "completion_bonus": "20",
        "questions-TOTAL_FORMS": "1",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        "questions-0-order": "1",
        "questions-0-kind": QuestionKind.SINGLE,
        "questions-0-text_en": "Which drink?",
        "questions-0-text_fi": "Mikä juoma?",
        "questions-0-choices_text": "Tea\nCocoa",
        "questions-0-choices_text_fi": "Tee\nKaakao",
        "questions-0-choices_text_id": "",
    }
    data.update(changes)
    return data


def test_survey_form_takes_questions_and_choices_in_each_language(owner_client):
    response = owner_client.post(reverse("admin:surveys_survey_add"), survey_form())

    assert response.status_code == 302, response.content.decode()
    question = Question.objects.get()
    assert (question.text_en, question.text_fi, question.text_ind) == (
        "Which drink?",
        "Mikä juoma?",
        None,
    )
    labels = list(Choice.objects.values_list("label_en", "label_fi", "label_ind"))
    assert labels == [("Tea", "Tee", None), ("Cocoa", "Kaakao", None)]
    change = owner_client.get(
        reverse("admin:surveys_survey_change", args=[question.survey_id])
    ).content.decode()
    assert "Tee\nKaakao</textarea>" in change


def test_choices_in_a_language_must_match_the_english_ones(owner_client):
    response = owner_client.post(
        reverse("admin:surveys_survey_add"),
        survey_form(**{"questions-0-choices_text_fi": "Tee"}),
    )

    assert response.status_code == 200
    assert "Give as many choices as in English (2), in the same order." in (
        response.content.decode()
    )
    assert not Survey.objects.exists()


def test_survey_list_counts_a_question_or_choice_left_untranslated(owner_client):
    complete = SurveyFactory(
        title="Complete", title_fil="Buo", title_fi="Valmis", title_ind="Lengkap"
    )
    QuestionFactory(survey=complete, text="Why?", text_fil="Bakit?", text_fi="Miksi?", text_ind="?")
    gap = SurveyFactory(title="Gap", title_fil="Puwang", title_fi="Aukko", title_ind="Celah")
    question = QuestionFactory(
        survey=gap, kind=QuestionKind.SINGLE, text="Q", text_fil="Q", text_fi="Q", text_ind="Q"
    )
    ChoiceFactory(question=question, label="Tea", label_fil="Tsaa", label_fi="Tee")

    page = owner_client.get(reverse("admin:surveys_survey_changelist")).content.decode()

    assert missing_column(page, "Complete") == "✓"
    assert missing_column(page, "Gap") == "id"


def test_a_copied_survey_keeps_its_translations(db):
    survey = SurveyFactory(title="Our menu", title_fi="Ruokalistamme")
    question = QuestionFactory(survey=survey, kind=QuestionKind.SINGLE, text_fi="Mikä juoma?")
    ChoiceFactory(question=question, label="Tea", label_fi="Tee")

    copy = survey_services.copy_survey(survey)

    assert (copy.title_en, copy.title_fi) == ("Our menu (copy)", "Ruokalistamme")
    copied = copy.questions.get()
    assert copied.text_fi == "Mikä juoma?"
    assert copied.choices.get().label_fi == "Tee"


LISTS = [
    ("admin:rewards_reward_changelist", lambda n: [RewardFactory() for _ in range(n)]),
    (
        "admin:surveys_survey_changelist",
        lambda n: [QuestionFactory(survey=SurveyFactory()) for _ in range(n)],
    ),
    (
        "admin:loyalty_bonusday_changelist",
        lambda n: [
            BonusDay.objects.create(
                name=f"Day {i}",
                starts_on=datetime.date(2027, 1, 1),
                ends_on=datetime.date(2027, 1, 2),
            )
            for i in range(n)
        ],
    ),
]


@pytest.mark.parametrize(("url", "make"), LISTS)
def test_missing_translations_cost_no_query_per_row(owner_client, url, make):
    make(2)
    owner_client.get(reverse(url))  # warm the session and the permission caches
    with CaptureQueriesContext(connection) as few:
        owner_client.get(reverse(url))
    make(20)
    with CaptureQueriesContext(connection) as many:
        page = owner_client.get(reverse(url)).content.decode()

    assert "Missing translations" in page
    assert len(many) == len(few)


@pytest.mark.django_db
def test_migration_moves_existing_texts_into_the_english_column():
    migration = importlib.import_module("rewards.migrations.0004_reward_translations")
    Reward.objects.create(name_en="placeholder", kind=RewardKind.FREE_ITEM, points_cost=1)
    with connection.cursor() as cursor:  # a row as it stood before the columns existed
        cursor.execute(
            "UPDATE rewards_reward SET name = 'Cake', description = 'A slice.', name_en = NULL,"
            " description_en = NULL, name_fi = 'stale'"
        )
    state = MigrationLoader(connection).project_state(("rewards", "0004_reward_translations"))

    migration.copy_texts_to_default_language(state.apps, None)

    reward = Reward.objects.get()
    assert (reward.name_en, reward.description_en, reward.name_fi) == ("Cake", "A slice.", None)
    with translation.override("fi"):
        assert Reward.objects.get().name == "Cake"
