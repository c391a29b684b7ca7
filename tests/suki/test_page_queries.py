"""Each member page and the public home run a fixed number of SQL queries, whatever the
history, the catalog or the testimonials, once the cache holds the program's rules (the first
page after a change of the rules reads them again: three queries more): when the page is
rendered, and fewer when the kept copy answers (core.pagecache): the session, the user and the
page's state."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from core import pagecache
from loyalty import services
from loyalty.models import Store
from rewards import services as reward_services
from surveys import models as survey_models
from tests.factories import UserFactory
from tests.rewards.factories import RewardFactory, top_up
from tests.surveys.factories import make_visit_survey

# Session, user, the page's state, card, rewards, the member's open vouchers (a reward has a
# per-member limit), stamp cards, earnings in the tier window, the latest purchase with its
# invitation, recent lines.
MEMBER_HOME_QUERIES = 10
HISTORY_QUERIES = 5  # session, user, the page's state, the count of lines, one page of them
CATALOG_QUERIES = 6  # session, user, the page's state, card, rewards, the member's open vouchers
PUBLIC_HOME_QUERIES = 2  # the points donated, the testimonials (no session)
KEPT_MEMBER_PAGE_QUERIES = 3  # session, user, the page's state
KEPT_PUBLIC_HOME_QUERIES = 0  # the same page for every visitor, kept for a minute
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(params=[3, 30], ids=["3 rows", "30 rows"])
def shop(request, card, staff, tiers):
    """A member with `rows` purchases and vouchers, `rows` rewards (one with a per-member
    limit), a post-visit survey the member was invited to, and `rows` testimonials."""
    rows = request.param
    store = Store.main()
    make_visit_survey()
    for number in range(rows):
        services.record_purchase(
            card, Decimal("12.50"), reference=f"R-{number}", staff=staff, store=store
        )
    rewards = [RewardFactory(points_cost=10, per_member_limit=None) for _ in range(rows)]
    rewards[0].per_member_limit = 5
    rewards[0].save()
    card = top_up(card, 10 * rows)
    for reward in rewards:
        reward_services.redeem(card, reward)
    survey_models.Testimonial.objects.bulk_create(
        survey_models.Testimonial(
            user=UserFactory(),
            rating=5,
            text=f"Lovely {number}",
            status=survey_models.TestimonialStatus.APPROVED,
        )
        for number in range(rows)
    )
    return rows


def counted(client, url, queries, kept, django_assert_num_queries):
    client.get(url)  # the cache now holds the rules, and the member's invitation is made
    pagecache.forget()  # so the next request renders the page
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    with django_assert_num_queries(kept):
        again = client.get(url)
    page = response.content.decode()
    assert CSRF.sub("", again.content.decode()) == CSRF.sub("", page)
    return page


def test_member_home_queries_do_not_grow(shop, member_client, django_assert_num_queries):
    page = counted(
        member_client,
        reverse("portal"),
        MEMBER_HOME_QUERIES,
        KEPT_MEMBER_PAGE_QUERIES,
        django_assert_num_queries,
    )
    assert "How was your visit?" in page


def test_history_queries_do_not_grow(shop, member_client, django_assert_num_queries):
    page = counted(
        member_client,
        reverse("history"),
        HISTORY_QUERIES,
        KEPT_MEMBER_PAGE_QUERIES,
        django_assert_num_queries,
    )
    assert page.count("Balance after:") == min(20, 2 * shop + 3)


def test_catalog_queries_do_not_grow(shop, member_client, django_assert_num_queries):
    counted(
        member_client,
        reverse("rewards"),
        CATALOG_QUERIES,
        KEPT_MEMBER_PAGE_QUERIES,
        django_assert_num_queries,
    )


def test_public_home_queries_do_not_grow(shop, client, django_assert_num_queries):
    page = counted(
        client,
        reverse("home"),
        PUBLIC_HOME_QUERIES,
        KEPT_PUBLIC_HOME_QUERIES,
        django_assert_num_queries,
    )
    assert page.count("Lovely ") == min(6, shop)
