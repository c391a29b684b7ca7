"""A member collects stamps at the counter over several visits, sees the card fill on the
phone, and staff hand over the free coffee the full card earned."""

import re

from playwright.sync_api import expect

from loyalty.models import StampCard, StampKind, StampLine, StampRule
from rewards.models import Redemption, RedemptionStatus
from tests.e2e.conftest import accessibility_violations
from tests.e2e.test_counter_journey import log_in_at_the_counter, look_up, record_purchase
from tests.e2e.test_reward_journey import log_in_as_member
from tests.rewards.factories import RewardFactory


def test_stamps_over_visits_fill_the_card_and_the_free_coffee_is_used(
    page, desktop_page, member, card, staff
):
    reward = RewardFactory(name="Free coffee", points_cost=1, stock=None)
    StampCard.objects.create(
        name="Coffee card", stamps_needed=3, rule=StampRule.VISIT, reward=reward
    )
    counter = desktop_page
    log_in_at_the_counter(counter, staff)

    # Two visits: a stamp each, and the counter shows the card's progress.
    look_up(counter, card.formatted_number)
    for visit in (1, 2):
        expect(counter.get_by_label("Items", exact=True)).to_have_value("1")
        record_purchase(counter, "4.50", f"K-{visit}")
        expect(counter.get_by_text(f"Coffee card: {visit} of 3 stamps.")).to_be_visible()
    expect(counter.get_by_label("Stamp cards", exact=True)).to_contain_text("2 of 3 stamps")

    log_in_as_member(page, member)
    expect(page.get_by_test_id("stamp-count")).to_have_text("2 of 3 stamps")
    assert accessibility_violations(page) == []

    # The third visit fills the card: the voucher is issued at once and a new card starts.
    record_purchase(counter, "4.50", "K-3")
    full = counter.get_by_text(re.compile(r"Card full: voucher (\S+) for Free coffee issued\."))
    expect(full).to_be_visible()
    code = re.search(r"voucher (\S+) for", full.inner_text()).group(1)

    page.reload()
    expect(page.get_by_test_id("stamp-count")).to_have_text("0 of 3 stamps")
    page.get_by_role("link", name="Show voucher Free coffee").click()
    expect(page.get_by_test_id("voucher-status")).to_have_text("Ready to use")
    expect(page.get_by_role("img", name="QR code of voucher")).to_be_visible()
    assert accessibility_violations(page) == []

    # Next visit, the member shows the voucher and staff hand over the coffee.
    counter.get_by_role("link", name="Vouchers").first.click()
    counter.get_by_label("Voucher code (scan or type)").fill(code)
    counter.keyboard.press("Enter")
    expect(counter.get_by_role("heading", name="Free coffee")).to_be_visible()
    counter.get_by_role("button", name="Mark as used and hand over").click()
    expect(counter.get_by_text("used: hand over Free coffee")).to_be_visible()

    page.reload()
    expect(page.get_by_test_id("voucher-status")).to_have_text("Used")
    voucher = Redemption.objects.get(card=card, stamp_line__isnull=False)
    assert (voucher.status, voucher.points, voucher.fulfilled_by) == (
        RedemptionStatus.FULFILLED,
        0,
        staff,
    )
    kinds = list(StampLine.objects.order_by("pk").values_list("kind", "stamps_after"))
    assert kinds == [
        (StampKind.STAMP, 1),
        (StampKind.STAMP, 2),
        (StampKind.STAMP, 3),
        (StampKind.COMPLETION, 0),
    ]
