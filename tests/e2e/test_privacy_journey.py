"""A member downloads their data and deletes their account on a phone; an owner answers a
request received in the shop from the admin."""

import json
from pathlib import Path

from playwright.sync_api import expect

from accounts.models import User
from loyalty.models import CardStatus, Kind, PointTransaction
from suki.models import PrivacyRecord
from tests.e2e.conftest import accessibility_violations
from tests.e2e.test_counter_journey import log_in_at_the_counter
from tests.e2e.test_referral_journey import log_in
from tests.factories import PASSWORD


def test_member_downloads_their_data_then_deletes_the_account(page, member, card):
    log_in(page, member.email)
    expect(page.get_by_text("Maria's card")).to_be_visible()
    page.goto("/accounts/profile/")
    page.get_by_role("link", name="Your data").click()
    assert accessibility_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("button", name="Download my data").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["profile"]["email"] == member.email
    assert data["cards"][0]["balance"] == card.balance

    page.get_by_role("link", name="Delete my account").click()
    expect(page.get_by_text("your points are forfeited")).to_be_visible()
    assert accessibility_violations(page) == []
    page.get_by_label("Your password").fill("not-my-password")
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.get_by_text("That is not your password.")).to_be_visible()
    assert User.objects.get(pk=member.pk).erased_at is None

    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.get_by_role("heading", name="Your account is deleted")).to_be_visible()
    assert accessibility_violations(page) == []
    card.refresh_from_db()
    assert card.status == CardStatus.CLOSED and card.balance == 0
    assert PointTransaction.objects.filter(card=card, kind=Kind.FORFEIT).exists()

    log_in(page, member.email)
    expect(page.get_by_text("Maria's card")).not_to_be_visible()
    expect(page.get_by_role("button", name="Sign In")).to_be_visible()


def test_owner_erases_a_member_on_a_request_made_in_the_shop(desktop_page, owner, member, card):
    page = desktop_page
    log_in_at_the_counter(page, owner)
    page.goto(f"/admin/accounts/user/{member.pk}/change/")
    page.get_by_role("link", name="Erase personal data").click()
    assert accessibility_violations(page) == []
    page.get_by_label("Request").fill("In person at the counter, ID seen")
    page.get_by_label("The member's points").check()
    page.get_by_role("button", name="Erase for good").click()
    expect(page.get_by_text("The member's personal data is erased.")).to_be_visible()
    expect(page.get_by_role("cell", name="In person at the counter, ID seen")).to_be_visible()
    assert accessibility_violations(page) == []
    record = PrivacyRecord.objects.get()
    assert record.by == owner and record.member_id == member.pk
