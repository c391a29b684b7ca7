"""An owner moving to Suki imports the members of the old system: uploads a CSV, reads the dry
run with the one bad row's problem, confirms, and finds the imported cards in the list."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from loyalty import cardnumbers
from loyalty.models import Card, Kind, PointTransaction
from tests.e2e.conftest import accessibility_violations
from tests.factories import PASSWORD

GOOD_NUMBER = "40000000001" + cardnumbers.luhn_check_digit("40000000001")
MISTYPED = GOOD_NUMBER[:-1] + str((int(GOOD_NUMBER[-1]) + 1) % 10)
MEMBERS = (
    "name,email,phone,birthday,card_number,opening_balance,tier,email_consent\n"
    f"Ana Cruz,ana@example.com,+63 917 555 0101,1990-04-03,{GOOD_NUMBER},250,Silver,yes\n"
    "Ben Reyes,,,,,40,,\n"
    f"Carla Lim,carla@example.com,,,{MISTYPED},10,,no\n"
)


def test_the_owner_imports_members_after_reading_the_dry_run(desktop_page, owner, tiers):
    admin = desktop_page
    admin.goto("/admin/login/")
    admin.get_by_label(re.compile(r"^E-?mail", re.IGNORECASE)).fill(owner.email)
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    admin.goto(reverse("admin:loyalty_card_changelist"))

    admin.get_by_role("link", name="Import members").click()
    expect(admin.get_by_role("heading", name="Import members")).to_be_visible()
    assert accessibility_violations(admin) == []
    admin.get_by_label("Member file").set_input_files(
        files=[{"name": "members.csv", "mimeType": "text/csv", "buffer": MEMBERS.encode()}]
    )
    admin.get_by_role("button", name="Check the file").click()

    expect(admin.get_by_role("heading", name="Dry run: nothing has been saved")).to_be_visible()
    problems = admin.get_by_test_id("import-problems")
    expect(problems).to_contain_text("Carla Lim")
    expect(problems).to_contain_text("card_number: the check digit does not match")
    expect(admin.get_by_test_id("import-good")).to_contain_text("Ana Cruz")
    assert accessibility_violations(admin) == []
    assert not Card.objects.exists()

    admin.get_by_role("button", name="Import 2 members").click()

    expect(admin.get_by_text("2 members imported.").first).to_be_visible()
    assert accessibility_violations(admin) == []
    admin.get_by_role("link", name="Show the imported cards").click()
    results = admin.locator("#result_list")
    expect(results).to_contain_text("Ana Cruz")
    expect(results).to_contain_text("Ben Reyes")
    expect(results).not_to_contain_text("Carla Lim")
    assert accessibility_violations(admin) == []
    assert Card.objects.get(number=GOOD_NUMBER).balance == 250
    assert PointTransaction.objects.filter(kind=Kind.OPENING_BALANCE).count() == 2
