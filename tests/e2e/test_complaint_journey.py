"""A member tells us what went wrong from their phone; staff answer, work and resolve the case
with goodwill points in the admin; the member sees the answer and the points, and rates how
the case was handled."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from loyalty.models import Kind, PointTransaction
from surveys.models import Complaint
from surveys.models import ComplaintStatus as Status
from tests.e2e.conftest import accessibility_violations
from tests.factories import PASSWORD

WHAT_HAPPENED = "My flat white was cold and nobody came to the counter for ten minutes."
ANSWER = "We are so sorry, Maria. We have spoken with the team about the wait."


def log_in_as_member(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def log_in_to_the_admin(page, user):
    page.goto("/admin/login/")
    page.get_by_label(re.compile(r"^E-?mail", re.IGNORECASE)).fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_member_complains_staff_resolve_with_goodwill_and_the_member_rates_it(
    page, desktop_page, member, card, staff
):
    start = card.balance
    log_in_as_member(page, member)
    expect(page.get_by_test_id("balance")).to_have_text(f"{start} points")
    page.get_by_role("link", name="Help").click()
    page.get_by_role("link", name="Tell us what went wrong").click()
    expect(page.get_by_text(f"We will answer Maria Reyes at {member.email}.")).to_be_visible()
    page.get_by_label("What is it about?").select_option(label="Service")
    page.get_by_label("What happened?").fill(WHAT_HAPPENED)
    page.get_by_role("radio", name="An apology").check()
    page.get_by_role("button", name="Send").click()

    reference = Complaint.objects.get().reference
    assert re.fullmatch(r"C-\d{4}-\d{6}", reference)
    expect(page.get_by_role("heading", name=reference)).to_be_visible()
    expect(
        page.get_by_text(f"Thank you. Your reference is {reference}; we have e-mailed it to you.")
    ).to_be_visible()
    expect(page.get_by_test_id("complaint-status")).to_have_text("New")
    case_url = page.url

    admin = desktop_page
    log_in_to_the_admin(admin, staff)
    admin.goto(reverse("admin:surveys_complaint_changelist"))
    admin.get_by_role("link", name=reference).click()
    expect(admin.get_by_role("heading", name=f"Case {reference}")).to_be_visible()
    expect(admin.get_by_text(WHAT_HAPPENED)).to_be_visible()

    admin.get_by_role("textbox", name="Message").fill(ANSWER)
    admin.get_by_role("button", name="Send", exact=True).click()
    expect(admin.get_by_text("Reply sent to the customer.")).to_be_visible()
    expect(admin.get_by_test_id("case-status")).to_have_text("Acknowledged")

    admin.get_by_role("button", name="Mark In progress").click()
    expect(admin.get_by_test_id("case-status")).to_have_text("In progress")

    admin.get_by_label("Resolution").select_option(label="Goodwill points")
    admin.get_by_label("Summary for the customer").fill("An apology and points for a coffee.")
    admin.get_by_label("Goodwill points").fill("100")
    admin.get_by_role("button", name="Resolve the case").click()
    expect(admin.get_by_text("Case resolved; the customer has been e-mailed.")).to_be_visible()
    expect(admin.get_by_test_id("case-status")).to_have_text("Resolved")

    page.reload()
    expect(page.get_by_test_id("complaint-status")).to_have_text("Resolved")
    expect(page.get_by_text(ANSWER)).to_be_visible()
    # The "Resolved" box: the resolution, the summary and the points, in one sentence block.
    resolved = page.get_by_text("goodwill points are on your card.")
    expect(resolved).to_have_text(
        re.compile(
            r"Resolved: Goodwill points\. An apology and points for a coffee\.\s+"
            r"100 goodwill points are on your card\."
        )
    )
    assert accessibility_violations(page) == []

    page.get_by_role("link", name="My card").click()
    expect(page.get_by_test_id("balance")).to_have_text(f"{start + 100} points")

    page.goto(case_url)
    rating = page.get_by_role("group", name="How well did we handle your case?")
    # The scale's radios are drawn as buttons: their labels take the tap.
    rating.get_by_text("5", exact=True).click()
    expect(rating.get_by_role("radio", name="5")).to_be_checked()
    page.get_by_label("Anything to add? (optional)").fill("Kind and quick. Thank you!")
    page.get_by_role("button", name="Send rating").click()

    expect(page.get_by_text("Thank you for rating how we handled your case.")).to_be_visible()
    expect(page.get_by_text("You rated our handling 5 of 5. Thank you!")).to_be_visible()
    case = Complaint.objects.get()
    assert (case.status, case.rating, case.rating_comment) == (
        Status.RESOLVED,
        5,
        "Kind and quick. Thank you!",
    )
    line = PointTransaction.objects.get(kind=Kind.GOODWILL)
    assert (line.points, line.source) == (100, case)
