"""After a visit, a member answers "How was your visit?" on their phone, earns the bonus, and
the owner sees the answer counted in the results."""

import re
from decimal import Decimal

from django.urls import reverse
from playwright.sync_api import expect

from loyalty import services
from surveys.models import Question, QuestionKind, Survey
from tests.e2e.conftest import accessibility_violations
from tests.factories import PASSWORD, make_card

RECOMMEND = "How likely are you to recommend us to a friend?"
SATISFIED = "How satisfied were you with this visit?"
COMMENT = "Anything we should know?"


def visit_survey():
    survey = Survey.objects.create(
        title="How was your visit?", is_post_visit=True, completion_bonus=20
    )
    for order, (kind, text, required) in enumerate(
        [
            (QuestionKind.NPS, RECOMMEND, True),
            (QuestionKind.CSAT, SATISFIED, True),
            (QuestionKind.LONG_TEXT, COMMENT, False),
        ]
    ):
        Question.objects.create(survey=survey, order=order, kind=kind, text=text, required=required)
    return survey


def test_member_answers_the_visit_survey_and_the_owner_sees_it_counted(
    page, desktop_page, member, owner, staff, tiers
):
    card = make_card(member)
    services.record_purchase(card, Decimal("12.50"), reference="V-1", staff=staff)
    survey = visit_survey()

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    invitation = page.get_by_role("region", name="How was your visit?")
    expect(invitation).to_be_visible()
    expect(invitation).to_contain_text("20 points for you")

    invitation.get_by_role("link", name="Answer now").click()
    expect(page.get_by_role("heading", name="How was your visit?")).to_be_visible()
    for question, score in [(RECOMMEND, "9"), (SATISFIED, "5")]:
        group = page.get_by_role("group", name=question)
        # The scale's radios are drawn as buttons: their labels take the tap.
        group.get_by_text(score, exact=True).click()
        expect(group.get_by_role("radio", name=score)).to_be_checked()
    page.get_by_label(COMMENT).fill("The barista remembered my order.")
    assert accessibility_violations(page) == []
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    expect(page.get_by_test_id("survey-bonus")).to_have_text("20 bonus points are on your card.")
    page.get_by_role("link", name="Back to my card").click()
    expect(page.get_by_role("region", name="How was your visit?")).to_have_count(0)

    admin = desktop_page
    admin.goto("/admin/login/")
    admin.get_by_label(re.compile(r"^E-?mail", re.IGNORECASE)).fill(owner.email)
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    admin.goto(reverse("admin:surveys_survey_changelist"))
    admin.get_by_role("link", name="Results", exact=True).click()

    expect(admin).to_have_url(re.compile(reverse("admin:surveys_survey_results", args=[survey.pk])))
    expect(admin.get_by_test_id("response-count")).to_have_text("1")
    expect(admin.get_by_text("The barista remembered my order.")).to_be_visible()
