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
