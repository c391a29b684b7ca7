"""Demo program data: tiers, bonus days and members with a year of realistic history.

Only `manage.py seed_demo` uses this. What happens to members goes through the real services
on one `Timeline`: each event runs with the clock set to its moment and the events run in
time order, so every ledger line's "balance after" reads right in the history, and a
member's joining date is their first activity.

Members join all through the year, a few more each month as word gets round and most in
December, and each has a habit: regulars come back within days and about weekly, occasionals
every few weeks, lapsers for a couple of months and then no more, one-timers never again; a
few long-standing members move on. So each month's newcomers come back, and stop coming,
the way a café's do.
"""

import bisect
import contextlib
import dataclasses
import datetime
import functools
import heapq
import itertools
import operator
import random
from decimal import Decimal
from unittest import mock

from allauth.account.models import EmailAddress
from django.apps import apps
from django.db import transaction
from django.utils import timezone
from rest_framework_api_key.crypto import KeyGenerator

from accounts.models import User
from core.translations import fill_blank_texts
from loyalty import services
from loyalty.models import BonusDay, Card, CardStatus, Program, Store, Tier, TillKey

TIERS = [
    ("Bronze", 0, "1.00", "#8c5a2b", "Welcome drink on your birthday."),
    ("Silver", 500, "1.25", "#5f6b76", "A free refill with every coffee."),
    ("Gold", 1500, "1.50", "#9a7b00", "Gold-only tastings and the first taste of new cakes."),
]
# The tiers and bonus days in Filipino, Finnish and Indonesian, as (name, text).
TIER_TRANSLATIONS = {
    "Bronze": {
        "fil": ("Tanso", "Libreng inumin sa kaarawan mo."),
        "fi": ("Pronssi", "Tervetuliaisjuoma syntymäpäivänäsi."),
        "id": ("Perunggu", "Minuman gratis di hari ulang tahun Anda."),
    },
    "Silver": {
        "fil": ("Pilak", "Libreng refill sa bawat kape."),
        "fi": ("Hopea", "Ilmainen santsikuppi jokaisen kahvin kanssa."),
        "id": ("Perak", "Isi ulang gratis untuk setiap kopi."),
    },
    "Gold": {
        "fil": ("Ginto", "Tikimang para sa Ginto lang, at unang tikim ng mga bagong cake."),
        "fi": ("Kulta", "Kulta-jäsenten maistelut ja uudet kakut ensimmäisinä."),
        "id": ("Emas", "Cicip khusus Emas dan rasa pertama kue-kue baru."),
    },
}
BONUS_DAY_TRANSLATIONS = {
    "Customer appreciation day": {
        "fil": ("Araw ng pasasalamat sa suki", "Dobleng points sa 12 Disyembre"),
        "fi": ("Asiakkaiden kiitospäivä", "Tuplapisteet 12. joulukuuta"),
        "id": ("Hari apresiasi pelanggan", "Poin ganda pada 12 Desember"),
    },
    "Gold Saturdays in March": {
        "fil": (
            "Mga Sabadong Ginto sa Marso",
            "Tripleng points tuwing Sabado ng Marso para sa Ginto",
        ),
        "fi": (
            "Kultaiset maaliskuun lauantait",
            "Kolmoispisteet maaliskuun lauantaisin Kulta-jäsenille",
        ),
        "id": (
            "Sabtu Emas di bulan Maret",
            "Poin tiga kali lipat tiap Sabtu di bulan Maret untuk Emas",
        ),
    },
    "Weekend double": {
        "fil": ("Dobleng weekend", "Dobleng points ngayong Sabado"),
        "fi": ("Viikonlopun tuplat", "Tuplapisteet tänä lauantaina"),
        "id": ("Ganda akhir pekan", "Poin ganda Sabtu ini"),
    },
}
MEMBERS = [
    ("Maria", "Reyes"),
    ("Juan", "Dela Cruz"),
    ("Aino", "Korhonen"),
    ("Eero", "Mäkinen"),
    ("Siti", "Rahayu"),
    ("Budi", "Santoso"),
    ("Liza", "Garcia"),
    ("Mikko", "Nieminen"),
    ("Dewi", "Lestari"),
    ("Paolo", "Bautista"),
    ("Helmi", "Laine"),
    ("Rina", "Wijaya"),
    ("Jose", "Ramos"),
    ("Ella", "Heikkinen"),
    ("Agus", "Pratama"),
    ("Carmen", "Villanueva"),
    ("Sanna", "Lehtonen"),
    ("Putri", "Anggraini"),
    ("Miguel", "Torres"),
    ("Noora", "Salminen"),
    ("Andres", "Mendoza"),
    ("Kaisa", "Virtanen"),
    ("Wayan", "Sudarsana"),
    ("Teresa", "Aquino"),
    ("Ville", "Hämäläinen"),
    ("Ayu", "Kusuma"),
    ("Ramon", "Navarro"),
    ("Laura", "Koskinen"),
    ("Fajar", "Hidayat"),
    ("Bea", "Castillo"),
]
# The other members' names: mostly a first and last name from one of the three lists, now
# and then from two.
NAMES = {
    "Filipino": (
        "Angelica Carlo Kristine Rafael Jasmine Mark Nicole Joshua Patricia Gabriel Aileen "
        "Ramil Marites Jericho Liezl Arnel Rowena Dennis Joy Enrique Lorna Rico Jocelyn Noel",
        "Santos|Cruz|Ocampo|Mercado|Aguilar|Domingo|Gonzales|Manalo|Pascual|Salazar|Soriano|"
        "Tolentino|De Leon|Fernandez|Flores|Rivera|Magbanua|Dimaculangan|Macaraeg|Lim",
    ),
    "Finnish": (
        "Aleksi Antti Emilia Elina Heikki Iida Juha Johanna Katja Lauri Minna Olli Riikka "
        "Satu Timo Tuomas Veera Jussi Anni Päivi Marjo Oskari Tiina Kalle",
        "Järvinen|Lehtinen|Mäkelä|Hakala|Rantanen|Heinonen|Ahonen|Turunen|Salonen|Kinnunen|"
        "Leppänen|Peltonen|Savolainen|Niemi|Laitinen|Tuominen|Karjalainen|Honkanen|Aaltonen",
    ),
    "Indonesian": (
        "Adi Bayu Citra Dian Eka Fitri Gita Hendra Indah Joko Kartika Made Nur Rizky Sri "
        "Taufik Wulan Yudi Ratna Arif Intan Dimas Nanda Yoga",
        "Saputra|Setiawan|Wibowo|Nugroho|Kurniawan|Susanto|Hartono|Gunawan|Purnomo|Utami|"
        "Permana|Halim|Siregar|Nasution|Simanjuntak|Harahap|Suryadi|Wahyudi",
    ),
}
MEMBER_COUNT = 140
STORES = ["Main Street", "Harbour kiosk"]
ADDRESSES = {"Main Street": "12 Main Street", "Harbour kiosk": "Pier 3, Harbour Road"}
RECEIPT_PREFIXES = {"Main Street": "MS", "Harbour kiosk": "HK"}
OPENS, CLOSES = 8, 18  # the shop's opening hours, local time
HISTORY_DAYS = 360  # the longest-standing member, Maria, joined this many days ago
# Joining: steady, rising by this share over the year as word gets round, and this many
# times as many on a day in December (gifts, the holidays, the appreciation day).
GROWTH, DECEMBER = 0.6, 1.7
# members[:8] file the demo's cases and write its testimonials (surveys.demo): they still
# come, and joined at least this many days ago, well before those.
FEATURED, FEATURED_SINCE = 8, 60


@dataclasses.dataclass(frozen=True)
class Habit:
    """How a kind of member visits, in days after joining: the first visit back (None: never;
    else the earliest, the likeliest and the latest), their usual days between visits, and
    when they stop coming (None: they still come)."""

    name: str
    in_ten: int  # how many of every ten members who join one after another
    first_back: tuple[int, int, int] | None
    gap: tuple[int, int] = (0, 0)
    stops_after: tuple[int, int] | None = None


HABITS = [
    Habit("regular", 3, first_back=(1, 2, 7), gap=(3, 9)),
    Habit("occasional", 3, first_back=(5, 10, 90), gap=(12, 35)),
    Habit("lapser", 2, first_back=(2, 5, 20), gap=(5, 14), stops_after=(35, 100)),
    Habit("one-timer", 2, first_back=None),
]
REGULAR, OCCASIONAL = HABITS[0], HABITS[1]
MOVES_ON, MOVES_ON_AFTER = 0.2, (120, 300)  # some regulars and occasionals stop after a while
BUYS_AT_SIGN_UP = 0.75  # signed up at the till, buying there and then
USUAL_SPEND = [4.5, 6, 8, 10, 14, 18, 24, 32]  # euros: a coffee, a coffee and cake, lunch…


def _more_members(count, taken):
    """`count` more (first, last) names, the same on every run, none of them in `taken`."""
    generator = random.Random(360)  # noqa: S311 - demo data, not a secret
    pools = [(first.split(), last.split("|")) for first, last in NAMES.values()]
    names, emails = [], {_email(first, last) for first, last in taken}
    while len(names) < count:
        firsts, lasts = generator.choice(pools)
        if generator.random() < 0.2:
            lasts = generator.choice(pools)[1]
        name = generator.choice(firsts), generator.choice(lasts)
        if _email(*name) not in emails:
            emails.add(_email(*name))
            names.append(name)
    return names


@functools.cache
def _fields_defaulting_to_now():
    # A field with `default=timezone.now` holds the function itself, so patching the module
    # attribute does not reach it.
    return [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.default is timezone.now
    ]


@contextlib.contextmanager
def clock_at(moment):
    """Let everything written inside read `moment` as the time now."""
    with contextlib.ExitStack() as stack:
        for field in _fields_defaulting_to_now():
            stack.enter_context(mock.patch.object(field, "_get_default", lambda: moment))
        stack.enter_context(mock.patch("django.utils.timezone.now", return_value=moment))
        yield


def opening_hours(moment):
    """The moment if the shop is open then, else the next opening time (same minutes)."""
    local = timezone.localtime(moment)
    if local.hour < OPENS:
        return local.replace(hour=OPENS)
    if local.hour >= CLOSES:
        return (local + datetime.timedelta(days=1)).replace(hour=OPENS)
    return local


def days_ago(now, days, hour, minute=0):
    """A local time of day, `days` before now."""
    return timezone.localtime(now - datetime.timedelta(days=days)).replace(
        hour=hour, minute=minute, second=0, microsecond=0
    )


class Timeline:
    """Demo events, each run through the real services with the clock set to its moment.

    Events run in time order (in the order added when two share a moment), whichever app
    planned them; an event may plan later ones. Events planned for now or later never happen."""

    def __init__(self, now=None):
        self.now = now or timezone.now()
        self._events = []
        self._order = itertools.count()
        self._running_at = None

    def add(self, moment, action, *args):
        if self._running_at is not None and moment < self._running_at:
            raise ValueError(f"{action.__name__} at {moment} is earlier than the running event")
        if moment < self.now:
            heapq.heappush(self._events, (moment, next(self._order), action, args))

    def run(self):
        while self._events:
            moment, _order, action, args = heapq.heappop(self._events)
            self._running_at = moment
            with clock_at(moment):
                action(*args)
        self._running_at = None


@dataclasses.dataclass(frozen=True)
class Visit:
    """A planned purchase: who, when, where, how much, and the receipt number."""

    user: User
    moment: datetime.datetime
    store: str
    amount: Decimal
    reference: str = ""


def seed_branches():
    """The café's two branches: the shop's first branch becomes Main Street."""
    first = Store.objects.order_by("pk").first()
    if first is not None and first.name == "Main branch" and not first.lines.exists():
        first.name, first.address = STORES[0], ADDRESSES[STORES[0]]
        first.save()
    for name in STORES:
        Store.objects.get_or_create(name=name, defaults={"address": ADDRESSES[name]})


# The demo shop's till key, so examples/till.py works against `make run` with nothing to copy.
# A real shop's keys are made in the admin (Till keys), random and shown once.
DEMO_TILL_KEY = "sukidemo.till-key-of-the-demo-shop-only-2026"


def seed_till_key() -> str:
    """The Main Street till's key, with every scope; made once, kept as a hash like any key."""
    prefix = DEMO_TILL_KEY.partition(".")[0]
    if not TillKey.objects.filter(prefix=prefix).exists():
        hashed = KeyGenerator().hash(DEMO_TILL_KEY)
        TillKey.objects.create(
            id=f"{prefix}.{hashed}",
            prefix=prefix,
            hashed_key=hashed,
            name="Main Street till (demo)",
            store=Store.objects.get(name=STORES[0]),
        )
    return DEMO_TILL_KEY


def seed_program(staff):
    seed_branches()
    program = Program.current()
    if not program.retention_years:
        # The demo shop keeps a member's data for three years without a visit.
        Program.objects.filter(pk=program.pk).update(retention_years=3)
    for name, threshold, multiplier, colour, benefits in TIERS:
        Tier.objects.get_or_create(
            name=name,
            defaults={
                "threshold": threshold,
                "multiplier": Decimal(multiplier),
                "colour": colour,
                "benefits": benefits,
            },
        )
    today = timezone.localdate()
    gold = Tier.objects.get(name="Gold")
    saturday = today + datetime.timedelta(days=(5 - today.weekday()) % 7)
    bonus_days = [
        {
            "name": "Customer appreciation day",
            "message": "Double points on 12 December",
            "starts_on": datetime.date(today.year, 12, 12),
            "ends_on": datetime.date(today.year, 12, 12),
            "multiplier": Decimal("2"),
        },
        {
            "name": "Gold Saturdays in March",
            "message": "Triple points on Saturdays in March for Gold",
            "starts_on": datetime.date(today.year + 1, 3, 1),
            "ends_on": datetime.date(today.year + 1, 3, 31),
            "weekdays": [5],
            "multiplier": Decimal("3"),
            "minimum_tier": gold,
        },
        {
            "name": "Weekend double",
            "message": "Double points this Saturday",
            "starts_on": saturday,
            "ends_on": saturday,
            "multiplier": Decimal("2"),
        },
    ]
    for fields in bonus_days:
        BonusDay.objects.get_or_create(name=fields.pop("name"), defaults=fields)
    translate_program()
    return program


def translate_program():
    """The demo's tiers and bonus days in every language, where a text is still blank."""
    fill_blank_texts(Tier, ("name", "benefits"), TIER_TRANSLATIONS)
    fill_blank_texts(BonusDay, ("name", "message"), BONUS_DAY_TRANSLATIONS)


def _email(first, last):
    email = f"{first.lower()}.{last.lower().replace(' ', '')}@example.com"
    return email.replace("ä", "a").replace("ö", "o").replace("ñ", "n")


MEMBERS += _more_members(MEMBER_COUNT - len(MEMBERS), taken=MEMBERS)


def member_emails(primary_member):
    return [primary_member.email] + [_email(first, last) for first, last in MEMBERS[1:]]


def history_exists(primary_member):
    """Whether the members' history was seeded before (it is seeded once, never added to)."""
    return Card.objects.filter(user__email__in=member_emails(primary_member)).exists()


def plan_members(timeline, primary_member, staff):
    """Plan each member's sign-up and visits up to now; return the members (Maria first)
    and the visits in time order, each with its store's next receipt number."""
    generator = random.Random(2026)  # noqa: S311 - demo data, not a secret
    now = timeline.now
    members, visits = [], []
    # Maria has been a member the longest; two friends joined later through her link.
    joining = [HISTORY_DAYS, *_joining_days(generator, now, len(MEMBERS) - 1)]
    habits = _habits(generator, joining)
    for index, (first, last) in enumerate(MEMBERS):
        joined = days_ago(
            now, joining[index], generator.randint(OPENS, CLOSES - 1), generator.randint(0, 59)
        )
        # Most members told us their birthday, long ago enough to count this year.
        birthday = None
        if generator.random() < 0.7:
            birthday = datetime.date(
                generator.randint(1955, 2005), generator.randint(1, 12), generator.randint(1, 28)
            )
        if index == 0:
            user = primary_member
        else:
            email = _email(first, last)
            user, _created = User.objects.get_or_create(
                email=email, defaults={"first_name": first, "last_name": last}
            )
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
        User.objects.filter(pk=user.pk).update(date_joined=joined, birthday=birthday)
        members.append(user)
        referred_by = primary_member if index in (1, 2) else None
        timeline.add(joined, _sign_up, user, referred_by)
        usual = Decimal(str(generator.choice(USUAL_SPEND)))
        their_shop = generator.choices(STORES, weights=[7, 3])[0]
        moments = _visit_moments(
            generator, habits[index], joined, now, keep_coming=index < FEATURED
        )
        for moment in moments:
            amount = (usual * Decimal(generator.uniform(0.6, 1.6))).quantize(Decimal("0.01"))
            store = their_shop if generator.random() < 0.85 else generator.choice(STORES)
            visits.append(Visit(user, moment, store, max(amount, Decimal("2.50"))))
    visits = _number_receipts(
        sorted((v for v in visits if v.moment < now), key=operator.attrgetter("moment"))
    )
    for visit in visits:
        timeline.add(visit.moment, _purchase, visit, staff)
    return members, visits


def _joining_days(generator, now, count):
    """How many days ago each of `count` members joined, in random order: spread over the
    year in proportion to how busy each day was (see GROWTH and DECEMBER)."""
    days = range(1, HISTORY_DAYS)
    weights = [
        (1 + GROWTH * (HISTORY_DAYS - day) / HISTORY_DAYS)
        * (DECEMBER if timezone.localtime(now - datetime.timedelta(days=day)).month == 12 else 1)
        for day in days
    ]
    # One member in each equal share of the year's weight, at a random place within it, so
    # the months follow the shape closely.
    cumulative = list(itertools.accumulate(weights))
    chosen = [
        days[bisect.bisect_left(cumulative, (number + generator.random()) / count * cumulative[-1])]
        for number in range(count)
    ]
    generator.shuffle(chosen)
    # The featured members after Maria joined well before their cases and testimonials.
    early = [day for day in chosen if day >= FEATURED_SINCE][: FEATURED - 1]
    for day in early:
        chosen.remove(day)
    return early + chosen


def _habits(generator, joining):
    """Each member's habit (`joining`: how many days ago each joined): in every ten members
    who joined one after another, `Habit.in_ten` of each, so every month has its regulars
    and its one-timers. The featured members (Maria first) still come."""
    habits = [None] * len(joining)
    order = sorted(range(FEATURED, len(joining)), key=lambda index: -joining[index])
    for start in range(0, len(order), 10):
        block = [habit for habit in HABITS for _ in range(habit.in_ten)]
        generator.shuffle(block)
        for index, habit in zip(order[start : start + 10], block, strict=False):
            habits[index] = habit
    for index in range(FEATURED):
        habits[index] = REGULAR if index in (0, 2, 3, 6) else OCCASIONAL
    return habits


def _visit_moments(generator, habit, joined, now, *, keep_coming=False):
    """When a member with `habit` who joined at `joined` buys something, up to now: perhaps at
    sign-up, then from their first visit back about every usual gap, at about their usual
    hour, until they stop coming."""
    moments = []
    if generator.random() < BUYS_AT_SIGN_UP:
        moments.append(joined + datetime.timedelta(minutes=generator.randint(2, 15)))
    if habit.first_back is None:
        return moments
    until = now
    if habit.stops_after is not None:
        until = joined + datetime.timedelta(days=generator.randint(*habit.stops_after))
    elif not keep_coming and generator.random() < MOVES_ON:
        until = joined + datetime.timedelta(days=generator.randint(*MOVES_ON_AFTER))
    gap = generator.uniform(*habit.gap)
    hour = generator.randint(OPENS, CLOSES - 1)
    opening = timezone.localtime(joined).replace(hour=OPENS, minute=0, second=0, microsecond=0)
    earliest, likeliest, latest = habit.first_back
    day = round(generator.triangular(earliest, latest, likeliest))
    while True:
        at = min(max(hour + generator.randint(-1, 1), OPENS), CLOSES - 1)
        moment = opening + datetime.timedelta(
            days=day, hours=at - OPENS, minutes=generator.randint(0, 59)
        )
        if moment >= min(until, now):
            return moments
        moments.append(moment)
        day += max(1, round(gap * generator.uniform(0.5, 1.5)))


def _number_receipts(visits):
    # Each till numbers its receipts in order, so a receipt number is never on two cards.
    numbers = {store: itertools.count(1001) for store in STORES}
    return [
        dataclasses.replace(
            visit, reference=f"{RECEIPT_PREFIXES[visit.store]}-{next(numbers[visit.store])}"
        )
        for visit in visits
    ]


def _sign_up(user, referred_by):
    if referred_by is not None:
        services.record_referral(user, services.referral_code_for(referred_by).code)
    services.issue_card(user=user)


def _purchase(visit, staff):
    card = Card.objects.get(user=visit.user, status=CardStatus.ACTIVE)
    store = Store.objects.get(name=visit.store)
    services.record_purchase(
        card, visit.amount, reference=visit.reference, staff=staff, store=store
    )


def seed_walk_in(staff):
    """One printed card not yet claimed online, to try the claim page with; once claimed it
    stays the walk-in card, so the next run issues no other."""
    card = Card.objects.filter(holder_name="Demo walk-in").order_by("pk").first()
    if card is None:
        with transaction.atomic():
            card = services.issue_card(holder_name="Demo walk-in", staff=staff, physical=True)
            services.record_purchase(card, Decimal("18.40"), reference="W-0001", staff=staff)
        card.refresh_from_db()
    return card
