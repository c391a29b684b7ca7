"""The purchase endpoint runs the same queries however long the card's history is."""

import pytest
from django.db import connection

from loyalty import services
from tests.factories import make_card

# The key 1, the card 1, record_purchase (program, card lock, receipt check, tiers, bonus
# days, the line, the balance, earnings for the tier, the branch's stamp cards, the purchase
# event, savepoints), and the new balance 1; on PostgreSQL one more, the receipt number's
# advisory lock. Nothing here reads the card's history line by line.
PURCHASE_QUERIES = 17 if connection.vendor == "postgresql" else 16


@pytest.fixture
def cards(program, tiers, staff):
    program.first_purchase_bonus = 0
    program.save()
    short = make_card(holder_name="One line", physical=True)
    long = make_card(holder_name="Fifty lines", physical=True)
    for receipt in range(49):
        services.record_purchase(long, "1.00", reference=f"old-{receipt}", staff=staff)
    assert (short.transactions.count(), long.transactions.count()) == (1, 50)
    return short, long


@pytest.mark.parametrize("which", [0, 1], ids=["1 line", "50 lines"])
def test_a_purchase_runs_a_fixed_number_of_queries(
    which, cards, till, till_key, django_assert_num_queries
):
    card = cards[which]
    till.get(f"/api/v1/cards/{card.number}/")  # marks the key used, as a busy till's is

    with django_assert_num_queries(PURCHASE_QUERIES):
        response = till.post(
            f"/api/v1/cards/{card.number}/purchases", {"amount": "5.00", "receipt": "new"}
        )

    assert response.status_code == 201
