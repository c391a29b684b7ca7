import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from loyalty import services
from loyalty.models import BonusDay, Card, Kind, PointTransaction, Program

# The admin card list: the same number of queries whatever the number of cards; one asks for
# the owner role, for the "Import members" button. On PostgreSQL one more asks the planner how
# many cards there are (core.admin.EstimatedCountPaginator), and counts them while few.
CARD_LIST_QUERIES = 8 + (connection.vendor == "postgresql")


def test_owner_edits_the_one_program_row(owner_client, program):
    response = owner_client.get(reverse("admin:loyalty_program_changelist"))
    assert response.url == reverse("admin:loyalty_program_change", args=[program.pk])
    data = {
        field: getattr(program, field)
        for field in [
            "name_en",
            "points_per_unit",
            "point_value",
            "purchase_ceiling",
            "tier_window_months",
            "expiry_months",
            "expiry_warning_days",
            "signup_bonus",
            "first_purchase_bonus",
            "birthday_bonus",
            "survey_bonus",
            "testimonial_bonus",
            "referral_bonus",
            "goodwill_default",
            "goodwill_cap",
            "pay_with_points_step",
            "survey_invitation_days",
            "testimonial_bonus_days",
            "retention_years",
            "retention_warning_days",
        ]
    }
    data["points_per_unit"] = "2.00"
    owner_client.post(reverse("admin:loyalty_program_change", args=[program.pk]), data)
    assert Program.current().points_per_unit == Decimal("2.00")
    assert Program.objects.count() == 1


def test_owner_creates_a_weekday_bonus_day_for_a_tier(owner_client, tiers):
    gold = tiers[2]
    owner_client.post(
        reverse("admin:loyalty_bonusday_add"),
        {
            "name_en": "Gold Saturdays in March",
            "message_en": "Triple points on Saturdays in March for Gold",
            "starts_on": "2027-03-01",
            "ends_on": "2027-03-31",
            "weekdays": ["5"],
            "multiplier": "3",
            "flat_bonus": "0",
            "minimum_tier": gold.pk,
            "is_active": "on",
        },
    )
    bonus_day = BonusDay.objects.get()
    assert bonus_day.weekdays == [5]
    assert bonus_day.applies_on(datetime.date(2027, 3, 6))  # a Saturday
    assert not bonus_day.applies_on(datetime.date(2027, 3, 5))


def test_bonus_day_cannot_end_before_it_starts(owner_client, tiers):
    response = owner_client.post(
        reverse("admin:loyalty_bonusday_add"),
        {
            "name_en": "Backwards",
            "starts_on": "2027-03-10",
            "ends_on": "2027-03-01",
            "multiplier": "2",
            "flat_bonus": "0",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert not BonusDay.objects.exists()


def test_owner_searches_and_filters_cards(owner_client, card, outsider_card):
    page = owner_client.get(
        reverse("admin:loyalty_card_changelist"), {"q": "Reyes"}
    ).content.decode()
    assert card.formatted_number in page
    assert outsider_card.formatted_number not in page
    page = owner_client.get(
        reverse("admin:loyalty_card_changelist"), {"tier__id__exact": card.tier_id}
    ).content.decode()
    assert card.formatted_number in page


def test_owner_reads_a_cards_full_ledger(owner_client, card, outsider_card, staff):
    services.record_purchase(card, Decimal("10"), reference="MINE", staff=staff)
    services.record_purchase(outsider_card, Decimal("10"), reference="THEIRS", staff=staff)
    page = owner_client.get(
        reverse("admin:loyalty_pointtransaction_changelist"), {"card__id__exact": card.pk}
    ).content.decode()
    assert "MINE" in page
    assert "THEIRS" not in page


def test_owner_adjusts_points_with_a_reason(owner_client, owner, card):
    url = reverse("admin:loyalty_card_adjust", args=[card.pk])
    response = owner_client.post(url, {"points": "15", "reason": ""})
    assert "This field is required." in response.content.decode()
    owner_client.post(url, {"points": "15", "reason": "Coffee machine ate the receipt"})
    line = PointTransaction.objects.get(kind=Kind.ADJUSTMENT)
    assert (line.points, line.created_by, line.note) == (
        15,
        owner,
        "Coffee machine ate the receipt",
    )


def test_adjustment_message_writes_points_like_the_page(owner_client, card):
    response = owner_client.post(
        reverse("admin:loyalty_card_adjust", args=[card.pk]),
        {"points": "1500", "reason": "Catering order by phone"},
        follow=True,
    )
    assert "Adjusted by +1,500 points. New balance 1,550." in response.content.decode()


def test_adjustment_cannot_take_the_balance_below_zero(owner_client, card):
    response = owner_client.post(
        reverse("admin:loyalty_card_adjust", args=[card.pk]), {"points": "-100000", "reason": "x"}
    )
    assert "not enough points" in response.content.decode()
    assert not PointTransaction.objects.filter(kind=Kind.ADJUSTMENT).exists()


def test_staff_cannot_adjust_points_or_see_program_settings(staff_client, card):
    staff_client.post(
        reverse("admin:loyalty_card_adjust", args=[card.pk]), {"points": "50", "reason": "friend"}
    )
    assert not PointTransaction.objects.filter(kind=Kind.ADJUSTMENT).exists()
    assert staff_client.get(reverse("admin:loyalty_program_changelist")).status_code == 403
    assert staff_client.get(reverse("admin:loyalty_tier_changelist")).status_code == 403


def test_ledger_lines_cannot_be_edited_in_the_admin(owner_client, card):
    line = PointTransaction.objects.filter(card=card).first()
    response = owner_client.post(
        reverse("admin:loyalty_pointtransaction_change", args=[line.pk]), {"points": "9999"}
    )
    assert response.status_code == 403
    assert PointTransaction.objects.get(pk=line.pk).points == line.points


@pytest.mark.parametrize("cards", [3, 30])
def test_card_list_queries_do_not_grow(owner_client, tiers, cards, django_assert_num_queries):
    for number in range(cards):
        services.issue_card(holder_name=f"Walk-in {number}", physical=True)
    with django_assert_num_queries(CARD_LIST_QUERIES):
        owner_client.get(reverse("admin:loyalty_card_changelist"))
    assert Card.objects.count() == cards
