"""Kept member pages (core.pagecache): a kept copy answers only while nothing the page shows
has changed, belongs to one member in one language, and carries each browser's own CSRF token."""

from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from core import pagecache
from loyalty import services
from loyalty.models import StampCard, StampRule
from rewards import services as reward_services
from rewards.models import RewardKind
from surveys import services as survey_services
from surveys.models import (
    ComplaintCategory,
    ComplaintChannel,
    RemedySought,
    Testimonial,
    TestimonialStatus,
)
from tests.factories import UserFactory, make_card
from tests.rewards.factories import RewardFactory, top_up
from tests.surveys.factories import make_visit_survey

KEPT = 3  # session, user, the page's state: the kept copy answered


def page(client, name, queries=None, django_assert_num_queries=None, **params):
    if queries is None:
        response = client.get(reverse(name), params)
    else:
        with django_assert_num_queries(queries):
            response = client.get(reverse(name), params)
    assert response.status_code == 200
    return response.content.decode()


def buy(card, staff, receipt, amount="12.50", **kwargs):
    return services.record_purchase(card, Decimal(amount), reference=receipt, staff=staff, **kwargs)


def test_the_second_look_is_kept_and_a_purchase_shows_at_once(
    member_client, card, staff, django_assert_num_queries
):
    page(member_client, "portal")
    page(member_client, "portal", KEPT, django_assert_num_queries)
    before = card.balance
    buy(card, staff, "R-1")
    card.refresh_from_db()
    assert card.balance > before
    home = page(member_client, "portal")
    assert f'data-testid="balance">{card.balance} points<' in home
    assert "R-1" in page(member_client, "history")
    page(member_client, "history", KEPT, django_assert_num_queries)


def test_vouchers_redeemed_and_used_show_on_the_next_look(
    member_client, card, staff, django_assert_num_queries
):
    reward = RewardFactory(name="Pandesal basket", points_cost=10, stock=3)
    top_up(card, 50)
    assert "Pandesal basket" in page(member_client, "rewards")
    page(member_client, "rewards", KEPT, django_assert_num_queries)
    assert "3 left" in page(member_client, "rewards")
    voucher = reward_services.redeem(card, reward)
    assert "2 left" in page(member_client, "rewards")
    vouchers = page(member_client, "vouchers")
    assert voucher.code in vouchers
    reward_services.cancel_redemption(voucher, by=staff)
    assert "3 left" in page(member_client, "rewards")


def test_a_renamed_reward_shows_its_new_name(member_client, card):
    reward = RewardFactory(name="Ensaymada", points_cost=10)
    assert "Ensaymada" in page(member_client, "rewards")
    reward.name = "Ube ensaymada"
    reward.save()
    assert "Ube ensaymada" in page(member_client, "rewards")


def test_a_stamp_shows_on_the_member_home(member_client, card, staff):
    coffee_reward = RewardFactory(name="Free coffee", points_cost=1, stock=None)
    StampCard.objects.create(
        name="Coffee card", stamps_needed=9, rule=StampRule.VISIT, reward=coffee_reward
    )
    assert "0 of 9 stamps" in page(member_client, "portal")
    buy(card, staff, "R-1")
    assert "1 of 9 stamps" in page(member_client, "portal")


def test_an_open_complaint_takes_the_survey_invitation_away(member_client, member, card, staff):
    make_visit_survey()
    buy(card, staff, "R-1")
    page(member_client, "portal")  # the invitation is made
    assert "How was your visit?" in page(member_client, "portal")
    survey_services.file_complaint(
        user=member,
        name="Maria Reyes",
        email=member.email,
        category=ComplaintCategory.PRODUCT,
        description="Cold coffee.",
        remedy_sought=RemedySought.APOLOGY,
        channel=ComplaintChannel.PORTAL,
    )
    assert "How was your visit?" not in page(member_client, "portal")


def test_a_kept_page_is_never_another_members(member_client, card, staff):
    other = UserFactory(email="juan@example.com", first_name="Juan")
    other_card = make_card(other)
    mine = page(member_client, "portal")
    theirs_client = Client()
    theirs_client.force_login(other)
    theirs = page(theirs_client, "portal")
    assert card.formatted_number in mine and card.formatted_number not in theirs
    assert other_card.formatted_number in theirs and other_card.formatted_number not in mine


def test_a_page_in_another_language_is_its_own(member_client, member, card):
    english = page(member_client, "history")
    member.language = "fi"
    member.save()
    with translation.override("fi"):
        finnish = page(member_client, "history")
    assert finnish != english
    assert 'lang="fi"' in finnish


def test_the_kept_copy_carries_each_browsers_own_csrf_token(member, card, staff):
    make_visit_survey()
    buy(card, staff, "R-1")
    first = Client(enforce_csrf_checks=True)
    first.force_login(member)
    page(first, "portal")
    page(first, "portal")  # kept, with the invitation
    second = Client(enforce_csrf_checks=True)
    second.force_login(member)
    html = page(second, "portal")
    assert pagecache.MARKER not in html
    token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    invitation = survey_services.invite_after_visit(member)
    response = second.post(
        reverse("invitation_dismiss", args=[invitation.pk]), {"csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert "How was your visit?" not in page(second, "portal")
    assert "How was your visit?" not in page(first, "portal")


def test_a_message_to_show_is_never_kept(member, member_client, card, staff):
    make_visit_survey()
    buy(card, staff, "R-1")
    page(member_client, "portal")
    page(member_client, "portal")  # kept
    invitation = survey_services.invite_after_visit(member)
    response = member_client.post(reverse("invitation_dismiss", args=[invitation.pk]))
    assert response.status_code == 302
    assert "We will ask again another time." in page(member_client, "portal")
    assert "We will ask again another time." not in page(member_client, "portal")


def test_query_parameters_the_page_does_not_read_are_not_kept(
    member_client, card, django_assert_num_queries
):
    page(member_client, "history", unknown="1")
    with django_assert_num_queries(4):  # rendered again, not kept: no state to read
        member_client.get(reverse("history"), {"unknown": "1"})
    page(member_client, "history", page="1")
    page(member_client, "history", KEPT, django_assert_num_queries, page="1")


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}})
def test_without_a_cache_every_page_is_rendered_and_current(member_client, card, staff):
    first = page(member_client, "portal")
    buy(card, staff, "R-1")
    assert page(member_client, "portal") != first
    assert "R-1" in page(member_client, "history")


@pytest.mark.parametrize("name", ["portal", "history", "rewards"])
def test_a_point_change_of_any_kind_shows(member_client, card, owner, name):
    before = page(member_client, name)
    services.adjust_points(card, 7, reason="Goodwill", staff=owner)
    assert page(member_client, name) != before


def test_the_public_home_shows_an_approved_testimonial_at_once_and_donations_within_a_minute(
    client, member, card, django_assert_num_queries
):
    reward = RewardFactory(name="Meals for the shelter", kind=RewardKind.DONATION, points_cost=10)
    top_up(card, 30)
    testimonial = Testimonial.objects.create(user=member, rating=5, text="Best pandesal in town")
    with time_machine.travel("2026-12-04 09:00 +0000", tick=False):
        assert "Best pandesal in town" not in page(client, "home")
        page(client, "home", 0, django_assert_num_queries)
        testimonial.status = TestimonialStatus.APPROVED
        testimonial.decided_at = timezone.now()
        testimonial.save()
        assert "Best pandesal in town" in page(client, "home")
        reward_services.redeem(card, reward)
        before = page(client, "home")
    with time_machine.travel("2026-12-04 09:01:01 +0000", tick=False):
        assert page(client, "home") != before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_on_postgresql_the_state_query_is_prepared_once_and_still_sees_each_change(
    member_client, card, staff, django_assert_num_queries
):
    def prepared():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'suki_state_%%'"
            )
            return cursor.fetchone()[0]

    def rendered():
        with CaptureQueriesContext(connection) as queries:
            home = page(member_client, "portal")
        return home, len(queries)

    page(member_client, "portal")  # what the shop's rules keep in the cache is kept
    buy(card, staff, "R-0")
    pagecache._prepared.clear()
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    _, first = rendered()  # prepared and run in the same query
    assert prepared() == 1
    for receipt in ("R-1", "R-2"):
        buy(card, staff, receipt)
        card.refresh_from_db()
        home, queries = rendered()
        assert queries == first
        assert f'data-testid="balance">{card.balance} points<' in home
        page(member_client, "portal", KEPT, django_assert_num_queries)
    assert prepared() == 1
    page(member_client, "history")
    assert prepared() == 2


@override_settings(DATABASE_PREPARED_STATEMENTS=False)
def test_without_prepared_statements_the_state_query_is_run_as_it_is(
    member_client, card, staff, django_assert_num_queries
):
    page(member_client, "portal")
    page(member_client, "portal", KEPT, django_assert_num_queries)
    buy(card, staff, "R-1")
    card.refresh_from_db()
    assert f'data-testid="balance">{card.balance} points<' in page(member_client, "portal")
