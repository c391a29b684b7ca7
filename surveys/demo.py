"""Demo data: a post-visit survey with three months of answers and a public survey; complaint
cases in every state with reply templates; testimonials."""

import datetime
import random

from django.utils import timezone

from accounts.models import User
from loyalty.demo import clock_at
from loyalty.models import Kind, PointTransaction
from surveys import services
from surveys.models import (
    Audience,
    Choice,
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintResolution,
    ComplaintStatus,
    Question,
    QuestionKind,
    RemedySought,
    ReplyTemplate,
    Survey,
    Testimonial,
)

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


REPLY_TEMPLATES = [
    (
        "Sorry, we are looking into it",
        "Thank you for telling us, and sorry for the trouble. We are looking into it "
        "and will get back to you within a day.",
    ),
    (
        "Points corrected",
        "We checked your points history and corrected the line. The points are now on your card.",
    ),
    (
        "Refund on the way",
        "We have refunded the amount to your card; it can take a few days to show.",
    ),
]


def seed_complaints(staff, owner):
    """Cases in every state, with replies and internal notes, and testimonials."""
    if ReplyTemplate.objects.exists():
        return
    for title, body in REPLY_TEMPLATES:
        ReplyTemplate.objects.create(title=title, body=body)
    now = timezone.now()
    members = list(User.objects.filter(cards__isnull=False, is_staff=False).order_by("pk")[:8])
    with clock_at(now - datetime.timedelta(days=6)):
        services.file_complaint(
            name="Pekka Visitor",
            email="pekka@example.com",
            category=ComplaintCategory.PRODUCT,
            description="The sandwich I bought on Saturday was stale.",
            remedy_sought=RemedySought.REFUND,
            channel=ComplaintChannel.PUBLIC_FORM,
        )
    cases = []
    for days, member, category, text in [
        (
            9,
            members[1],
            ComplaintCategory.SERVICE,
            "Nobody served me for ten minutes at the counter.",
        ),
        (
            5,
            members[2],
            ComplaintCategory.BILLING,
            "My purchase on Monday did not earn any points.",
        ),
        (3, members[3], ComplaintCategory.STAFF, "The barista was rude when I asked for oat milk."),
        (
            20,
            members[4],
            ComplaintCategory.PRODUCT,
            "The cake I ordered for a birthday was the wrong flavour.",
        ),
        (30, members[5], ComplaintCategory.SERVICE, "My table booking was lost."),
    ]:
        with clock_at(now - datetime.timedelta(days=days)):
            cases.append(
                services.file_complaint(
                    user=member,
                    name=member.get_full_name(),
                    email=member.email,
                    category=category,
                    description=text,
                    remedy_sought=RemedySought.APOLOGY,
                    channel=ComplaintChannel.PORTAL,
                )
            )
    acknowledged, in_progress, with_note, resolved, closed = cases
    services.reply(acknowledged, REPLY_TEMPLATES[0][1], author=staff)
    services.reply(in_progress, REPLY_TEMPLATES[0][1], author=staff)
    services.change_status(in_progress, ComplaintStatus.IN_PROGRESS, actor=staff)
    services.reply(
        in_progress,
        "Checked the till log: the card was scanned but the receipt was not.",
        author=staff,
        internal=True,
    )
    services.reply(
        with_note, "Spoke to the barista; coaching booked for Friday.", author=owner, internal=True
    )
    services.assign(with_note, staff, actor=owner)
    for case, points in [(resolved, 150), (closed, 0)]:
        services.reply(case, REPLY_TEMPLATES[0][1], author=staff)
        services.change_status(case, ComplaintStatus.IN_PROGRESS, actor=staff)
        services.resolve_complaint(
            case,
            actor=staff,
            resolution_type=ComplaintResolution.GOODWILL if points else ComplaintResolution.APOLOGY,
            summary="We are sorry. We made it right.",
            goodwill_points=points,
        )
    services.rate_handling(closed, 4, "Handled well, thank you.")
    # Older survey follow-ups were handled at the time; the recent ones wait in the queue.
    for follow_up in Complaint.objects.filter(
        channel=ComplaintChannel.SURVEY_FOLLOW_UP, created_at__lt=now - datetime.timedelta(days=12)
    ):
        services.reply(follow_up, REPLY_TEMPLATES[0][1], author=staff)
        services.change_status(follow_up, ComplaintStatus.IN_PROGRESS, actor=staff)
        services.resolve_complaint(
            follow_up,
            actor=staff,
            resolution_type=ComplaintResolution.APOLOGY,
            summary="We talked it through with the team. Sorry, and thank you for telling us.",
        )
    services.change_status(closed, ComplaintStatus.CLOSED, actor=staff)
    for member, rating, text, approve in [
        (members[0], 5, "The best coffee on the street and they know my order by heart.", True),
        (members[6], 5, "Cosy place, kind staff, and the points add up fast.", True),
        (members[7], 4, "Great pastries. Wish they opened earlier on Sundays!", True),
        (members[2], 3, "Good, but the queue at lunch is long.", None),
    ]:
        testimonial = services.submit_testimonial(member, rating, text)
        if approve:
            services.decide_testimonial(testimonial, approve=True, staff=staff)
    return Testimonial.objects.count()
