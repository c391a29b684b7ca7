"""A counter in a shop with two branches: staff choose theirs once, then serve as usual."""

from playwright.sync_api import expect

from loyalty.models import Kind, PointTransaction, Store
from tests.e2e.conftest import accessibility_violations
from tests.e2e.test_counter_journey import log_in_at_the_counter, look_up, record_purchase
from tests.factories import make_card


def test_staff_choose_the_branch_once_and_purchases_are_recorded_there(
    desktop_page, staff, member, tiers
):
    kiosk = Store.objects.create(name="Harbour kiosk", address="Pier 3")
    card = make_card(member)
    counter = desktop_page
    log_in_at_the_counter(counter, staff)
    expect(counter.get_by_text("No branch chosen yet.")).to_be_visible()

    counter.get_by_role("link", name="Choose the branch").click()
    assert accessibility_violations(counter) == []
    counter.get_by_role("button", name="Harbour kiosk").click()
    expect(counter.get_by_text("This counter now records in Harbour kiosk.")).to_be_visible()

    look_up(counter, card.number)
    expect(counter.get_by_text("Branch: Harbour kiosk")).to_be_visible()
    record_purchase(counter, "8.40", "HK-2001")
    expect(counter.get_by_text("Recorded €8.40")).to_be_visible()

    # The device remembers: the next day's first customer needs no choice.
    counter.goto("/admin/counter/")
    expect(counter.get_by_text("Branch: Harbour kiosk")).to_be_visible()
    assert PointTransaction.objects.get(kind=Kind.PURCHASE).store == kiosk
