"""Demo surveys: a post-visit survey with three months of answers, and a public survey."""

import datetime
import random

from django.utils import timezone

from loyalty.demo import clock_at
from loyalty.models import Kind, PointTransaction
from surveys import services
from surveys.models import Audience, Choice, Question, QuestionKind, Survey

COMMENTS = {
    "promoter": [
        "Best flat white in town, and the staff remember my name.",
        "Lovely atmosphere, I come here every morning.",
        "The cinnamon rolls are worth the walk.",
        "Quick service even when it was busy.",
        "Friendly barista, great coffee, cosy corner seats.",
    ],
    "passive": [
        "Good coffee but the queue was long.",
        "Nice, though the music was a bit loud.",
        "Fine. A few more vegan options would be welcome.",
    ],
    "detractor": [
        "Waited 15 minutes for a latte that came out cold.",
        "The table was sticky and nobody cleaned it.",
        "My order was wrong and I was charged twice.",
        "Too expensive for the size of the pastry.",
    ],
}


def seed_surveys():
    if Survey.objects.exists():
        return
    now = timezone.now()
    visit = Survey.objects.create(
        title="How was your visit?",
        intro="Three quick questions about your last visit.",
        starts_at=now - datetime.timedelta(days=120),
        is_post_visit=True,
        completion_bonus=20,
    )
    nps = Question.objects.create(
        survey=visit,
        order=1,
        kind=QuestionKind.NPS,
        required=True,
        text="How likely are you to recommend us to a friend?",
    )
    csat = Question.objects.create(
        survey=visit,
        order=2,
        kind=QuestionKind.CSAT,
        required=True,
        text="How satisfied were you with this visit?",
    )
    liked = Question.objects.create(
        survey=visit, order=3, kind=QuestionKind.MULTIPLE, text="What did you have?"
    )
    choices = [
        Choice.objects.create(question=liked, label=label, order=order)
        for order, label in enumerate(["Coffee", "Tea", "Pastry", "Lunch"])
    ]
    comment = Question.objects.create(
        survey=visit, order=4, kind=QuestionKind.LONG_TEXT, text="Anything we should know?"
    )
    public = Survey.objects.create(
        title="Help us choose our new cake",
        intro="Anyone can answer: scan the poster at the counter.",
        starts_at=now - datetime.timedelta(days=20),
        audience=Audience.PUBLIC,
        allow_anonymous=True,
        completion_bonus=10,
    )
    Question.objects.create(
        survey=public,
        order=1,
        kind=QuestionKind.CES,
        text="How easy was it to order today? (1 = very easy, 7 = very hard)",
    )
    cake = Question.objects.create(
        survey=public,
        order=2,
        kind=QuestionKind.SINGLE,
        required=True,
        text="Which cake should we bake next?",
    )
    for order, label in enumerate(["Ube cheesecake", "Karelian blueberry pie", "Klepon cake"]):
        Choice.objects.create(question=cake, label=label, order=order)
    _answer_visits(visit, nps, csat, liked, choices, comment, now)


def _answer_visits(visit, nps, csat, liked, choices, comment, now):
    generator = random.Random(7)  # noqa: S311 - demo data, not a secret
    purchases = PointTransaction.objects.filter(
        kind=Kind.PURCHASE, created_at__gte=now - datetime.timedelta(days=90)
    ).select_related("card")
    for purchase in purchases:
        if generator.random() > 0.85:
            continue
        mood = generator.choices(["promoter", "passive", "detractor"], weights=[55, 25, 20])[0]
        score = {"promoter": generator.choice([9, 10]), "passive": generator.choice([7, 8])}.get(
            mood, generator.randint(2, 6)
        )
        rating = {"promoter": 5, "passive": 4}.get(mood, generator.choice([1, 2, 3]))
        answers = {
            nps.pk: score,
            csat.pk: rating,
            liked.pk: [c.pk for c in generator.sample(choices, generator.randint(1, 2))],
            comment.pk: generator.choice(COMMENTS[mood]) if generator.random() < 0.4 else "",
        }
        # Some answer logged in (and earn the bonus), most from the slip without logging in.
        user = purchase.card.user if generator.random() < 0.35 else None
        with clock_at(purchase.created_at + datetime.timedelta(hours=generator.randint(1, 30))):
            services.submit_response(visit, answers, user=user, purchase=purchase)
