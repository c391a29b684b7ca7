"""The counter's search reads PostgreSQL's trigram indexes, not every card (accounts 0005,
loyalty 0012). Only PostgreSQL has them; SQLite's few members are searched as before."""

import pytest
from django.db import connection

from accounts.models import User
from loyalty import selectors
from loyalty.models import Card
from tests.factories import UserFactory, make_card

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's"
)


COLUMNS = [
    (User, "first_name", "accounts_user_first_name_trgm"),
    (User, "last_name", "accounts_user_last_name_trgm"),
    (User, "email", "accounts_user_email_trgm"),
    (User, "phone", "accounts_user_phone_trgm"),
    (Card, "holder_name", "loyalty_card_holder_name_trgm"),
    (Card, "holder_email", "loyalty_card_holder_email_trgm"),
]


def test_every_searched_column_has_its_trigram_index(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["%_trgm"])
        assert {row[0] for row in cursor.fetchall()} >= {
            *(index for *_, index in COLUMNS),
            "accounts_user_full_name_trgm",
        }


@pytest.mark.parametrize(("model", "column", "index"), COLUMNS)
def test_the_search_of_each_column_reads_its_index(db, model, column, index):
    """The index's expression is the one Django's icontains writes, so the planner can use
    it (sequential scans priced out: the test's tables are tiny, where reading them whole
    would be the planner's right choice)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = model.objects.filter(**{f"{column}__icontains": "maria"}).explain()
    assert index in plan, plan


def test_the_search_of_a_whole_name_reads_its_index(db):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    members = User.objects.annotate(full_name=selectors.FULL_NAME)
    plan = members.filter(full_name__icontains="maria reyes").explain()
    assert "accounts_user_full_name_trgm" in plan, plan


def test_a_search_by_name_finds_the_member_and_the_card_enrolled_under_it(db, tiers):
    maria = make_card(UserFactory(first_name="Maria", last_name="Reyes"))
    printed = make_card(holder_name="Maria Santos")
    make_card(UserFactory(first_name="Juan", last_name="Cruz"))
    assert selectors.search_cards("maria reyes") == [maria]
    assert set(selectors.search_cards("Maria")) == {maria, printed}
