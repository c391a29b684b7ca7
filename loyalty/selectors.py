"""Read-only questions about cards and points. Nothing here writes."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import CharField, F, Func, QuerySet, Sum, Value
from django.db.models.functions import Replace
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from core.dates import shift_months
from core.inputs import DIGITS
from loyalty import cardnumbers
from loyalty.exceptions import CardNotActive, CardNotFound, InvalidCardNumber
from loyalty.models import (
    EARNING_KINDS,
    BonusDay,
    Card,
    CardStatus,
    Kind,
    PointTransaction,
    Program,
    RetiredCardNumber,
    Tier,
)


def member_card(user) -> Card | None:
    return (
        Card.objects.filter(user=user, status__in=[CardStatus.ACTIVE, CardStatus.BLOCKED])
        .select_related("tier")
        .order_by("status", "-pk")
        .first()
    )


def card_history(user) -> QuerySet[PointTransaction]:
    """Every ledger line of every card the member has held, newest first."""
    return PointTransaction.objects.filter(card__user=user).select_related("card", "store")


def card_by_number(text: str) -> Card:
    """The card a scanner or a person typed. Raises a domain error saying what is wrong."""
    number = cardnumbers.normalise(text)
    if not cardnumbers.is_valid(number):
        raise InvalidCardNumber
    card = Card.objects.select_related("tier", "user").filter(number=number).first()
    if card is not None:
        if card.status == CardStatus.REPLACED:
            raise CardNotActive(_replaced_message(card))
        if card.status == CardStatus.CLOSED:
            raise CardNotActive(_("This card was closed when its holder's data was erased."))
        return card
    retired = RetiredCardNumber.objects.select_related("card").filter(number=number).first()
    if retired is not None:
        raise CardNotActive(_retired_message(retired.retired_at, retired.card.formatted_number))
    raise CardNotFound


def _retired_message(when, new_number):
    return _(
        "This card number was replaced on %(date)s and no longer works. "
        "The member's card is now %(number)s."
    ) % {"date": date_format(timezone.localtime(when), "SHORT_DATE_FORMAT"), "number": new_number}


def _replaced_message(card):
    if card.replaced_by_id:
        return _(
            "This card was replaced and no longer works. The member's card is now %(number)s."
        ) % {"number": card.replaced_by.formatted_number}
    return _("This card was replaced and no longer works.")


# A member's whole name as one text ("Rina Holmkoski"), as the trigram index of migration
# accounts 0006 holds it.
FULL_NAME = Func(
    F("first_name"),
    Value(" "),
    F("last_name"),
    template="(%(expressions)s)",
    arg_joiner=" || ",
    output_field=CharField(),
)


SEARCH_MIN_LENGTH = 2  # characters; fewer would match nearly every member


def search_cards(text: str, *, limit: int = 20) -> list[Card]:
    """Cards whose holder matches a name, e-mail or phone typed at the counter.

    What was typed, as a whole, is looked for first in the member's whole name, e-mail and
    phone and in the name and e-mail a card was enrolled with ("Rina Holmkoski", "000 0711").
    When that finds nothing, every word must be in one of them ("Holmkoski Rina").

    Each term finds its cards through one query per column, so that PostgreSQL answers each
    from its trigram index (migrations accounts 0005 and 0006, loyalty 0012) instead of
    reading every card of the shop; a whole name or phone found as typed is a few rows of
    an index however many members share its first name or digits."""
    words = text.split()
    if not words or len(text.strip()) < SEARCH_MIN_LENGTH:
        return []
    cards = Card.objects.exclude(status__in=[CardStatus.REPLACED, CardStatus.CLOSED])
    if len(words) > 1:
        found = _first(cards.filter(pk__in=_card_ids(" ".join(words), whole=True)), limit)
        if found:
            return found
    for word in words:
        cards = cards.filter(pk__in=_card_ids(word))
    return _first(cards, limit)


def _card_ids(term: str, *, whole: bool = False):
    """The ids of cards whose member or enrolment details contain `term`, one branch per
    column (one OR over the columns would have PostgreSQL read the whole table); `whole`
    looks in the member's whole name too."""
    members = User.objects.annotate(full_name=FULL_NAME) if whole else User.objects
    columns = ("first_name", "last_name", "email", "phone", *(("full_name",) if whole else ()))
    first, *others = (
        members.filter(**{f"{column}__icontains": term}).values("pk") for column in columns
    )
    return (
        Card.objects.filter(user__in=first.union(*others))
        .values("pk")
        .union(
            Card.objects.filter(holder_name__icontains=term).values("pk"),
            Card.objects.filter(holder_email__icontains=term).values("pk"),
        )
    )


def _first(cards, limit: int) -> list[Card]:
    return list(
        cards.select_related("user", "tier").order_by("user__first_name", "holder_name", "pk")[
            :limit
        ]
    )


def applicable_bonus_days(tier: Tier | None, day: datetime.date) -> list[BonusDay]:
    """The bonus days that apply to a purchase by a member in `tier` on `day`."""
    days = BonusDay.objects.filter(
        is_active=True, starts_on__lte=day, ends_on__gte=day
    ).select_related("minimum_tier")
    return [bonus_day for bonus_day in days if bonus_day.applies_to(tier, day)]


def active_bonus_days(
    tier: Tier | None,
    today: datetime.date,
    *,
    days_ahead: int = 14,
    candidates: list[BonusDay] | None = None,
):
    """Bonus days running today or in the next two weeks that this tier can use; among
    `candidates` (the cached ones, `loyalty.rules`) when given, else from the database."""
    horizon = today + datetime.timedelta(days=days_ahead)
    if candidates is None:
        candidates = BonusDay.objects.filter(
            is_active=True, starts_on__lte=horizon, ends_on__gte=today
        ).select_related("minimum_tier")
    found = []
    for bonus_day in candidates:
        next_day = next(
            (
                today + datetime.timedelta(days=offset)
                for offset in range(days_ahead + 1)
                if bonus_day.applies_to(tier, today + datetime.timedelta(days=offset))
            ),
            None,
        )
        if next_day is not None:
            found.append((next_day, bonus_day))
    return [bonus_day for _day, bonus_day in sorted(found, key=lambda pair: pair[0])]


@dataclass
class TierProgress:
    tier: Tier | None
    next_tier: Tier | None
    earned: int
    points_to_next: int
    percent: int


def earned_points(card: Card, *, since: datetime.datetime) -> int:
    """Points earned (not spent, refunded or moved) since a moment, on every card the member
    has held, so a claimed card keeps the tier earned on the digital one."""
    lines = PointTransaction.objects.filter(kind__in=EARNING_KINDS, created_at__gte=since)
    lines = lines.filter(card__user=card.user_id) if card.user_id else lines.filter(card=card)
    return lines.aggregate(total=Sum("points"))["total"] or 0


def tier_progress(card: Card, program: Program, tiers: list[Tier]) -> TierProgress:
    earned = earned_points(card, since=shift_months(timezone.now(), -program.tier_window_months))
    current = card.tier
    higher = [t for t in tiers if current is None or t.threshold > current.threshold]
    next_tier = higher[0] if higher else None
    if next_tier is None:
        return TierProgress(current, None, earned, 0, 100)
    floor = current.threshold if current else 0
    span = max(next_tier.threshold - floor, 1)
    percent = max(0, min(100, int((earned - floor) * 100 / span)))
    return TierProgress(current, next_tier, earned, max(next_tier.threshold - earned, 0), percent)


def expiry_date(card: Card, program: Program) -> datetime.date | None:
    """When the balance expires if nothing happens on the card before then."""
    if not program.expiry_months or card.balance <= 0 or card.last_activity_at is None:
        return None
    return shift_months(timezone.localtime(card.last_activity_at), program.expiry_months).date()


def reversible(lines) -> set[int]:
    """Ids of the purchases among these lines that have not been reversed yet."""
    ids = [line.pk for line in lines if line.kind == Kind.PURCHASE]
    reversed_ids = set(
        PointTransaction.objects.filter(reversal_of__in=ids).values_list("reversal_of", flat=True)
    )
    return set(ids) - reversed_ids


def ledger_mismatches(limit: int | None = None) -> list[Card]:
    """Cards whose cached balance differs from the sum of their ledger lines, or from what
    their last line says, in order of id; at most `limit` of them.

    One aggregated pass over the ledger (each card's sum and last line's id, grouped), joined
    to the cards and to each last line by its primary key, rather than a sum per card. Each
    card comes with `ledger_total` and `last_balance_after`."""
    card = Card._meta.db_table
    line = PointTransaction._meta.db_table
    # The table names come from the models, never from input.
    sql = f"""
        SELECT card.*, COALESCE(totals.total, 0) AS ledger_total,
               last_line.balance_after AS last_balance_after
        FROM {card} card
        LEFT JOIN (
            SELECT card_id, SUM(points) AS total, MAX(id) AS last_id
            FROM {line} GROUP BY card_id
        ) totals ON totals.card_id = card.id
        LEFT JOIN {line} last_line ON last_line.id = totals.last_id
        WHERE card.balance <> COALESCE(totals.total, 0)
           OR (totals.last_id IS NOT NULL AND card.balance <> last_line.balance_after)
        ORDER BY card.id
    """  # noqa: S608
    params = []
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    return list(Card.objects.raw(sql, params))


def payment_steps(balance: int, program: Program, *, limit: int = 40) -> list[tuple[int, Decimal]]:
    """The point amounts staff may take as money off a bill, with their value in money."""
    step = program.pay_with_points_step
    return [
        (points, points * program.point_value) for points in range(step, max(balance, 0) + 1, step)
    ][:limit]


PHONE_PUNCTUATION = " -()+"


def cards_by_phone(text: str, *, limit: int = 20) -> list[Card]:
    """Cards of members whose phone number is this one, comparing the digits only (a member
    types "+358 40 123 4567", a till sends "358401234567"). Fewer than five digits match nothing,
    as the portal refuses such numbers."""
    digits = "".join(char for char in text if char in DIGITS)
    if len(digits) < 5 or len(digits) > 32:
        return []
    phone = F("user__phone")
    for char in PHONE_PUNCTUATION:
        phone = Replace(phone, Value(char), Value(""))
    return list(
        Card.objects.annotate(phone_digits=phone)
        .filter(phone_digits=digits)
        .exclude(status__in=[CardStatus.REPLACED, CardStatus.CLOSED])
        .select_related("user", "tier")
        .order_by("status", "pk")[:limit]
    )
