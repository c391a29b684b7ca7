"""A member invites a friend: the friend joins through the link, makes a first purchase at the
counter, and both see the referral bonus in their points history."""

import re

from django.core import mail
from playwright.sync_api import expect

from accounts.models import User
from loyalty.models import Kind, PointTransaction, Program
from tests.e2e.conftest import accessibility_violations, new_page
from tests.e2e.test_counter_journey import log_in_at_the_counter, look_up, record_purchase
from tests.factories import PASSWORD

FRIEND_EMAIL = "fiona@example.com"
FRIEND_PASSWORD = "a-long-unusual-passphrase"


def log_in(page, email, password=PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def test_friend_joins_through_the_link_and_both_earn_the_bonus_at_the_first_purchase(
    page, desktop_page, browser, request, live_server, member, card, staff
):
    bonus = Program.current().referral_bonus

    # The member finds their link.
    log_in(page, member.email)
    expect(page.get_by_text("Maria's card")).to_be_visible()
    page.get_by_role("link", name="Invite friends").click()
    expect(page.get_by_role("heading", name="Invite friends")).to_be_visible()
    link = page.get_by_test_id("referral-link").input_value()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/join/[A-Z2-9]{{8}}/", link)
    assert accessibility_violations(page) == []
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()

    # The friend, on a phone of their own, opens it and joins.
    friend = new_page(browser, request, live_server)
    friend.goto(link)
    expect(
        friend.get_by_text(
            f"Maria invited you. You both get {bonus} points after your first purchase."
        )
    ).to_be_visible()
    friend.get_by_label("First name").fill("Fiona")
    friend.get_by_label("Last name").fill("Friend")
    friend.get_by_label("Email").fill(FRIEND_EMAIL)
    friend.get_by_label(re.compile(r"^\s*Password\*?\s*$")).fill(FRIEND_PASSWORD)
    friend.get_by_label("Password (again)").fill(FRIEND_PASSWORD)
    friend.get_by_role("button", name="Sign Up").click()
    expect(friend.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    confirmation = next(
        message
        for message in mail.outbox
        if message.to == [FRIEND_EMAIL] and "confirm-email" in message.body
    )
    confirm = re.search(r"https?://\S+/accounts/confirm-email/\S+/", confirmation.body).group(0)
    friend.goto(confirm.replace("http://testserver", live_server.url))
    friend.get_by_role("button", name="Confirm").click()
    expect(friend.get_by_text("Fiona's card")).to_be_visible()

    # The first purchase, at the counter.
    log_in_at_the_counter(desktop_page, staff)
    look_up(desktop_page, FRIEND_EMAIL)
    expect(desktop_page.get_by_role("heading", name="Fiona Friend")).to_be_visible()
    record_purchase(desktop_page, "12.50", "F-1")
    recorded = re.compile(r"Recorded €12\.50: \+\d+ points\.")
    expect(desktop_page.get_by_text(recorded)).to_be_visible()

    # Both see the bonus in their history.
    fiona = User.objects.get(email=FRIEND_EMAIL)
    assert PointTransaction.objects.filter(card__user=fiona, kind=Kind.REFERRAL_BONUS).count() == 1
    friend.goto("/portal/history/")
    expect(friend.get_by_text("Referral bonus", exact=True)).to_be_visible()

    log_in(page, member.email)
    page.goto("/portal/history/")
    expect(page.get_by_text("Referral bonus", exact=True)).to_be_visible()
    page.goto("/portal/invite/")
    expect(page.get_by_text("First purchase made, bonus earned")).to_be_visible()
    assert accessibility_violations(page) == []
