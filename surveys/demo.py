"""Demo data: a post-visit survey with a year of answers and a public survey; complaint cases
in every state, a few through the year, with reply templates; testimonials. Planned on the
demo's timeline (`loyalty.demo.Timeline`), so answers follow visits and replies follow
complaints by hours."""

import datetime
import random
from types import SimpleNamespace

from django.utils import timezone

from core.translations import fill_blank_texts
from loyalty.demo import HISTORY_DAYS, days_ago, opening_hours
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

# The surveys in Filipino, Finnish and Indonesian: titles and intros, questions, choices.
SURVEY_TRANSLATIONS = {
    "How was your visit?": {
        "fil": (
            "Kumusta ang pagbisita mo?",
            "Tatlong mabilis na tanong tungkol sa huling bisita mo.",
        ),
        "fi": ("Millainen käyntisi oli?", "Kolme nopeaa kysymystä viime käynnistäsi."),
        "id": (
            "Bagaimana kunjungan Anda?",
            "Tiga pertanyaan singkat tentang kunjungan terakhir Anda.",
        ),
    },
    "Help us choose our new cake": {
        "fil": (
            "Tulungan kaming pumili ng bagong cake",
            "Kahit sino ay puwedeng sumagot: i-scan ang poster sa counter.",
        ),
        "fi": (
            "Auta meitä valitsemaan uusi kakku",
            "Kuka tahansa voi vastata: skannaa tiskin juliste.",
        ),
        "id": ("Bantu kami memilih kue baru", "Siapa saja boleh menjawab: pindai poster di kasir."),
    },
}
QUESTION_TRANSLATIONS = {
    "How likely are you to recommend us to a friend?": {
        "fil": ("Gaano mo kami kalamang irekomenda sa isang kaibigan?",),
        "fi": ("Kuinka todennäköisesti suosittelisit meitä ystävälle?",),
        "id": ("Seberapa mungkin Anda merekomendasikan kami kepada teman?",),
    },
    "How satisfied were you with this visit?": {
        "fil": ("Gaano ka nasiyahan sa bisitang ito?",),
        "fi": ("Kuinka tyytyväinen olit tähän käyntiin?",),
        "id": ("Seberapa puas Anda dengan kunjungan ini?",),
    },
    "What did you have?": {
        "fil": ("Ano ang binili mo?",),
        "fi": ("Mitä otit?",),
        "id": ("Apa yang Anda pesan?",),
    },
    "Anything we should know?": {
        "fil": ("May gusto ka bang sabihin sa amin?",),
        "fi": ("Onko jotain, mitä meidän pitäisi tietää?",),
        "id": ("Ada yang perlu kami ketahui?",),
    },
    "How easy was it to order today? (1 = very easy, 7 = very hard)": {
        "fil": ("Gaano kadaling umorder ngayon? (1 = napakadali, 7 = napakahirap)",),
        "fi": ("Kuinka helppoa tilaaminen oli tänään? (1 = tosi helppoa, 7 = tosi vaikeaa)",),
        # Left blank on purpose: the admin's "Missing translations" shows "id" for this survey.
    },
    "Which cake should we bake next?": {
        "fil": ("Anong cake ang dapat naming i-bake sunod?",),
        "fi": ("Minkä kakun leivomme seuraavaksi?",),
        "id": ("Kue apa yang sebaiknya kami buat berikutnya?",),
    },
}
CHOICE_TRANSLATIONS = {
    "Coffee": {"fil": ("Kape",), "fi": ("Kahvia",), "id": ("Kopi",)},
    "Tea": {"fil": ("Tsaa",), "fi": ("Teetä",), "id": ("Teh",)},
    "Pastry": {"fil": ("Pastry",), "fi": ("Leivonnaisen",), "id": ("Kue",)},
    "Lunch": {"fil": ("Tanghalian",), "fi": ("Lounaan",), "id": ("Makan siang",)},
    "Ube cheesecake": {
        "fil": ("Ube cheesecake",),
        "fi": ("Ube-juustokakku",),
        "id": ("Kue keju ube",),
    },
    "Karelian blueberry pie": {
        "fil": ("Blueberry pie mula Karelia",),
        "fi": ("Karjalainen mustikkapiirakka",),
        "id": ("Pai bluberi Karelia",),
    },
    "Klepon cake": {"fil": ("Klepon cake",), "fi": ("Klepon-kakku",), "id": ("Kue klepon",)},
}
ANSWERED = 0.35  # the share of visits whose receipt's survey was answered
MOODS = {"promoter": 55, "passive": 25, "detractor": 20}  # in per cent of the answers
BUSY_MOODS = {"promoter": 45, "passive": 27, "detractor": 28}  # in December's queues


def plan_surveys(timeline, visits, staff):
    """Plan the surveys' opening, before the first visit, and answers to about a third of
    the year's visits: most from the slip without logging in, some logged in (earning the
    bonus). A low score from a member opens a follow-up case, which staff answer within
    hours, resolve within a few days and close a week or two later."""
    generator = random.Random(7)  # noqa: S311 - demo data, not a secret
    now = timeline.now
    visit_survey = SimpleNamespace()
    opened = now - datetime.timedelta(days=HISTORY_DAYS + 1)
    timeline.add(opened, _open_visit_survey, visit_survey)
    timeline.add(now - datetime.timedelta(days=20), _open_public_survey)
    for visit in visits:
        if generator.random() > ANSWERED:
            continue
        moods = BUSY_MOODS if timezone.localtime(visit.moment).month == 12 else MOODS
        mood = generator.choices(list(moods), weights=list(moods.values()))[0]
        score = {"promoter": generator.choice([9, 10]), "passive": generator.choice([7, 8])}.get(
            mood, generator.randint(2, 6)
        )
        answer = SimpleNamespace(
            visit=visit,
            score=score,
            rating={"promoter": 5, "passive": 4}.get(mood, generator.choice([1, 2, 3])),
            had=generator.sample(range(4), generator.randint(1, 2)),
            comment=generator.choice(COMMENTS[mood]) if generator.random() < 0.4 else "",
            logged_in=generator.random() < 0.35,
            # Staff answer within a few opening hours and resolve within a few days.
            reply_after=datetime.timedelta(minutes=generator.randint(30, 300)),
            resolve_after=datetime.timedelta(hours=generator.randint(4, 80)),
            close_after=datetime.timedelta(days=generator.randint(7, 14)),
        )
        answered = visit.moment + datetime.timedelta(
            hours=generator.randint(1, 30), minutes=generator.randint(0, 59)
        )
        timeline.add(answered, _answer_visit, timeline, visit_survey, answer, staff)


def translate_surveys():
    """The demo's surveys, questions and choices in every language, where still blank."""
    fill_blank_texts(Survey, ("title", "intro"), SURVEY_TRANSLATIONS)
    fill_blank_texts(Question, ("text",), QUESTION_TRANSLATIONS)
    fill_blank_texts(Choice, ("label",), CHOICE_TRANSLATIONS)


def _open_visit_survey(into):
    into.survey = Survey.objects.create(
        title="How was your visit?",
        intro="Three quick questions about your last visit.",
        is_post_visit=True,
        completion_bonus=20,
    )
    into.nps = Question.objects.create(
        survey=into.survey,
        order=1,
        kind=QuestionKind.NPS,
        required=True,
        text="How likely are you to recommend us to a friend?",
    )
    into.csat = Question.objects.create(
        survey=into.survey,
        order=2,
        kind=QuestionKind.CSAT,
        required=True,
        text="How satisfied were you with this visit?",
    )
    into.had = Question.objects.create(
        survey=into.survey, order=3, kind=QuestionKind.MULTIPLE, text="What did you have?"
    )
    into.choices = [
        Choice.objects.create(question=into.had, label=label, order=order)
        for order, label in enumerate(["Coffee", "Tea", "Pastry", "Lunch"])
    ]
    into.comment = Question.objects.create(
        survey=into.survey,
        order=4,
        kind=QuestionKind.LONG_TEXT,
        text="Anything we should know?",
    )


def _open_public_survey():
    public = Survey.objects.create(
        title="Help us choose our new cake",
        intro="Anyone can answer: scan the poster at the counter.",
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


def _answer_visit(timeline, survey, answer, staff):
    purchase = PointTransaction.objects.get(kind=Kind.PURCHASE, reference=answer.visit.reference)
    response = services.submit_response(
        survey.survey,
        {
            survey.nps.pk: answer.score,
            survey.csat.pk: answer.rating,
            survey.had.pk: [survey.choices[index].pk for index in answer.had],
            survey.comment.pk: answer.comment,
        },
        user=answer.visit.user if answer.logged_in else None,
        purchase=purchase,
    )
    follow_up = Complaint.objects.filter(survey_response=response).first()
    if follow_up is not None:
        case = SimpleNamespace(complaint=follow_up)
        replied = opening_hours(follow_up.created_at + answer.reply_after)
        resolved = opening_hours(replied + answer.resolve_after)
        timeline.add(replied, _acknowledge, case, staff)
        timeline.add(resolved, _resolve_follow_up, case, staff)
        timeline.add(opening_hours(resolved + answer.close_after), _close, case, staff)


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


EARLIER_CASES = [
    (ComplaintCategory.PRODUCT, "My oat latte tasted burnt yesterday."),
    (ComplaintCategory.SERVICE, "We waited twenty minutes for two sandwiches."),
    (ComplaintCategory.BILLING, "I was charged for a large coffee but got a small one."),
    (ComplaintCategory.SERVICE, "The kiosk closed early and I could not pick up my order."),
    (ComplaintCategory.PRODUCT, "There was a hair in my salad."),
    (ComplaintCategory.BILLING, "The card reader took my payment twice."),
    (ComplaintCategory.SERVICE, "Nobody answered the phone when I called about my order."),
    (ComplaintCategory.STAFF, "The new barista got my order wrong twice."),
    (ComplaintCategory.PRODUCT, "The croissant was stale."),
    (ComplaintCategory.PRODUCT, "The soup of the day was lukewarm."),
]


def plan_complaints(timeline, members, staff, owner, visits=()):
    """Cases in every state, with replies and internal notes, and testimonials. `members`
    are the demo members, each with a card long before their case. From `visits`, about one
    a month through the year brings a case the next day, resolved in days, later closed."""
    now = timeline.now
    generator = random.Random(8)  # noqa: S311 - demo data, not a secret
    timeline.add(now - datetime.timedelta(days=HISTORY_DAYS + 1), _write_reply_templates)
    hour = datetime.timedelta(hours=1)
    day = datetime.timedelta(days=1)
    # One case in each equal stretch of the year before the last few weeks' cases.
    first, last = now - HISTORY_DAYS * day, now - 45 * day
    stretch = (last - first) / len(EARLIER_CASES)
    for number, (category, text) in enumerate(EARLIER_CASES):
        start = first + number * stretch
        visited = [visit for visit in visits if start <= visit.moment < start + stretch]
        if not visited:
            continue
        visit = generator.choice(visited)
        member = visit.user
        filed = opening_hours(visit.moment + datetime.timedelta(hours=generator.randint(14, 30)))
        fields = {
            "user": member,
            "name": member.get_full_name(),
            "email": member.email,
            "category": category,
            "description": text,
            "remedy_sought": RemedySought.APOLOGY,
            "channel": ComplaintChannel.PORTAL,
            "receipt_number": visit.reference,
        }
        steps = [
            (generator.randint(1, 5) * hour, _acknowledge, staff),
            (generator.randint(1, 4) * day, _resolve_with_apology, staff),
        ]
        if number % 2:
            steps.append((5 * day, _rate_well))
        steps.append((12 * day, _close, staff))
        _plan_case(timeline, filed, fields, steps)
    _plan_case(
        timeline,
        now - 3 * hour,
        {
            "name": "Pekka Visitor",
            "email": "pekka@example.com",
            "category": ComplaintCategory.PRODUCT,
            "description": "The sandwich I bought at the kiosk was stale.",
            "remedy_sought": RemedySought.REFUND,
            "channel": ComplaintChannel.PUBLIC_FORM,
        },
        [],
    )
    for filed, member, category, text, steps in [
        (
            days_ago(now, 2, 12, 40),
            members[1],
            ComplaintCategory.SERVICE,
            "Nobody served me for ten minutes at the counter.",
            [(hour, _acknowledge, staff)],
        ),
        (
            days_ago(now, 4, 9, 15),
            members[2],
            ComplaintCategory.BILLING,
            "My purchase yesterday did not earn any points.",
            [(2 * hour, _acknowledge, staff), (3 * hour, _look_into_till_log, staff)],
        ),
        (
            now - 6 * hour,
            members[3],
            ComplaintCategory.STAFF,
            "The barista was rude when I asked for oat milk.",
            [(hour, _book_coaching, owner, staff)],
        ),
        (
            days_ago(now, 20, 10, 5),
            members[4],
            ComplaintCategory.PRODUCT,
            "The cake I ordered for a birthday was the wrong flavour.",
            [(2 * hour, _acknowledge, staff), (2 * day, _resolve_with_goodwill, staff)],
        ),
        (
            days_ago(now, 30, 17, 30),
            members[5],
            ComplaintCategory.SERVICE,
            "My table booking was lost.",
            [
                (hour, _acknowledge, staff),
                (day, _resolve_with_apology, staff),
                (2 * day, _rate_well),
                (9 * day, _close, staff),
            ],
        ),
    ]:
        fields = {
            "user": member,
            "name": member.get_full_name(),
            "email": member.email,
            "category": category,
            "description": text,
            "remedy_sought": RemedySought.APOLOGY,
            "channel": ComplaintChannel.PORTAL,
        }
        _plan_case(timeline, filed, fields, steps)
    for member, rating, text, submitted, approved in [
        (members[0], 5, "The best coffee on the street and they know my order by heart.", 40, 39),
        (members[6], 5, "Cosy place, kind staff, and the points add up fast.", 25, 24),
        (members[7], 4, "Great pastries. Wish they opened earlier on Sundays!", 11, 10),
        (members[2], 3, "Good, but the queue at lunch is long.", 1, None),
    ]:
        testimonial = SimpleNamespace()
        timeline.add(
            days_ago(now, submitted, 20, 15), _testimonial, testimonial, member, rating, text
        )
        if approved is not None:
            timeline.add(days_ago(now, approved, 9, 30), _approve, testimonial, staff)


def _plan_case(timeline, filed, fields, steps):
    """File a case at `filed`; each step (after, action, *args) acts on it that long after,
    or when the shop opens next."""
    case = SimpleNamespace()
    timeline.add(filed, _file, case, fields)
    for after, action, *args in steps:
        timeline.add(opening_hours(filed + after), action, case, *args)


def _write_reply_templates():
    for title, body in REPLY_TEMPLATES:
        ReplyTemplate.objects.get_or_create(title=title, defaults={"body": body})


def _file(case, fields):
    case.complaint = services.file_complaint(**fields)


def _acknowledge(case, staff):
    services.reply(case.complaint, REPLY_TEMPLATES[0][1], author=staff)


def _look_into_till_log(case, staff):
    services.change_status(case.complaint, ComplaintStatus.IN_PROGRESS, actor=staff)
    services.reply(
        case.complaint,
        "Checked the till log: the card was scanned but the receipt was not.",
        author=staff,
        internal=True,
    )


def _book_coaching(case, owner, staff):
    services.reply(
        case.complaint,
        "Spoke to the barista; coaching booked for Friday.",
        author=owner,
        internal=True,
    )
    services.assign(case.complaint, staff, actor=owner)


def _resolve_with_goodwill(case, staff):
    services.resolve_complaint(
        case.complaint,
        actor=staff,
        resolution_type=ComplaintResolution.GOODWILL,
        summary="We are sorry. We made it right.",
        goodwill_points=150,
    )


def _resolve_with_apology(case, staff):
    services.resolve_complaint(
        case.complaint,
        actor=staff,
        resolution_type=ComplaintResolution.APOLOGY,
        summary="We are sorry. We made it right.",
    )


def _rate_well(case):
    services.rate_handling(case.complaint, 4, "Handled well, thank you.")


def _close(case, staff):
    services.change_status(case.complaint, ComplaintStatus.CLOSED, actor=staff)


def _resolve_follow_up(case, staff):
    services.resolve_complaint(
        case.complaint,
        actor=staff,
        resolution_type=ComplaintResolution.APOLOGY,
        summary="We talked it through with the team. Sorry, and thank you for telling us.",
    )


def _testimonial(into, member, rating, text):
    into.testimonial = services.submit_testimonial(member, rating, text)


def _approve(into, staff):
    services.decide_testimonial(into.testimonial, approve=True, staff=staff)
