"""The pages keep the program, the tiers, the bonus days and each card's QR code ready, and
still show a change the moment it is saved."""

import datetime
import socket

import pytest
from django.urls import reverse
from django.utils import timezone

from core import codes
from core.codes import qr_svg
from loyalty import rules, services
from loyalty.models import BonusDay, Tier
from tests.core.test_codes import assert_scans_as_qr_code


def test_the_member_home_shows_a_changed_tier_window_at_once(member_client, card, program):
    assert "earned in the last 12 months" in member_client.get(reverse("portal")).content.decode()

    program.tier_window_months = 6
    program.save()

    assert "earned in the last 6 months" in member_client.get(reverse("portal")).content.decode()


def test_the_member_home_names_a_renamed_next_tier_at_once(member_client, card, tiers):
    assert "more points to Silver" in member_client.get(reverse("portal")).content.decode()

    silver = tiers[1]
    silver.name = "Argent"
    silver.save()

    page = member_client.get(reverse("portal")).content.decode()
    assert "more points to Argent" in page
    assert "Silver" not in page


def test_a_new_tier_shows_on_the_public_home_at_once(client, tiers):
    assert "Platinum" not in client.get(reverse("home")).content.decode()

    Tier.objects.create(name="Platinum", threshold=5000, multiplier="2.00")

    assert "Platinum" in client.get(reverse("home")).content.decode()


def test_a_deleted_tier_leaves_the_help_page_at_once(client, tiers):
    extra = Tier.objects.create(name="Platinum", threshold=5000, multiplier="2.00")
    assert "Platinum" in client.get(reverse("help")).content.decode()

    extra.delete()

    assert "Platinum" not in client.get(reverse("help")).content.decode()


def test_a_bonus_day_added_or_switched_off_shows_on_the_member_home_at_once(member_client, card):
    today = timezone.localdate()
    assert "Cake Friday" not in member_client.get(reverse("portal")).content.decode()

    bonus_day = BonusDay.objects.create(
        name="Cake Friday", starts_on=today, ends_on=today + datetime.timedelta(days=3)
    )
    assert "Cake Friday" in member_client.get(reverse("portal")).content.decode()

    bonus_day.is_active = False
    bonus_day.save()
    assert "Cake Friday" not in member_client.get(reverse("portal")).content.decode()


def test_purchases_use_the_saved_rules_not_the_pages_copy(member_client, card, staff, program):
    member_client.get(reverse("portal"))  # the pages' copy now holds 1 point per euro
    program.points_per_unit = "3.00"
    program.save()
    rules.current()  # and the copy is read again, with the new rate

    recorded = services.record_purchase(card, "10.00", reference="R-1", staff=staff)

    assert recorded.line.points == 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }


def test_with_the_cache_down_the_pages_read_the_rules_from_the_database(
    cache_down, member_client, card, program, django_assert_num_queries
):
    with django_assert_num_queries(3):  # the program, the tiers, the bonus days
        assert rules.current().program == program
    assert member_client.get(reverse("portal")).status_code == 200


def test_a_replaced_card_shows_the_qr_code_of_its_new_number(member_client, card, staff):
    assert_scans_as_qr_code(member_client.get(reverse("portal")).content.decode(), card.number)

    replaced = services.replace_card(card, staff=staff, reason="Lost on the bus")

    page = member_client.get(reverse("portal")).content.decode()
    assert replaced.number != card.number
    assert_scans_as_qr_code(page, replaced.number)


def test_a_qr_code_is_built_once_per_text_and_title():
    codes._qr_svg.cache_clear()
    title = "QR code of card 1234 5678 9012"

    first = qr_svg("123456789012", title=title)
    again = qr_svg("123456789012", title=title)

    assert again == first
    assert (codes._qr_svg.cache_info().hits, codes._qr_svg.cache_info().misses) == (1, 1)
    assert qr_svg("123456789012", title="QR-koodi: kortti 1234 5678 9012") != first
    assert qr_svg("999999999999", title=title) != first
