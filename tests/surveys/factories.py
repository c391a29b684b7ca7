import datetime

import factory
from django.utils import timezone

from surveys.models import Answer, Choice, Question, QuestionKind, Response, Survey


class SurveyFactory(factory.django.DjangoModelFactory):
    """An open members-only survey paying 20 points, opened an hour ago."""

    class Meta:
        model = Survey

    title = factory.Sequence(lambda n: f"Survey {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))
    completion_bonus = 20


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    survey = factory.SubFactory(SurveyFactory)
    order = factory.Sequence(lambda n: n)
    kind = QuestionKind.NPS
    text = factory.Sequence(lambda n: f"Question {n}?")


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice

    question = factory.SubFactory(QuestionFactory, kind=QuestionKind.SINGLE)
    label = factory.Sequence(lambda n: f"Choice {n}")
    order = factory.Sequence(lambda n: n)


def make_visit_survey(**kwargs):
    """A post-visit survey: required NPS and CSAT, then an optional comment.

    Returns (survey, nps, csat, comment)."""
    survey = SurveyFactory(title="How was your visit?", is_post_visit=True, **kwargs)
    nps = QuestionFactory(
        survey=survey, order=1, required=True, text="How likely are you to recommend us?"
    )
    csat = QuestionFactory(
        survey=survey,
        order=2,
        kind=QuestionKind.CSAT,
        required=True,
        text="How satisfied were you with this visit?",
    )
    comment = QuestionFactory(
        survey=survey, order=3, kind=QuestionKind.LONG_TEXT, text="Anything we should know?"
    )
    return survey, nps, csat, comment


def add_response(survey, answers, *, created_at=None, tier=None, user=None):
    """A response written straight to the tables, for read-only tests of the results: no
    bonus, so the ledger is untouched. `answers` maps a question to a number, a text or a
    list of choices."""
    response = Response.objects.create(
        survey=survey, user=user, tier=tier, created_at=created_at or timezone.now()
    )
    for question, value in answers.items():
        if isinstance(value, list):
            Answer.objects.create(response=response, question=question).choices.set(value)
        elif isinstance(value, str):
            Answer.objects.create(response=response, question=question, text=value)
        else:
            Answer.objects.create(response=response, question=question, number=value)
    return response
