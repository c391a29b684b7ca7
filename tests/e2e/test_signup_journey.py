import re

from django.core import mail
from playwright.sync_api import expect

from accounts.models import User
from tests.e2e.conftest import accessibility_violations


def test_visitor_signs_up_confirms_email_and_sets_profile_in_finnish(page, live_server):
    page.goto("/")
    assert accessibility_violations(page) == []
    page.get_by_role("link", name="Join for free").click()

    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("Cruz")
    page.get_by_label("Email").fill("ana@example.com")
    page.get_by_label(re.compile(r"^\s*Password\*?\s*$")).fill("a-long-unusual-passphrase")
    page.get_by_label("Password (again)").fill("a-long-unusual-passphrase")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link.replace("http://testserver", live_server.url))
    page.get_by_role("button", name="Confirm").click()
    # A new member lands on their new digital card, sign-up bonus included.
    expect(page.get_by_text("Ana's card")).to_be_visible()
    assert User.objects.get(email="ana@example.com").cards.get().balance > 0

    page.get_by_role("link", name="Profile").click()
    assert accessibility_violations(page) == []
    page.get_by_label("Birthday").fill("1990-03-01")
    page.get_by_label("Preferred language").select_option("fi")
    page.get_by_role("button", name="Save profile").click()

    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.get_by_text("1.3.1990")).to_be_visible()
    user = User.objects.get(email="ana@example.com")
    assert user.language == "fi"
    assert str(user.birthday) == "1990-03-01"
