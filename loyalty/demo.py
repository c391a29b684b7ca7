"""Demo program data: tiers, bonus days and members with a year of realistic history.

Only `manage.py seed_demo` uses this. Purchases go through the real services; the clock is
set back for each one so histories, tiers and expiry dates look like a shop's first year.
"""

import contextlib
import datetime
import random
from decimal import Decimal
from unittest import mock

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from loyalty import services
from loyalty.models import BonusDay, Card, Program, Tier

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


@contextlib.contextmanager
def clock_at(moment):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


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


def seed_members(primary_member, staff):
    if Card.objects.filter(user=primary_member).exists():
        return
    generator = random.Random(2026)  # noqa: S311 - demo data, not a secret
    now = timezone.now()
    for index, (first, last) in enumerate(MEMBERS):
        if index == 0:
            user = primary_member
        else:
            email = f"{first.lower()}.{last.lower().replace(' ', '')}@example.com"
            email = email.replace("ä", "a").replace("ö", "o").replace("ñ", "n")
            user, _ = User.objects.get_or_create(
                email=email, defaults={"first_name": first, "last_name": last}
            )
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
        # Most members told us their birthday, long ago enough to count this year.
        if generator.random() < 0.7:
            user.birthday = datetime.date(
                generator.randint(1955, 2005), generator.randint(1, 12), generator.randint(1, 28)
            )
            user.save(update_fields=["birthday"])
        joined = now - datetime.timedelta(days=generator.randint(40, 360))
        if index in (1, 2):  # two friends joined through Maria's link
            services.record_referral(user, services.referral_code_for(primary_member).code)
        with clock_at(joined):
            card = services.issue_card(user=user)
        visits = generator.choice([2, 4, 8, 15, 25, 40, 70]) if index else 30
        days = (now - joined).days
        # Visits fall in opening hours, 8:00 to 18:00 local time.
        moments = sorted(
            timezone.localtime(joined).replace(hour=8, minute=0)
            + datetime.timedelta(days=generator.randint(1, days), minutes=generator.randint(0, 600))
            for _ in range(visits)
        )
        moments = [moment for moment in moments if moment < now]
        for number, moment in enumerate(moments, start=1):
            amount = Decimal(generator.randint(350, 4800)) / 100
            with clock_at(moment):
                services.record_purchase(
                    card,
                    amount,
                    reference=f"R{card.pk:03d}-{number:04d}",
                    staff=staff,
                    store=generator.choice(STORES),
                )


def seed_walk_in(staff):
    """One printed card not yet claimed online, to try the claim page with."""
    card = Card.objects.filter(user__isnull=True, holder_name="Demo walk-in").first()
    if card is None:
        with transaction.atomic():
            card = services.issue_card(holder_name="Demo walk-in", staff=staff, physical=True)
            services.record_purchase(card, Decimal("18.40"), reference="W-0001", staff=staff)
        card.refresh_from_db()
    return card
