"""A survey form sent twice at the same moment (a double tap, two tabs) saves one response."""

from decimal import Decimal

from loyalty import services as loyalty_services
from loyalty.models import Kind, PointTransaction
from surveys import services
from surveys.exceptions import AlreadyAnswered
from surveys.models import Response
from tests.concurrency import all_at_once, postgresql_only
from tests.surveys.factories import QuestionFactory, SurveyFactory, make_visit_survey

pytestmark = postgresql_only


def test_same_member_sending_a_survey_twice_at_once_gets_one_response_and_one_bonus(card, member):
    survey = SurveyFactory(completion_bonus=20)
    question = QuestionFactory(survey=survey)
    card.refresh_from_db()
    before = card.balance

    results = all_at_once(
        2, lambda _index: services.submit_response(survey, {question.pk: 9}, user=member)
    )

    saved = [result for result in results if isinstance(result, Response)]
    refused = [result for result in results if isinstance(result, AlreadyAnswered)]
    assert (len(saved), len(refused)) == (1, 1), results
    assert Response.objects.filter(survey=survey).count() == 1
    line = PointTransaction.objects.get(kind=Kind.SURVEY_BONUS)
    assert line.source == saved[0]
    card.refresh_from_db()
    assert card.balance == before + 20


def test_one_receipts_slip_answered_from_two_phones_at_once_is_saved_once(card, staff):
    survey, nps, csat, _comment = make_visit_survey()
    purchase = loyalty_services.record_purchase(
        card, Decimal("9.00"), reference="R-1", staff=staff
    ).line

    results = all_at_once(
        4,
        lambda _index: services.submit_response(
            survey, {nps.pk: 10, csat.pk: 5}, purchase=purchase
        ),
    )

    saved = [result for result in results if isinstance(result, Response)]
    refused = [result for result in results if isinstance(result, AlreadyAnswered)]
    assert (len(saved), len(refused)) == (1, 3), results
    assert Response.objects.filter(purchase=purchase).count() == 1
