"""Answering surveys: as a member, from a public link, from a receipt's slip, and from the
"How was your visit?" invitation on the member's home page."""

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from loyalty import services as loyalty_services
from loyalty.models import Kind, PointTransaction
from surveys import results, selectors, services
from surveys.exceptions import LoginRequired
from surveys.models import Answer, Audience, Invitation, QuestionKind, Response, Survey
from tests.factories import UserFactory
from tests.surveys.factories import (
    ChoiceFactory,
    QuestionFactory,
    SurveyFactory,
    make_visit_survey,
)

NOON = datetime.datetime(2026, 3, 4, 12, tzinfo=datetime.UTC)


def field(question):
    return f"q_{question.pk}"


def page_of(response):
    return response.content.decode()


def bonus_lines():
    return PointTransaction.objects.filter(kind=Kind.SURVEY_BONUS)


@pytest.fixture
def survey(db):
    """A members-only survey: a required NPS, then optional CSAT, short text and one choice."""
    survey = SurveyFactory(title="Our new menu")
    single = QuestionFactory(survey=survey, order=4, kind=QuestionKind.SINGLE, text="Favourite?")
    return SimpleNamespace(
        survey=survey,
        nps=QuestionFactory(survey=survey, order=1, required=True, text="Recommend us?"),
        csat=QuestionFactory(survey=survey, order=2, kind=QuestionKind.CSAT, text="Satisfied?"),
        text=QuestionFactory(survey=survey, order=3, kind=QuestionKind.SHORT_TEXT, text="Why?"),
        single=single,
        scone=ChoiceFactory(question=single, label="Scone"),
        bun=ChoiceFactory(question=single, label="Bun"),
    )


@pytest.fixture
def public_survey(db):
    survey = SurveyFactory(
        title="Choose our next cake", audience=Audience.PUBLIC, allow_anonymous=True
    )
    question = QuestionFactory(survey=survey, kind=QuestionKind.CSAT, required=True)
    return SimpleNamespace(survey=survey, question=question)


@pytest.fixture
def visit_survey(db):
    survey, nps, csat, comment = make_visit_survey()
    return SimpleNamespace(survey=survey, nps=nps, csat=csat, comment=comment)


@pytest.fixture
def purchase(card, staff):
    return loyalty_services.record_purchase(
        card, Decimal("12.50"), reference="R-1", staff=staff
    ).line


def answer_url(survey):
    return reverse("survey_answer", args=[survey.pk])


# Members' surveys -------------------------------------------------------------------------


def test_member_sees_open_surveys_and_answers_one(member_client, card, survey):
    SurveyFactory(title="Last year's survey", ends_at=timezone.now() - datetime.timedelta(days=1))
    SurveyFactory(title="Not yet", starts_at=timezone.now() + datetime.timedelta(days=1))
    SurveyFactory(title="Visit survey", is_post_visit=True)

    listing = page_of(member_client.get(reverse("surveys")))
    assert f'href="{answer_url(survey.survey)}">Our new menu</a>' in listing
    assert "+20 points" in listing
    for hidden in ["Last year", "Not yet", "Visit survey"]:
        assert hidden not in listing

    form = page_of(member_client.get(answer_url(survey.survey)))
    assert "Recommend us?" in form
    assert "Members get 20 points for answering." in form

    sent = member_client.post(
        answer_url(survey.survey),
        {field(survey.nps): "9", field(survey.csat): "4", field(survey.single): survey.bun.pk},
        follow=True,
    )
    assert sent.redirect_chain[-1][0] == reverse("survey_thanks", args=[survey.survey.pk])
    thanks = page_of(sent)
    assert "Thank you!" in thanks
    assert '<p class="alert alert-success" data-testid="survey-bonus">20 bonus points' in thanks

    response = Response.objects.get(survey=survey.survey)
    assert (response.user, response.card) == (card.user, card)
    assert {(a.question_id, a.number) for a in response.answers.filter(number__isnull=False)} == {
        (survey.nps.pk, 9),
        (survey.csat.pk, 4),
    }
    assert list(response.answers.get(question=survey.single).choices.all()) == [survey.bun]

    listing = page_of(member_client.get(reverse("surveys")))
    assert "Answered" in listing
    assert f'href="{answer_url(survey.survey)}"' not in listing


def test_completion_bonus_is_one_survey_bonus_line_linked_to_the_response(
    member_client, card, survey
):
    card.refresh_from_db()
    before = card.balance
    data = {field(survey.nps): "10"}

    member_client.post(answer_url(survey.survey), data)
    again = member_client.post(answer_url(survey.survey), data)  # back button, send again

    assert "You have already answered this survey." in page_of(again)
    response = Response.objects.get(survey=survey.survey)
    line = bonus_lines().get()
    assert (line.card, line.points, line.source) == (card, 20, response)
    card.refresh_from_db()
    assert card.balance == before + 20


def test_skipped_optional_questions_are_not_stored_and_do_not_count_as_zero(member_client, card):
    survey = SurveyFactory()
    nps = QuestionFactory(survey=survey, required=False)
    csat = QuestionFactory(survey=survey, kind=QuestionKind.CSAT, required=False)
    for _ in range(5):
        services.submit_response(survey, {nps.pk: 10, csat.pk: 5}, user=UserFactory())

    member_client.post(answer_url(survey), {field(csat): "5"})  # the NPS left empty

    skipped = Response.objects.get(survey=survey, user=card.user)
    assert list(skipped.answers.values_list("question_id", flat=True)) == [csat.pk]
    scores = results.headline(
        results.question_results(survey, Response.objects.filter(survey=survey), [nps, csat])
    )
    # A stored zero would be a detractor: n = 6 and NPS 66.7.
    assert (scores["nps"].n, scores["nps"].value) == (5, 100.0)
    assert (scores["csat"].n, scores["csat"].value) == (6, 100.0)


def test_missing_required_answer_is_asked_for_and_the_rest_of_the_form_is_kept(
    member_client, card, survey
):
    sent = member_client.post(
        answer_url(survey.survey),
        {
            field(survey.csat): "4",
            field(survey.text): "Lovely scones",
            field(survey.single): survey.scone.pk,
        },
    )

    page = page_of(sent)
    assert sent.status_code == 200
    assert page.count("Please answer this question.") == 1
    assert 'value="Lovely scones"' in page
    assert re.search(rf'value="4" id="id_{field(survey.csat)}_\d+" checked', page)
    assert re.search(rf'value="{survey.scone.pk}"[^>]*checked', page)
    assert not Response.objects.exists()
    assert not bonus_lines().exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda s: {field(s.nps): "11"}, "Select a valid choice. 11 is not one of"),
        (lambda s: {field(s.nps): "-1"}, "Select a valid choice. -1 is not one of"),
        (
            lambda s: {field(s.nps): "8", field(s.single): ChoiceFactory().pk},
            "Select a valid choice.",
        ),
        (
            lambda s: {field(s.nps): "8", field(s.text): "x" * 201},
            "Ensure this value has at most 200 characters (it has 201).",
        ),
        (
            lambda s: {field(s.nps): "8", "q_99999": "1"},
            "This form does not match the survey any more. Please answer the questions shown.",
        ),
    ],
    ids=["nps-11", "nps-minus-1", "choice-of-another-question", "text-too-long", "extra-field"],
)
def test_answers_outside_the_question_are_refused_with_a_clear_message(
    member_client, card, survey, data, message
):
    sent = member_client.post(answer_url(survey.survey), data(survey))

    assert sent.status_code == 200
    assert message in page_of(sent)
    assert not Response.objects.exists()
    assert not Answer.objects.exists()
    assert not bonus_lines().exists()


@pytest.mark.parametrize(
    "closing",
    [{"ends_at": timezone.now() - datetime.timedelta(days=1)}, {"is_active": False}],
    ids=["past-its-end", "deactivated"],
)
def test_closed_survey_cannot_be_answered(member_client, card, survey, closing):
    Survey.objects.filter(pk=survey.survey.pk).update(**closing)

    shown = page_of(member_client.get(answer_url(survey.survey)))
    sent = page_of(member_client.post(answer_url(survey.survey), {field(survey.nps): "9"}))

    assert "This survey is closed." in shown
    assert "Send my answers" not in shown
    assert "This survey is closed." in sent
    assert not Response.objects.exists()
    assert not bonus_lines().exists()


def test_thank_you_page_is_only_for_whoever_just_answered(member_client, card, survey):
    assert member_client.get(reverse("survey_thanks", args=[survey.survey.pk])).status_code == 404


# Who may answer ---------------------------------------------------------------------------


def test_members_only_survey_needs_login(client, survey):
    shown = client.get(answer_url(survey.survey))
    sent = client.post(answer_url(survey.survey), {field(survey.nps): "9"})

    assert shown.status_code == sent.status_code == 302
    assert shown.url.startswith(reverse("account_login"))
    # Its public token does not open it either.
    assert (
        client.get(reverse("public_survey", args=[survey.survey.public_token])).status_code == 404
    )
    with pytest.raises(LoginRequired):
        services.submit_response(survey.survey, {survey.nps.pk: 9})
    assert not Response.objects.exists()


def test_public_survey_without_anonymous_answers_sends_visitors_to_log_in(client, db):
    survey = SurveyFactory(audience=Audience.PUBLIC, allow_anonymous=False)
    url = reverse("public_survey", args=[survey.public_token])

    shown = client.get(url)

    assert shown.status_code == 302
    assert shown.url == f"{reverse('account_login')}?next={url}"


def test_anonymous_public_answer_is_taken_once_per_browser_session(client, public_survey):
    url = reverse("public_survey", args=[public_survey.survey.public_token])
    data = {field(public_survey.question): "5"}
    assert "Choose our next cake" in page_of(client.get(url))

    first = client.post(url, data, follow=True)
    again = client.post(url, data)

    assert "Thank you!" in page_of(first)
    assert "survey-bonus" not in page_of(first)  # nobody's card to credit
    assert "You have already answered this survey." in page_of(again)
    response = Response.objects.get()
    assert response.user is None
    assert response.session_key == client.session.session_key
    assert not bonus_lines().exists()
    # Another browser is another person.
    assert Client().post(url, data).status_code == 302
    assert Response.objects.count() == 2


def test_anonymous_answers_are_limited_to_20_an_hour_from_one_address(public_survey):
    url = reverse("public_survey", args=[public_survey.survey.public_token])
    data = {field(public_survey.question): "4"}
    statuses = [Client(REMOTE_ADDR="203.0.113.7").post(url, data).status_code for _ in range(20)]

    refused = Client(REMOTE_ADDR="203.0.113.7").post(url, data)

    assert statuses == [302] * 20
    assert refused.status_code == 200
    assert "Too many answers from your network. Please try again later." in page_of(refused)
    assert Response.objects.count() == 20
    assert Client(REMOTE_ADDR="198.51.100.1").post(url, data).status_code == 302
    assert Response.objects.count() == 21


# The survey slip printed with a receipt -----------------------------------------------------


def visit_url(purchase):
    return reverse("visit_survey", args=[services.visit_token(purchase)])


def visit_answers(visit_survey, **extra):
    return {field(visit_survey.nps): "9", field(visit_survey.csat): "5", **extra}


def test_visit_link_takes_one_answer_per_receipt_without_login(client, visit_survey, purchase):
    assert "How likely are you to recommend us?" in page_of(client.get(visit_url(purchase)))

    sent = client.post(visit_url(purchase), visit_answers(visit_survey), follow=True)
    from_another_phone = Client().post(visit_url(purchase), visit_answers(visit_survey))

    assert "Thank you!" in page_of(sent)
    assert "survey-bonus" not in page_of(sent)
    assert "You have already answered this survey." in page_of(from_another_phone)
    response = Response.objects.get()
    assert (response.purchase, response.user) == (purchase, None)
    assert not bonus_lines().exists()


def test_one_phone_answers_the_slips_of_two_visits(client, card, staff, visit_survey, purchase):
    second = loyalty_services.record_purchase(
        card, Decimal("6.00"), reference="R-2", staff=staff
    ).line

    client.post(visit_url(purchase), visit_answers(visit_survey))
    sent = client.post(visit_url(second), visit_answers(visit_survey), follow=True)

    assert "Thank you!" in page_of(sent)
    assert set(Response.objects.values_list("purchase__reference", flat=True)) == {"R-1", "R-2"}


def test_tampered_visit_link_gives_a_clear_not_found_page(client, visit_survey, purchase):
    token = services.visit_token(purchase)
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")

    shown = client.get(reverse("visit_survey", args=[tampered]))
    sent = client.post(reverse("visit_survey", args=[tampered]), visit_answers(visit_survey))

    assert shown.status_code == sent.status_code == 404
    assert "This survey link is not valid. Please scan the code on your receipt again." in (
        page_of(shown)
    )
    assert not Response.objects.exists()


def test_visit_link_answered_by_the_cards_member_earns_the_bonus(
    member_client, card, visit_survey, purchase
):
    sent = member_client.post(visit_url(purchase), visit_answers(visit_survey), follow=True)

    assert "20 bonus points are on your card." in page_of(sent)
    response = Response.objects.get(purchase=purchase)
    line = bonus_lines().get()
    assert (line.card, line.points, line.source) == (card, 20, response)


def test_visit_link_answered_by_another_member_earns_nobody_a_bonus(
    client, outsider, outsider_card, visit_survey, purchase
):
    client.force_login(outsider)

    sent = client.post(visit_url(purchase), visit_answers(visit_survey), follow=True)

    assert "Thank you!" in page_of(sent)
    assert "survey-bonus" not in page_of(sent)
    assert Response.objects.filter(purchase=purchase).count() == 1
    assert not bonus_lines().exists()


# "How was your visit?" on the member's home page ------------------------------------------


def test_portal_offers_the_visit_survey_after_a_purchase_while_one_is_active(
    member_client, card, staff
):
    loyalty_services.record_purchase(card, Decimal("8.00"), reference="R-0", staff=staff)
    assert "How was your visit?" not in page_of(member_client.get(reverse("portal")))

    visit_survey = make_visit_survey()[0]
    page = page_of(member_client.get(reverse("portal")))

    invitation = Invitation.objects.get()
    assert (invitation.user, invitation.survey) == (card.user, visit_survey)
    assert "How was your visit?" in page
    assert f'href="{reverse("invitation_answer", args=[invitation.pk])}">Answer now</a>' in page
    assert "20 points for you" in page


def test_portal_asks_about_a_visit_at_most_once_in_the_programs_days(
    member_client, card, staff, program
):
    program.survey_invitation_days = 7
    program.save()

    def buy(reference):
        loyalty_services.record_purchase(card, Decimal("8.00"), reference=reference, staff=staff)
        return page_of(member_client.get(reverse("portal")))

    with time_machine.travel(NOON, tick=False) as traveller:
        make_visit_survey()
        assert "How was your visit?" in buy("R-1")
        traveller.shift(datetime.timedelta(days=6))
        assert "How was your visit?" not in buy("R-2")
        traveller.shift(datetime.timedelta(days=2))
        assert "How was your visit?" in buy("R-3")

    assert list(Invitation.objects.values_list("purchase__reference", flat=True)) == [
        "R-3",
        "R-1",
    ]


def test_not_now_hides_the_invitation(member_client, card, purchase, visit_survey):
    member_client.get(reverse("portal"))
    invitation = Invitation.objects.get()

    after = member_client.post(reverse("invitation_dismiss", args=[invitation.pk]), follow=True)

    assert "No problem. We will ask again another time." in page_of(after)
    assert "How was your visit?" not in page_of(after)
    assert "How was your visit?" not in page_of(member_client.get(reverse("portal")))
    invitation.refresh_from_db()
    assert invitation.dismissed_at is not None


def test_answered_invitation_is_not_offered_again_and_pays_the_bonus(
    member_client, card, purchase, visit_survey
):
    member_client.get(reverse("portal"))
    invitation = Invitation.objects.get()

    sent = member_client.post(
        reverse("invitation_answer", args=[invitation.pk]),
        visit_answers(visit_survey, **{field(visit_survey.comment): "Warm welcome"}),
        follow=True,
    )

    assert "20 bonus points are on your card." in page_of(sent)
    response = Response.objects.get()
    assert (response.purchase, response.user) == (purchase, card.user)
    assert response.answers.get(question=visit_survey.comment).text == "Warm welcome"
    assert bonus_lines().get().source == response
    assert "How was your visit?" not in page_of(member_client.get(reverse("portal")))


def test_outsider_cannot_open_answer_or_dismiss_another_members_invitation(
    client, outsider, outsider_card, card, purchase, visit_survey
):
    invitation = services.invite_after_visit(card.user)
    client.force_login(outsider)

    shown = client.get(reverse("invitation_answer", args=[invitation.pk]))
    sent = client.post(
        reverse("invitation_answer", args=[invitation.pk]), visit_answers(visit_survey)
    )
    dismissed = client.post(reverse("invitation_dismiss", args=[invitation.pk]))

    assert shown.status_code == sent.status_code == dismissed.status_code == 404
    assert "How was your visit?" not in page_of(shown)
    assert not Response.objects.exists()
    assert not bonus_lines().exists()
    invitation.refresh_from_db()
    assert invitation.dismissed_at is None


# Copying ----------------------------------------------------------------------------------


def test_copy_survey_copies_questions_and_choices_into_an_inactive_survey(survey):
    copy = services.copy_survey(survey.survey)

    assert copy.pk != survey.survey.pk
    assert copy.title == "Our new menu (copy)"
    assert not copy.is_active
    assert not copy.is_open()
    original = selectors.questions(survey.survey)
    copied = selectors.questions(copy)

    def outline(questions):
        return [
            (q.order, q.kind, q.text, q.required, [c.label for c in q.choices.all()])
            for q in questions
        ]

    assert outline(copied) == outline(original)
    assert outline(copied)[-1][-1] == ["Scone", "Bun"]
    assert not {q.pk for q in copied} & {q.pk for q in original}
    assert survey.scone.question_id == survey.single.pk  # the original keeps its own choices


def test_visit_survey_is_answered_only_for_a_visit_not_from_the_survey_list(
    member_client, card, visit_survey
):
    url = answer_url(visit_survey.survey)

    shown = member_client.get(url)
    sent = member_client.post(url, visit_answers(visit_survey))

    # Otherwise a member could collect one more bonus with no visit behind it.
    assert shown.status_code == sent.status_code == 404
    assert not Response.objects.exists()
    assert not bonus_lines().exists()
