from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from loyalty import services
from loyalty.models import Card


def test_check_ledger_reports_success_when_every_balance_adds_up(card, outsider_card, staff):
    services.record_purchase(card, "10.00", reference="R-1", staff=staff)
    services.spend_points(outsider_card, 20)
    out = StringIO()

    call_command("check_ledger", stdout=out)

    assert "Ledger adds up for all 2 cards." in out.getvalue()


@pytest.mark.ledger_broken_on_purpose
def test_check_ledger_fails_naming_a_card_whose_balance_was_changed_behind_the_ledger(
    card, outsider_card
):
    Card.objects.filter(pk=card.pk).update(balance=999)
    errors = StringIO()

    with pytest.raises(CommandError, match="1 card") as failure:
        call_command("check_ledger", stdout=StringIO(), stderr=errors)

    assert failure.value.returncode == 1  # manage.py exits with this status
    report = errors.getvalue()
    assert f"Card {card.formatted_number} (id {card.pk}): balance 999, ledger sum 50" in report
    assert outsider_card.formatted_number not in report


@pytest.mark.ledger_broken_on_purpose
def test_the_check_finds_each_way_a_balance_can_be_off_in_one_query(card, outsider_card, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from loyalty.models import PointTransaction
    from loyalty.selectors import ledger_mismatches
    from tests.factories import make_card

    services.record_purchase(card, "10.00", reference="R-1", staff=staff)
    no_lines = make_card()
    PointTransaction.objects.filter(card=no_lines).delete()  # a balance with no line behind it
    Card.objects.filter(pk=no_lines.pk).update(balance=5)
    # The sum is right but the last line says another balance.
    last = PointTransaction.objects.filter(card=outsider_card).order_by("-id").first()
    PointTransaction.objects.filter(pk=last.pk).update(balance_after=last.balance_after + 1)
    good = [make_card() for _ in range(5)]

    with CaptureQueriesContext(connection) as queries:
        found = ledger_mismatches()

    assert len(queries) == 1
    assert [(c.pk, c.ledger_total) for c in found] == sorted(
        [(outsider_card.pk, outsider_card.balance), (no_lines.pk, 0)]
    )
    assert {c.pk for c in good}.isdisjoint(c.pk for c in found)
    assert [c.pk for c in ledger_mismatches(limit=1)] == [min(outsider_card.pk, no_lines.pk)]
