"""The owner's results page: scores with their n and margin, counts, trend, text answers,
filters and the CSV export; and the admin's preview, poster and the counter's survey slip."""

import codecs
import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import formats, timezone

from core.codes import qr_svg
from loyalty import services as loyalty_services
from surveys import services
from surveys.models import Answer, Audience, QuestionKind, Response
from tests.surveys.factories import (
    ChoiceFactory,
    QuestionFactory,
    SurveyFactory,
    add_response,
    make_visit_survey,
)

# Session, user, user and group permissions, survey, questions, choices, number counts,
# choice counts, answers per question, weekly trend, text answers (count and one page),
# response count, response rate (members who answered, members invited), tiers for the filter.
RESULTS_QUERIES = 17

# Week of Monday 2 March 2026: nine answers; week of Monday 9 March: three more.
FIRST_WEEK = datetime.datetime(2026, 3, 4, 10, tzinfo=datetime.UTC)
SECOND_WEEK = datetime.datetime(2026, 3, 11, 10, tzinfo=datetime.UTC)
# 6 promoters, 3 passives, 3 detractors: NPS 25 ± 46.9 (see test_scores.py).
NPS_SCORES = [10, 10, 10, 10, 9, 9, 8, 8, 7, 5, 0, 0]
# 8 of 12 rated 4 or 5: CSAT 66.7%.
CSAT_RATINGS = [5, 5, 5, 4, 4, 3, 3, 2, 1, 5, 4, 4]
COMMENTS = {0: "Best flat white in town", 10: "The latte came out cold", 11: "Cold table"}


@pytest.fixture
def survey(tiers):
    """Twelve responses: nine from Bronze members in one week, three from Silver the next."""
    bronze, silver, _gold = tiers
    survey = SurveyFactory(title="Our coffee")
    nps = QuestionFactory(survey=survey, order=1, text="Recommend us?")
    csat = QuestionFactory(survey=survey, order=2, kind=QuestionKind.CSAT, text="Satisfied?")
    drink = QuestionFactory(survey=survey, order=3, kind=QuestionKind.SINGLE, text="Drink?")
    coffee = ChoiceFactory(question=drink, label="Coffee")
    tea = ChoiceFactory(question=drink, label="Tea")
    comment = QuestionFactory(survey=survey, order=4, kind=QuestionKind.LONG_TEXT, text="Else?")
    for index, (score, rating) in enumerate(zip(NPS_SCORES, CSAT_RATINGS, strict=True)):
        answers = {nps: score, csat: rating}
        if index < 7:
            answers[drink] = [coffee] if index < 5 else [tea]
        if index in COMMENTS:
            answers[comment] = COMMENTS[index]
        first_week = index < 9
        add_response(
            survey,
            answers,
            created_at=(FIRST_WEEK if first_week else SECOND_WEEK)
            + datetime.timedelta(minutes=index),
            tier=bronze if first_week else silver,
        )
    return survey


def results_url(survey):
    return reverse("admin:surveys_survey_results", args=[survey.pk])


def get_page(client, survey, **params):
    response = client.get(results_url(survey), params)
    assert response.status_code == 200
    return response.content.decode()


def response_count(page):
    return int(re.search(r'data-testid="response-count">(\d+)<', page).group(1))


def test_results_show_count_scores_with_n_and_margin_and_counts_per_question(owner_client, survey):
    page = get_page(owner_client, survey)

    assert response_count(page) == 12
    assert 'data-testid="nps">25<' in page
    assert "± 47 (95%) · n = 12" in page
    assert "50% promoters, 25% passives, 25% detractors" in page
    assert 'data-testid="csat">67%<' in page
    assert "rated 4 or 5 · n = 12" in page
    # Per question: how many answered, and each answer's count and share.
    assert "12 answered" in page
    assert "<tr><td>10</td><td>4</td><td>33.3</td></tr>" in page
    assert "<tr><td>0</td><td>2</td><td>16.7</td></tr>" in page
    assert "<tr><td>6</td><td>0</td><td>0.0</td></tr>" in page
    assert "7 answered" in page
    assert "<tr><td>Coffee</td><td>5</td><td>71.4</td></tr>" in page
    assert "<tr><td>Tea</td><td>2</td><td>28.6</td></tr>" in page


def test_segment_with_fewer_than_five_responses_shows_no_score(owner_client, survey, tiers):
    silver = tiers[1]

    page = get_page(owner_client, survey, tier=silver.pk)

    assert response_count(page) == 3
    assert page.count("too few responses (n = 3)") == 2  # NPS and CSAT
    assert 'data-testid="nps"' not in page
    assert 'data-testid="csat"' not in page
    assert "Best flat white" not in page  # a Bronze member's comment


def test_weekly_trend_table_scores_each_week_and_says_when_too_few(owner_client, survey):
    page = get_page(owner_client, survey)

    first = formats.date_format(datetime.date(2026, 3, 2), "SHORT_DATE_FORMAT")
    second = formats.date_format(datetime.date(2026, 3, 9), "SHORT_DATE_FORMAT")
    # First week: 6 promoters of 9, no detractors; NPS 66.7 ± 30.8.
    assert f"<tr><td>{first}</td>\n        <td>67 ± 31</td><td>9</td>" in page
    assert f"<tr><td>{second}</td>\n        <td>too few responses</td><td>3</td>" in page


def test_text_answers_are_listed_and_searchable(owner_client, survey):
    everything = get_page(owner_client, survey)
    found = get_page(owner_client, survey, q="cold")

    for comment in COMMENTS.values():
        assert comment in everything
    assert "The latte came out cold" in found
    assert "Cold table" in found
    assert "Best flat white in town" not in found
    assert response_count(found) == 12  # the search narrows the text answers only


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"start": "2026-03-01", "end": "2026-03-05"}, 9),
        ({"start": "2026-03-11", "end": "2026-03-11"}, 3),
        ({"start": "2026-03-12"}, 0),
        ({"tier": "Bronze"}, 9),
    ],
    ids=["first-week", "one-day", "after-the-last", "bronze"],
)
def test_results_filter_by_date_range_and_tier(owner_client, survey, tiers, params, count):
    if "tier" in params:
        params = {"tier": next(t.pk for t in tiers if t.name == params["tier"])}

    page = get_page(owner_client, survey, **params)

    assert response_count(page) == count
    assert f"n = {count}" in page


def test_csv_export_has_one_row_per_response_and_one_column_per_question(owner_client, survey):
    response = owner_client.get(results_url(survey), {"export": "csv"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="survey-{survey.pk}-responses.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header, lines = rows[0], rows[1:]
    assert header == [
        "response",
        "answered_at",
        "member",
        "tier",
        "Recommend us?",
        "Satisfied?",
        "Drink?",
        "Else?",
    ]
    assert len(lines) == 12
    assert lines[0][3:] == ["Bronze", "10", "5", "Coffee", "Best flat white in town"]
    assert lines[8][3:] == ["Bronze", "7", "1", "", ""]
    assert lines[11][3:] == ["Silver", "0", "4", "", "Cold table"]


def test_csv_export_follows_the_filters(owner_client, survey, tiers):
    response = owner_client.get(results_url(survey), {"export": "csv", "tier": tiers[1].pk})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row[3] for row in rows[1:]] == ["Silver"] * 3


def bulk_responses(survey, questions, size):
    """Rows straight into the tables: fine for a read test, and no bonus lines to balance."""
    nps, csat, comment = questions
    created = timezone.now() - datetime.timedelta(days=1)
    responses = Response.objects.bulk_create(
        [Response(survey=survey, created_at=created) for _ in range(size)], batch_size=1000
    )
    answers = []
    for index, response in enumerate(responses):
        answers.append(Answer(response=response, question=nps, number=index % 11))
        answers.append(Answer(response=response, question=csat, number=index % 5 + 1))
        if index % 3 == 0:
            answers.append(Answer(response=response, question=comment, text=f"Comment {index}"))
    Answer.objects.bulk_create(answers, batch_size=1000)


@pytest.mark.parametrize("size", [10, 5000])
def test_results_page_queries_do_not_grow_with_responses(
    owner_client, tiers, size, django_assert_num_queries
):
    survey = SurveyFactory()
    questions = (
        QuestionFactory(survey=survey),
        QuestionFactory(survey=survey, kind=QuestionKind.CSAT),
        QuestionFactory(survey=survey, kind=QuestionKind.LONG_TEXT),
    )
    bulk_responses(survey, questions, size)

    with django_assert_num_queries(RESULTS_QUERIES):
        page = get_page(owner_client, survey)

    assert response_count(page) == size


def test_staff_cannot_read_results(staff_client, survey):
    assert staff_client.get(results_url(survey)).status_code == 403
    assert staff_client.get(results_url(survey), {"export": "csv"}).status_code == 403


def test_admin_preview_shows_the_questions_without_a_send_button(owner_client, survey):
    page = owner_client.get(reverse("admin:surveys_survey_preview", args=[survey.pk]))

    text = page.content.decode()
    assert "Preview: this is how members see the survey. Answers are not saved." in text
    for question in ["Recommend us?", "Satisfied?", "Drink?", "Else?", "Coffee", "Tea"]:
        assert question in text
    assert "Send my answers" not in text


def test_qr_poster_shows_the_public_links_qr_code(owner_client, survey):
    survey.audience = Audience.PUBLIC
    survey.save()

    page = owner_client.get(reverse("admin:surveys_survey_poster", args=[survey.pk]))

    url = f"http://testserver{reverse('public_survey', args=[survey.public_token])}"
    text = page.content.decode()
    assert '<svg role="img"' in text
    assert qr_svg(url, title="QR code for Our coffee") in text
    assert url in text


def test_only_surveys_open_to_anyone_offer_a_qr_poster(owner_client, db):
    visit, *_questions = make_visit_survey()
    public = SurveyFactory(title="Tell a friend", audience=Audience.PUBLIC)

    listing = owner_client.get(reverse("admin:surveys_survey_changelist")).content.decode()
    response = owner_client.get(
        reverse("admin:surveys_survey_poster", args=[visit.pk]), follow=True
    )

    assert reverse("admin:surveys_survey_poster", args=[public.pk]) in listing
    assert reverse("admin:surveys_survey_poster", args=[visit.pk]) not in listing
    assert reverse("admin:surveys_survey_results", args=[visit.pk]) in listing
    assert response.redirect_chain == [
        (reverse("admin:surveys_survey_change", args=[visit.pk]), 302)
    ]
    page = response.content.decode()
    assert "Only a survey open to anyone has a QR poster" in page
    assert reverse("public_survey", args=[visit.public_token]) not in page


@time_machine.travel(FIRST_WEEK, tick=False)
def test_counter_slip_shows_the_qr_code_of_the_receipts_visit_survey(staff_client, card, staff):
    SurveyFactory(is_post_visit=True)
    purchase = loyalty_services.record_purchase(
        card, Decimal("4.20"), reference="R-9", staff=staff
    ).line

    page = staff_client.get(reverse("admin:counter_slip", args=[purchase.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Receipt R-9" in text
    # The clock stands still, so signing again gives the very token printed on the slip.
    url = f"http://testserver{reverse('visit_survey', args=[services.visit_token(purchase)])}"
    assert qr_svg(url, title="QR code of the visit survey") in text
    assert "No post-visit survey is active" not in text


def test_counter_slip_warns_when_no_visit_survey_is_active(staff_client, card, staff):
    purchase = loyalty_services.record_purchase(
        card, Decimal("4.20"), reference="R-9", staff=staff
    ).line

    page = staff_client.get(reverse("admin:counter_slip", args=[purchase.pk])).content.decode()

    assert "No post-visit survey is active" in page


def test_csv_export_opens_in_excel_with_accents_and_the_euro_sign(owner_client, db):
    survey = SurveyFactory()
    comment = QuestionFactory(survey=survey, kind=QuestionKind.SHORT_TEXT, text="Kommentti?")
    add_response(survey, {comment: "Aino Mäkinen: kahvi 3,50 €, hyvä!"})

    response = owner_client.get(results_url(survey), {"export": "csv"})

    content = b"".join(response.streaming_content)
    # Excel takes a file as UTF-8 only when it starts with the byte order mark.
    assert content.startswith(codecs.BOM_UTF8 + b"response,")
    assert "Aino Mäkinen: kahvi 3,50 €, hyvä!".encode() in content
    assert content.count(codecs.BOM_UTF8) == 1
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_csv_export_keeps_spreadsheets_from_running_typed_formulas(owner_client, db):
    survey = SurveyFactory()
    comment = QuestionFactory(survey=survey, kind=QuestionKind.SHORT_TEXT, text="Comment?")
    formula = '=HYPERLINK("http://example.com/","Click")'
    add_response(survey, {comment: formula})
    add_response(survey, {comment: "-2 stars, +1 for the cake"})

    response = owner_client.get(results_url(survey), {"export": "csv"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    # An anonymous answer must not become a live formula in the owner's spreadsheet.
    assert [row[-1] for row in rows[1:]] == [f"'{formula}", "'-2 stars, +1 for the cake"]
