"""A member redeems a reward on the phone; staff fulfils the voucher at the counter."""

from playwright.sync_api import expect

from loyalty import services
from loyalty.models import Kind, PointTransaction
from rewards.models import Redemption, RedemptionStatus, Reward, RewardKind
from tests.e2e.conftest import accessibility_violations
from tests.e2e.test_counter_journey import log_in_at_the_counter
from tests.factories import PASSWORD


def log_in_as_member(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_member_redeems_shows_the_voucher_and_staff_fulfils_it(
    page, desktop_page, member, card, staff
):
    services.record_purchase(card, "150.00", reference="R-1", staff=staff)
    card.refresh_from_db()
    reward = Reward.objects.create(
        name="Free coffee", kind=RewardKind.FREE_ITEM, points_cost=150, stock=3
    )
    balance_before = card.balance

    log_in_as_member(page, member)
    page.get_by_role("link", name="Rewards", exact=True).click()
    expect(page.get_by_text("3 left")).to_be_visible()
    assert accessibility_violations(page) == []
    page.get_by_role("link", name="Redeem Free coffee").click()
    expect(page.get_by_test_id("balance-after")).to_have_text(str(balance_before - 150))
    page.get_by_role("button", name="Confirm and get voucher").click()

    code = page.get_by_test_id("voucher-code")
    expect(code).to_be_visible()
    expect(page.get_by_role("img", name="QR code of voucher")).to_be_visible()
    expect(page.get_by_test_id("voucher-status")).to_have_text("Ready to use")
    assert accessibility_violations(page) == []
    shown_code = code.inner_text()

    counter = desktop_page
    log_in_at_the_counter(counter, staff)
    counter.get_by_role("link", name="Vouchers").first.click()
    counter.get_by_label("Voucher code (scan or type)").fill(shown_code.lower())
    counter.keyboard.press("Enter")
    expect(counter.get_by_test_id("voucher-status")).to_have_text("Ready to use")
    expect(counter.get_by_role("heading", name="Free coffee")).to_be_visible()
    counter.get_by_role("button", name="Mark as used and hand over").click()
    expect(counter.get_by_text("used: hand over Free coffee")).to_be_visible()

    # Scanning it again says it was used, when and by whom.
    counter.get_by_label("Voucher code (scan or type)").fill(shown_code)
    counter.keyboard.press("Enter")
    expect(counter.get_by_role("alert")).to_contain_text("already used")
    expect(counter.get_by_role("alert")).to_contain_text(staff.get_full_name())

    page.reload()
    expect(page.get_by_test_id("voucher-status")).to_have_text("Used")
    redemption = Redemption.objects.get()
    assert redemption.status == RedemptionStatus.FULFILLED
    assert redemption.fulfilled_by == staff
    reward.refresh_from_db()
    assert reward.stock == 2
    line = PointTransaction.objects.get(kind=Kind.REDEMPTION)
    assert (line.points, line.balance_after) == (-150, balance_before - 150)
