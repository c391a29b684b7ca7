"""Demo program data: tiers, bonus days and members with a year of realistic history.

Only `manage.py seed_demo` uses this. What happens to members goes through the real services
on one `Timeline`: each event runs with the clock set to its moment and the events run in
time order, so every ledger line's "balance after" reads right in the history, and a
member's joining date is their first activity.
"""

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

from accounts.models import User
from loyalty import services
from loyalty.models import BonusDay, Card, CardStatus, Program, Tier

TIERS = [
    ("Bronze", 0, "1.00", "#8c5a2b", "Welcome drink on your birthday."),
    ("Silver", 500, "1.25", "#5f6b76", "A free refill with every coffee."),
    ("Gold", 1500, "1.50", "#9a7b00", "Gold-only tastings and the first taste of new cakes."),
]
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
STORES = ["Main Street", "Harbour kiosk"]
RECEIPT_PREFIXES = {"Main Street": "MS", "Harbour kiosk": "HK"}
OPENS, CLOSES = 8, 18  # the shop's opening hours, local time
HISTORY_DAYS = 360  # the longest-standing member, Maria, joined this many days ago


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


def seed_program(staff):
    program = Program.current()
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
    return program


def _email(first, last):
    email = f"{first.lower()}.{last.lower().replace(' ', '')}@example.com"
    return email.replace("ä", "a").replace("ö", "o").replace("ñ", "n")


def member_emails(primary_member):
    return [primary_member.email] + [_email(first, last) for first, last in MEMBERS[1:]]


def history_exists(primary_member):
    """Whether the members' history was seeded before (it is seeded once, never added to)."""
    return Card.objects.filter(user__email__in=member_emails(primary_member)).exists()


def plan_members(timeline, primary_member, staff):
    """Plan each member's sign-up and a year of visits; return the members (Maria first)
    and the visits in time order, each with its store's next receipt number."""
    generator = random.Random(2026)  # noqa: S311 - demo data, not a secret
    now = timeline.now
    members, visits = [], []
    for index, (first, last) in enumerate(MEMBERS):
        # Maria has been a member the longest; two friends joined later through her link.
        days = HISTORY_DAYS if index == 0 else generator.randint(40, HISTORY_DAYS - 20)
        joined = days_ago(now, days, generator.randint(OPENS, CLOSES - 1), generator.randint(0, 59))
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
        count = generator.choice([2, 4, 8, 15, 25, 40, 70]) if index else 30
        moments = []
        if generator.random() < 0.6:  # signed up at the till, buying there and then
            moments.append(joined + datetime.timedelta(minutes=generator.randint(2, 15)))
        # Visits fall in opening hours.
        opening = timezone.localtime(joined).replace(hour=OPENS, minute=0)
        moments += [
            opening
            + datetime.timedelta(
                days=generator.randint(1, days),
                minutes=generator.randint(0, (CLOSES - OPENS) * 60),
            )
            for _ in range(count - len(moments))
        ]
        for moment in moments:
            amount = Decimal(generator.randint(350, 4800)) / 100
            visits.append(Visit(user, moment, generator.choice(STORES), amount))
    visits = _number_receipts(
        sorted((v for v in visits if v.moment < now), key=operator.attrgetter("moment"))
    )
    for visit in visits:
        timeline.add(visit.moment, _purchase, visit, staff)
    return members, visits


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
    services.record_purchase(
        card, visit.amount, reference=visit.reference, staff=staff, store=visit.store
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
