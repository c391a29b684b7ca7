"""The large admin lists (ledger, cards, redemptions, responses, complaints, stamp ledger) do
not count a whole large table on every page: on PostgreSQL the planner's estimate stands in
for `COUNT(*)`, and a filter matching many rows counts a few and estimates the rest; a
small table and SQLite count exactly."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.admin import EstimatedCountPaginator
from loyalty import services
from loyalty.models import PointTransaction
from tests.factories import make_card

LISTS = [
    "admin:loyalty_pointtransaction_changelist",
    "admin:loyalty_card_changelist",
    "admin:rewards_redemption_changelist",
    "admin:surveys_response_changelist",
    "admin:surveys_complaint_changelist",
    "admin:loyalty_stampline_changelist",
]


@pytest.fixture
def ledger(staff):
    for number in range(6):
        card = make_card()
        services.record_purchase(card, "10.00", reference=f"R-{number}", staff=staff)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # the planner's figures, as autovacuum keeps them
    return PointTransaction.objects.count()


def counts_of(queries, table):
    return [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and table in q["sql"]]


def test_a_whole_large_table_is_estimated_on_postgresql_and_counted_elsewhere(ledger, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "EXACT_BELOW", 0)
    with CaptureQueriesContext(connection) as queries:
        count = EstimatedCountPaginator(PointTransaction.objects.order_by("-id"), 50).count
    counted = counts_of(queries, "loyalty_pointtransaction")
    if connection.vendor == "postgresql":
        assert counted == []
        assert count == ledger  # the planner's figure, exact on a table just analysed
    else:
        assert len(counted) == 1 and count == ledger


def test_a_filtered_list_or_a_small_table_is_counted_exactly(ledger):
    filtered = PointTransaction.objects.filter(points__gt=0)
    assert EstimatedCountPaginator(filtered, 50).count == filtered.count()
    assert EstimatedCountPaginator(PointTransaction.objects.all(), 50).count == ledger


def test_a_filter_matching_many_rows_counts_a_few_then_estimates_on_postgresql(ledger, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "EXACT_BELOW", 0)
    monkeypatch.setattr(EstimatedCountPaginator, "EXACT_UP_TO", 3)
    many = PointTransaction.objects.filter(points__gt=0)
    few = PointTransaction.objects.filter(points__gt=0, card=many.first().card)
    assert many.count() > 3 >= few.count()
    with CaptureQueriesContext(connection) as queries:
        count = EstimatedCountPaginator(many.order_by("-id"), 50).count
    assert EstimatedCountPaginator(few, 50).count == few.count()
    if connection.vendor == "postgresql":
        # At most four rows read to count, then the planner's estimate of the filter: two
        # queries, whatever the size of the table.
        assert len(queries) == 2
        assert "LIMIT 4" in queries[0]["sql"] and queries[1]["sql"].startswith("EXPLAIN")
        assert count >= 4
    else:
        assert count == many.count()


@pytest.mark.parametrize("name", LISTS)
def test_each_large_admin_list_counts_its_rows_once_at_most(
    owner_client, ledger, name, monkeypatch
):
    monkeypatch.setattr(EstimatedCountPaginator, "EXACT_BELOW", 0)
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get(reverse(name))
    assert response.status_code == 200
    table = response.context["cl"].model._meta.db_table
    whole_counts = [
        sql for sql in counts_of(queries, table) if "WHERE" not in sql.upper().split(table)[-1]
    ]
    expected = 0 if connection.vendor == "postgresql" else 1
    assert len(whole_counts) == expected, whole_counts


@pytest.fixture
def spread_ledger(tiers):
    """Lines on 10 Nov 2024, 3 Feb 2026 and 20 Mar 2026 only (the card's own welcome line
    moved to the first of them)."""
    card = make_card()
    first = datetime.datetime(2024, 11, 10, 12, tzinfo=datetime.UTC)
    PointTransaction.objects.filter(card=card).update(created_at=first)
    for day in (
        datetime.datetime(2026, 2, 3, 12, tzinfo=datetime.UTC),
        datetime.datetime(2026, 3, 20, 12, tzinfo=datetime.UTC),
    ):
        line = PointTransaction.objects.filter(card=card).first()
        added = PointTransaction.objects.create(
            card=card, kind="goodwill", points=0, balance_after=line.balance_after
        )
        PointTransaction.objects.filter(pk=added.pk).update(created_at=day)
    return card


def date_bar_queries(owner_client, query=""):
    url = reverse("admin:loyalty_pointtransaction_changelist") + query
    with CaptureQueriesContext(connection) as queries:
        page = owner_client.get(url).content.decode()
    return page, [q["sql"] for q in queries]


def test_the_ledgers_date_bar_offers_every_year_between_its_first_and_last_line(
    owner_client, spread_ledger
):
    page, queries = date_bar_queries(owner_client)
    assert "created_at__year=2024" in page
    assert "created_at__year=2025" in page  # no line that year, but between the two
    assert "created_at__year=2026" in page
    assert not [sql for sql in queries if "DISTINCT" in sql.upper() and "DATE" in sql.upper()]


def test_the_months_of_a_year_run_from_its_first_line_to_its_last(owner_client, spread_ledger):
    page, queries = date_bar_queries(owner_client, "?created_at__year=2026")
    assert "created_at__month=2" in page and "created_at__month=3" in page
    assert "created_at__month=1" not in page and "created_at__month=4" not in page
    assert not [sql for sql in queries if "DISTINCT" in sql.upper() and "DATE" in sql.upper()]
