"""examples/till.py, the shop developer's starting point, records a purchase over real HTTP."""

import importlib.util
from pathlib import Path

import pytest

from loyalty import demo
from loyalty.models import Kind, PointTransaction, Store
from tests.factories import make_card

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "till.py"


@pytest.fixture
def till():
    spec = importlib.util.spec_from_file_location("example_till", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db(transaction=True)
def test_the_example_till_records_a_purchase_once(live_server, till, member, tiers, capsys):
    demo.seed_branches()
    key = demo.seed_till_key()
    assert key == till.DEMO_KEY
    card = make_card(member)
    spaced = [card.number[:4], card.number[4:8], card.number[8:]]

    assert till.main([*spaced, "12.50", "R-1042", "--url", live_server.url]) == 0
    first = capsys.readouterr().out
    assert "Maria" in first
    assert "Recorded 12.50 in Main Street: +12 points" in first
    # Sent again (a till that never saw the answer): the same answer, nothing added.
    assert till.main([card.number, "12.50", "R-1042", "--url", live_server.url]) == 0
    line = PointTransaction.objects.get(kind=Kind.PURCHASE)
    assert line.store == Store.objects.get(name="Main Street")
    assert line.reference == "R-1042"

    assert till.main(["1234", "5.00", "R-1043", "--url", live_server.url]) == 1
    assert "digit may be mistyped" in capsys.readouterr().err
    assert PointTransaction.objects.filter(kind=Kind.PURCHASE).count() == 1
