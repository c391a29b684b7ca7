"""The only writers of points, balances, tiers and card status.

Every function here runs in one `transaction.atomic()` block and locks the card rows it
decides on (`select_for_update`, in primary-key order) before reading their balance, so two
tills, two browser tabs or two machines can never interleave a change. Each ledger line
carries the balance after it; `Card.balance` always equals the sum of the card's lines
(`manage.py check_ledger` proves it). E-mails and other side effects run on commit.
"""

from __future__ import annotations

import calendar
import datetime
import logging
import secrets
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import emails
from accounts.models import User
from accounts.roles import is_owner
from core.dates import next_birthday, shift_months
from core.emails import send as send_email
from core.privacy import mentions, scrub
from core.translations import default_text
from loyalty import cardnumbers, events, stamps
from loyalty.exceptions import (
    AlreadyClaimed,
    AlreadyReversed,
    BranchClosed,
    CardNotActive,
    CardNumberTaken,
    ClaimFailed,
    ClaimLocked,
    EmailTaken,
    InsufficientPoints,
    InvalidAmount,
    InvalidCardNumber,
    InvalidPoints,
    LoyaltyError,
    MissingReason,
    MissingReference,
    NotAllowed,
    NotReversible,
    ReceiptUsedOnAnotherCard,
)
from loyalty.models import (
    BONUS_KINDS,
    EARNING_KINDS,
    BonusDay,
    Card,
    CardEvent,
    CardEventKind,
    CardStatus,
    DailyRun,
    IdempotentRequest,
    Kind,
    PointTransaction,
    Program,
    Referral,
    ReferralCode,
    ReferralStatus,
    RetiredCardNumber,
    Store,
    Tier,
    TierChange,
)
from loyalty.selectors import applicable_bonus_days, earned_points
from webhooks.models import Event
from webhooks.services import emit

MAX_FAILED_CLAIMS = 5


def lock_cards(*cards: Card | int, related: tuple[str, ...] = ()) -> list[Card]:
    """Lock the given cards (or card ids) for the current transaction and return them fresh,
    in the order given. The only place a card row is locked: every app that decides on a
    balance calls it. Rows are locked in ascending primary key order, so two services locking
    the same cards can never deadlock; lock a card before any other row (reward, voucher, case).
    `related` are forward relations to load with the cards (`"tier"`, `"user"`); only the card
    row itself is locked, since PostgreSQL cannot lock the nullable side of an outer join."""
    ids = [card if isinstance(card, int) else card.pk for card in cards]
    rows = (
        Card.objects.select_for_update(of=("self",))
        .select_related(*related)
        .filter(pk__in=ids)
        .order_by("pk")
    )
    locked = {card.pk: card for card in rows}
    return [locked[pk] for pk in ids]


def lock_member_card(user) -> Card | None:
    """Lock and return the member's active card (None without one); see `lock_cards`."""
    if user is None:
        return None
    card_id = (
        Card.objects.filter(user=user, status=CardStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if card_id is None:
        return None
    (card,) = lock_cards(card_id)
    return card if card.status == CardStatus.ACTIVE else None


# Helpers: each expects a card already locked by the calling service. ------------------


def _write(card: Card, kind: str, points: int, *, source=None, **fields) -> PointTransaction:
    """Append one ledger line to a locked card and move its cached balance with it."""
    card.balance += points
    card.last_activity_at = timezone.now()
    if source is not None:
        fields["source_type"] = ContentType.objects.get_for_model(source)
        fields["source_id"] = source.pk
    line = PointTransaction.objects.create(
        card=card, kind=kind, points=points, balance_after=card.balance, **fields
    )
    Card.objects.filter(pk=card.pk).update(
        balance=card.balance, last_activity_at=card.last_activity_at
    )
    return line


def _require_active(card: Card) -> None:
    if card.status != CardStatus.ACTIVE:
        raise CardNotActive


def _promote(
    card: Card, program: Program, tiers: list[Tier] | None = None, *, earned: int | None = None
) -> TierChange | None:
    """Move a locked card up at once when its earnings in the window reach a higher tier.
    `earned` is those earnings when the caller has read them already."""
    if earned is None:
        since = shift_months(timezone.now(), -program.tier_window_months)
        earned = earned_points(card, since=since)
    tiers = tiers if tiers is not None else list(Tier.objects.order_by("threshold"))
    current = next((tier for tier in tiers if tier.pk == card.tier_id), None)
    best = next((tier for tier in reversed(tiers) if tier.threshold <= earned), None)
    if best is None or (current is not None and best.threshold <= current.threshold):
        return None
    change = TierChange.objects.create(
        card=card, from_tier=current, to_tier=best, reason=f"{earned} points earned"
    )
    card.tier = best
    Card.objects.filter(pk=card.pk).update(tier=best, tier_warned_at=None)
    emit(Event.TIER_CHANGED, lambda: events.tier_changed(change))
    if card.user_id and current is not None:
        emails.send_to_member("tier_up", card.user, {"card": card, "tier": best})
    return change


def purchase_points(
    amount: Decimal, *, program: Program, tier: Tier | None, bonus_days: list[BonusDay]
) -> tuple[int, BonusDay | None, BonusDay | None]:
    """floor(amount × rate × tier multiplier × best bonus-day multiplier) + best flat bonus."""
    tier_multiplier = tier.multiplier if tier is not None else Decimal("1")
    by_multiplier = max(bonus_days, key=lambda b: b.multiplier, default=None)
    by_flat = max(bonus_days, key=lambda b: b.flat_bonus, default=None)
    multiplier = by_multiplier.multiplier if by_multiplier is not None else Decimal("1")
    raw = amount * program.points_per_unit * tier_multiplier * multiplier
    points = int(raw.to_integral_value(rounding=ROUND_FLOOR))
    flat = by_flat.flat_bonus if by_flat is not None else 0
    return (
        points + flat,
        by_multiplier if multiplier > 1 else None,
        by_flat if flat > 0 else None,
    )


def clean_amount(amount, program: Program) -> Decimal:
    try:
        amount = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except (InvalidOperation, ValueError) as error:
        raise InvalidAmount(_("Enter the amount as a number, like 12.50.")) from error
    if not amount.is_finite() or amount <= 0:
        raise InvalidAmount
    if amount >= program.purchase_ceiling:
        raise InvalidAmount(
            _("The amount must be below %(ceiling)s.") % {"ceiling": program.purchase_ceiling}
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidAmount(_("Enter the amount with at most two decimals."))
    return amount


# Cards ------------------------------------------------------------------------------------


def _unused_number() -> str:
    while True:
        number = cardnumbers.random_number()
        taken = (
            Card.objects.filter(number=number).exists()
            or RetiredCardNumber.objects.filter(number=number).exists()
        )
        if not taken:
            return number


@transaction.atomic
def issue_card(
    *,
    user=None,
    holder_name: str = "",
    holder_email: str = "",
    staff=None,
    physical: bool = False,
    till_key=None,
) -> Card:
    """Issue a new card with the sign-up bonus: digital for an online sign-up, printed with a
    claim PIN for a walk-in at the counter. A member holds one active card at a time."""
    if user is not None:
        existing = Card.objects.filter(user=user, status=CardStatus.ACTIVE).first()
        if existing is not None:
            return existing
    card = Card.objects.create(
        number=_unused_number(),
        user=user,
        is_physical=physical,
        holder_name=holder_name.strip(),
        holder_email=holder_email.strip().lower(),
        claim_pin=cardnumbers.random_pin() if physical and user is None else "",
        claimed_at=timezone.now() if user is not None else None,
        issued_by=staff,
    )
    program = Program.current()
    (card,) = lock_cards(card)
    if program.signup_bonus:
        _write(card, Kind.SIGNUP_BONUS, program.signup_bonus, created_by=staff, till_key=till_key)
    _promote(card, program)
    emit(Event.MEMBER_JOINED, lambda: events.member_joined(card))
    return card


@transaction.atomic
def import_member(
    *,
    number: str = "",
    holder_name: str = "",
    holder_email: str = "",
    holder_phone: str = "",
    holder_birthday: datetime.date | None = None,
    email_consent: bool = False,
    opening_balance: int = 0,
    tier: Tier | None = None,
    staff,
    tiers: list[Tier] | None = None,
) -> Card:
    """Bring a member over from the shop's previous system, on an owner's word, as a printed
    card with a claim PIN. The card keeps its printed number when one is given (valid, and no
    card has or had it) or gets a new one. Its points start with one opening-balance line, which
    takes the place of the sign-up bonus and counts towards no tier; the tier is the one given,
    else the one a new member starts in, recorded as a tier change either way. The holder is
    invited by e-mail to claim the card online only when there is an address and they agreed to
    be e-mailed. An e-mail address belongs to one person: one already on a member or a card is
    refused. What only a whole file shows (a row twice, a row imported before) is for
    `loyalty.imports` to find; `tiers` spares it a query per row."""
    if staff is None or not is_owner(staff):
        raise NotAllowed
    if isinstance(opening_balance, bool) or not isinstance(opening_balance, int):
        raise InvalidPoints(_("An opening balance is a whole number of points."))
    if opening_balance < 0:
        raise InvalidPoints(_("An opening balance cannot be negative."))
    number = cardnumbers.normalise(number or "")
    holder_email = (holder_email or "").strip().lower()
    if number and not cardnumbers.is_valid(number):
        raise InvalidCardNumber
    # Addresses are compared as stored, lower-case, so the indexes answer: a file of thousands
    # of rows must not scan every member once per row.
    clash = Q(number=number) if number else Q()
    if holder_email:
        clash |= Q(holder_email=holder_email)
    if number or holder_email:
        found = set(Card.objects.filter(clash).values_list("number", flat=True)[:2])
        if number in found or (number and RetiredCardNumber.objects.filter(number=number).exists()):
            raise CardNumberTaken
        if found or (holder_email and User.objects.filter(email=holder_email).exists()):
            raise EmailTaken
    reason = "Imported from the previous system"
    if tier is None:
        # What `_promote` finds for a card that has earned nothing yet: the opening balance was
        # earned in the previous system and counts towards no tier here.
        tiers = tiers if tiers is not None else list(Tier.objects.order_by("threshold"))
        tier = next((tier for tier in reversed(tiers) if tier.threshold <= 0), None)
        reason = "0 points earned"
    # A card made in this transaction is seen by no other until it commits: nothing to lock.
    card = Card.objects.create(
        number=number or _unused_number(),
        is_physical=True,
        holder_name=holder_name.strip(),
        holder_email=holder_email,
        holder_phone=holder_phone.strip(),
        holder_birthday=holder_birthday,
        holder_email_consent=email_consent,
        imported_at=timezone.now(),
        claim_pin=cardnumbers.random_pin(),
        tier=tier,
        issued_by=staff,
    )
    if opening_balance:
        _write(
            card,
            Kind.OPENING_BALANCE,
            opening_balance,
            created_by=staff,
            note="Balance brought over from the previous system",
        )
    if tier is not None:
        change = TierChange.objects.create(card=card, from_tier=None, to_tier=tier, reason=reason)
        emit(Event.TIER_CHANGED, lambda: events.tier_changed(change))
    _record_event(card, CardEventKind.IMPORTED, staff=staff)
    emit(Event.MEMBER_JOINED, lambda: events.member_joined(card))
    if holder_email and email_consent:
        send_email(
            "claim_invitation",
            holder_email,
            {
                "card": card,
                "name": card.holder_name,
                "claim_url": settings.SITE_URL + reverse("claim_card"),
                "signup_url": settings.SITE_URL + reverse("account_signup"),
            },
        )
    return card


@dataclass(frozen=True)
class PurchaseRecorded:
    """What `record_purchase` did: the receipt's purchase line, and whether this call wrote it."""

    line: PointTransaction
    created: bool
    # What the purchase did on each stamp card it earned stamps on (`loyalty.stamps.Stamped`).
    stamps: tuple = ()


# Our own first key for PostgreSQL advisory locks, so the receipt locks meet no other use.
RECEIPT_LOCK_NAMESPACE = 7_410_001


def _lock_receipt(store: Store, reference: str) -> None:
    """Hold a branch's receipt number until the transaction ends, so two tills recording it on
    two cards at once take turns. A receipt no card has used yet has no row to lock, so this is
    a PostgreSQL advisory lock keyed on branch and number (a hash collision only makes two
    receipts wait for each other). SQLite, for development, has no such lock; the rule holds
    under concurrency on PostgreSQL."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
            [RECEIPT_LOCK_NAMESPACE, f"{store.pk}:{reference}"],
        )


def branch_for(store: Store | None) -> Store:
    """The branch a sale is recorded in: the one named, else the shop's main branch. A closed
    branch records nothing new."""
    store = store if store is not None else Store.main()
    if not store.is_open:
        raise BranchClosed(
            _("%(branch)s is closed and records nothing new.") % {"branch": store.name}
        )
    return store


def _receipt_used_elsewhere(line_id: int) -> ReceiptUsedOnAnotherCard:
    line = PointTransaction.objects.select_related("card__user").get(pk=line_id)
    other = line.card
    return ReceiptUsedOnAnotherCard(
        _(
            "Receipt %(reference)s already earned points on card %(number)s (%(holder)s). "
            "Nothing was added."
        )
        % {
            "reference": line.reference,
            "number": other.formatted_number,
            "holder": other.holder or _("no name"),
        }
    )


@transaction.atomic
def record_purchase(
    card: Card,
    amount,
    *,
    reference: str,
    staff,
    store: Store | None = None,
    till_key=None,
    items=1,
) -> PurchaseRecorded:
    """Record a purchase and its points in a branch (the main branch when none is named).
    A receipt number belongs to its branch: everything below is about one branch's numbers,
    and another branch may use the same number. The same receipt on the same card is recorded once:
    a repeated call returns `PurchaseRecorded(line=<the first line>, created=False)` and adds
    nothing, a call that wrote the line returns `created=True`; both are decided with the card
    locked. A receipt earns points on one card, for ever: a receipt number with a purchase on
    another card raises `ReceiptUsedOnAnotherCard` naming that card, unless that purchase was
    reversed (so a receipt put on the wrong card can be moved), decided with the receipt number
    locked too. Numbers are compared as typed, with no date or window, the rule one card has
    always had; a till that starts its numbering again must keep its numbers unique, e.g. with
    the date in front. Tier goes up at once when earnings cross a threshold; the first purchase
    earns the first-purchase bonus. The purchase also stamps the branch's stamp cards
    (`items`: how many of the counted product, for a stamp card that stamps each item)."""
    program = Program.current()
    amount = clean_amount(amount, program)
    items = stamps.clean_items(items)
    reference = (reference or "").strip()
    if not reference:
        raise MissingReference
    store = branch_for(store)
    (card,) = lock_cards(card)
    _require_active(card)
    _lock_receipt(store, reference)
    # One query answers all three: was this receipt recorded already on this card, or on
    # another card (and not reversed there), and is this the card's first purchase?
    this_card = Q(card=card)
    receipt = Q(store=store, reference=reference)
    purchases = (
        PointTransaction.objects.filter(kind=Kind.PURCHASE)
        .filter(this_card | receipt)
        .aggregate(
            count=Count("pk", filter=this_card),
            same_receipt=Max("pk", filter=this_card & receipt),
            elsewhere=Min("pk", filter=~this_card & receipt & Q(reversal__isnull=True)),
        )
    )
    if purchases["same_receipt"] is not None:
        line = PointTransaction.objects.get(pk=purchases["same_receipt"])
        return PurchaseRecorded(line=line, created=False)
    if purchases["elsewhere"] is not None:
        raise _receipt_used_elsewhere(purchases["elsewhere"])
    first = purchases["count"] == 0
    tiers = list(Tier.objects.order_by("threshold"))
    tier = next((tier for tier in tiers if tier.pk == card.tier_id), None)
    bonus_days = applicable_bonus_days(tier, timezone.localdate())
    points, by_multiplier, by_flat = purchase_points(
        amount, program=program, tier=tier, bonus_days=bonus_days
    )
    try:
        with transaction.atomic():
            line = _write(
                card,
                Kind.PURCHASE,
                points,
                amount=amount,
                reference=reference,
                store=store,
                created_by=staff,
                till_key=till_key,
                # Kept as a record in the shop's language, whoever records the sale in which.
                tier_name=default_text(tier, "name") if tier else "",
                tier_multiplier=tier.multiplier if tier else None,
                bonus_multiplier=by_multiplier.multiplier if by_multiplier else None,
                bonus_day_name=default_text(by_multiplier or by_flat, "name")
                if (by_multiplier or by_flat)
                else "",
                bonus_points=by_flat.flat_bonus if by_flat else 0,
            )
    except IntegrityError:
        # Only reachable where the database cannot lock rows (SQLite): the other request won.
        line = PointTransaction.objects.get(
            card=card, kind=Kind.PURCHASE, store=store, reference=reference
        )
        return PurchaseRecorded(line=line, created=False)
    if first and program.first_purchase_bonus:
        _write(
            card,
            Kind.FIRST_PURCHASE_BONUS,
            program.first_purchase_bonus,
            created_by=staff,
            till_key=till_key,
        )
    _promote(card, program, tiers)
    if first and card.user_id:
        _reward_referral(card, program)
    if card.user_id:
        emails.send_to_member(
            "purchase", card.user, {"card": card, "line": line}, optional_list="receipts"
        )
    stamped = stamps.stamp_purchase(card, line, items=items)
    emit(Event.PURCHASE_RECORDED, lambda: events.purchase_recorded(line))
    return PurchaseRecorded(line=line, created=True, stamps=tuple(stamped))


@transaction.atomic
def reverse_purchase(
    transaction_line: PointTransaction,
    *,
    staff,
    reason: str,
    store: Store | None = None,
    till_key=None,
) -> PointTransaction:
    """Undo one purchase, once, in the branch that does it (the purchase's branch when none is
    named). The balance may go below zero; a negative balance blocks redemption until it is
    earned back."""
    reason = (reason or "").strip()
    if not reason:
        raise MissingReason
    if transaction_line.kind != Kind.PURCHASE:
        raise NotReversible
    (card,) = lock_cards(transaction_line.card)
    if PointTransaction.objects.filter(reversal_of=transaction_line).exists():
        raise AlreadyReversed
    try:
        with transaction.atomic():
            line = _write(
                card,
                Kind.PURCHASE_REVERSAL,
                -transaction_line.points,
                amount=transaction_line.amount,
                reference=transaction_line.reference,
                reversal_of=transaction_line,
                store=store or transaction_line.store,
                note=reason[:500],
                created_by=staff,
                till_key=till_key,
            )
    except IntegrityError as error:
        raise AlreadyReversed from error
    stamps.reverse_stamps(card, transaction_line)
    emit(Event.PURCHASE_REVERSED, lambda: events.purchase_reversed(line))
    return line


@transaction.atomic
def award_bonus(
    card: Card,
    kind: str,
    points: int,
    *,
    source=None,
    staff=None,
    note: str = "",
    reference: str = "",
):
    """Credit a bonus (sign-up, birthday, survey, goodwill, …), linked to what caused it."""
    if kind not in BONUS_KINDS:
        raise ValueError(f"{kind} is not a bonus kind")
    if not isinstance(points, int) or points <= 0:
        raise InvalidPoints
    (card,) = lock_cards(card)
    line = _write(
        card, kind, points, source=source, created_by=staff, note=note[:500], reference=reference
    )
    _promote(card, Program.current())
    return line


@transaction.atomic
def adjust_points(card: Card, points: int, *, staff, reason: str) -> PointTransaction:
    """A manual correction by an owner, with a reason; never takes the balance below zero."""
    if staff is None or not is_owner(staff):
        raise NotAllowed
    reason = (reason or "").strip()
    if not reason:
        raise MissingReason
    if not isinstance(points, int) or points == 0:
        raise InvalidPoints
    (card,) = lock_cards(card)
    if card.balance + points < 0:
        raise InsufficientPoints
    return _write(card, Kind.ADJUSTMENT, points, note=reason[:500], created_by=staff)


@transaction.atomic
def spend_points(
    card: Card,
    points: int,
    *,
    source=None,
    staff=None,
    note="",
    reference="",
    store=None,
    till_key=None,
):
    """Take points off a card for a reward or money off (in a branch); never below zero."""
    if not isinstance(points, int) or points <= 0:
        raise InvalidPoints
    (card,) = lock_cards(card)
    _require_active(card)
    if card.balance < points:
        raise InsufficientPoints
    return _write(
        card,
        Kind.REDEMPTION,
        -points,
        source=source,
        created_by=staff,
        note=note[:500],
        reference=reference,
        store=store,
        till_key=till_key,
    )


@transaction.atomic
def refund_points(card: Card, points: int, *, source=None, staff=None, note=""):
    """Give back points of a cancelled or expired reward."""
    if not isinstance(points, int) or points <= 0:
        raise InvalidPoints
    (card,) = lock_cards(card)
    return _write(card, Kind.REDEMPTION_REFUND, points, source=source, created_by=staff, note=note)


def expire_inactive_points(today: datetime.date, *, progress=None) -> int:
    """Expire the whole balance of cards with no activity for the program's expiry months.
    Returns how many cards lost points. Running it twice on a day changes nothing.

    In batches of BATCH cards, each in one transaction: the batch's cards locked (in the order
    of their ids, as every other lock of several cards), checked again, their expiry lines
    written in one insert and their balances set to zero in one update. A batch that fails is
    done again card by card, so that one card's bad data is skipped alone."""
    program = Program.current()
    if not program.expiry_months:
        return 0
    start_of_today = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    cutoff = shift_months(start_of_today, -program.expiry_months)
    ids = list(
        Card.objects.filter(balance__gt=0, last_activity_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    expired = 0
    for batch in _batches(ids, progress):
        try:
            expired += _expire_batch(batch, cutoff)
        except Exception:
            logger.exception("Daily run, expiry: a batch failed; its cards one by one")
            for card_id in batch:
                expired += _for_one_card("expiry", card_id, _expire_batch, [card_id], cutoff)
    return expired


@transaction.atomic
def _expire_batch(ids: list[int], cutoff: datetime.datetime) -> int:
    due = [
        card
        for card in Card.objects.filter(pk__in=ids).order_by("pk").select_for_update()
        if card.balance > 0 and card.last_activity_at < cutoff
    ]
    if not due:
        return 0
    PointTransaction.objects.bulk_create(
        PointTransaction(
            card=card,
            kind=Kind.EXPIRY,
            points=-card.balance,
            balance_after=0,
            note=f"No activity since {card.last_activity_at:%Y-%m-%d}",
        )
        for card in due
    )
    Card.objects.filter(pk__in=[card.pk for card in due]).update(
        balance=0, last_activity_at=timezone.now()
    )
    return len(due)


def _record_event(card: Card, kind: str, *, staff, reason: str = "") -> CardEvent:
    return CardEvent.objects.create(card=card, kind=kind, staff=staff, reason=reason[:200])


@transaction.atomic
def block_card(card: Card, *, staff, reason: str) -> Card:
    """Stop a lost or stolen card earning and spending until it is replaced. Needs a reason;
    the reason and the staff member are kept as a card event."""
    reason = (reason or "").strip()
    if not reason:
        raise MissingReason
    (card,) = lock_cards(card)
    if card.status != CardStatus.ACTIVE:
        raise CardNotActive
    Card.objects.filter(pk=card.pk).update(status=CardStatus.BLOCKED)
    card.status = CardStatus.BLOCKED
    _record_event(card, CardEventKind.BLOCKED, staff=staff, reason=reason)
    return card


@transaction.atomic
def replace_card(card: Card, *, staff, reason: str) -> Card:
    """Give a lost or damaged card a new number. Balance, tier and history stay with the member;
    the old number is retired and refused at the counter. Needs a reason, kept with the staff
    member as a card event."""
    reason = (reason or "").strip()
    if not reason:
        raise MissingReason
    (card,) = lock_cards(card)
    if card.status == CardStatus.REPLACED:
        raise CardNotActive
    RetiredCardNumber.objects.create(
        number=card.number, card=card, reason=reason[:200], retired_by=staff
    )
    card.number = _unused_number()
    card.status = CardStatus.ACTIVE
    card.is_physical = True
    Card.objects.filter(pk=card.pk).update(number=card.number, status=card.status, is_physical=True)
    _record_event(card, CardEventKind.REPLACED, staff=staff, reason=reason)
    return card


def claim_card(user, number: str, pin: str) -> Card:
    """Attach a card got in the shop to a member's account with its number and PIN.

    Wrong PINs count on the card; after a few the card can only be claimed at the counter.
    A member who already holds a digital card keeps one card: its points move to the claimed
    card through two ledger lines and the digital card is marked replaced."""
    result = _claim(user, cardnumbers.normalise(number), (pin or "").strip())
    if isinstance(result, LoyaltyError):
        raise result
    return result


@transaction.atomic
def _claim(user, number: str, pin: str) -> Card | LoyaltyError:
    # Returns (not raises) a refusal, so the counted failed attempt is committed.
    if not cardnumbers.is_valid(number):
        return ClaimFailed()
    card = Card.objects.filter(number=number).first()
    if card is None:
        return ClaimFailed()
    current = Card.objects.filter(user=user, status=CardStatus.ACTIVE).exclude(pk=card.pk).first()
    if current is None:
        (card,) = lock_cards(card)
    else:
        card, current = lock_cards(card, current)
    if card.user_id is not None:
        return AlreadyClaimed()
    if card.failed_claims >= MAX_FAILED_CLAIMS:
        return ClaimLocked()
    if card.status != CardStatus.ACTIVE or not card.claim_pin or pin != card.claim_pin:
        card.failed_claims += 1
        Card.objects.filter(pk=card.pk).update(failed_claims=card.failed_claims)
        return ClaimLocked() if card.failed_claims >= MAX_FAILED_CLAIMS else ClaimFailed()
    if current is not None:
        moving = current.balance
        note = f"Card {card.formatted_number} claimed"
        if moving:
            _write(current, Kind.TRANSFER, -moving, note=note, created_by=user)
            _write(card, Kind.TRANSFER, moving, note=note, created_by=user)
        Card.objects.filter(pk=current.pk).update(status=CardStatus.REPLACED, replaced_by=card)
        _record_event(current, CardEventKind.REPLACED, staff=None, reason=note)
    card.user = user
    card.claim_pin = ""
    card.claimed_at = timezone.now()
    Card.objects.filter(pk=card.pk).update(user=user, claim_pin="", claimed_at=card.claimed_at)
    _fill_profile(user, card)
    _promote(card, Program.current())
    return card


def _fill_profile(user, card: Card) -> None:
    """The phone and birthday the shop knew for a claimed card (a member imported from the
    previous system) fill the member's profile where it is blank; nothing the member typed is
    replaced. The birthday counts as set now, as if typed in the profile, so a birthday that has
    passed this year does not pay its bonus at once."""
    changes = {}
    if not user.phone and card.holder_phone:
        changes["phone"] = card.holder_phone
    if user.birthday is None and card.holder_birthday is not None:
        changes.update(birthday=card.holder_birthday, birthday_changed_at=timezone.now())
    if changes:
        User.objects.filter(pk=user.pk).update(**changes)
        for name, value in changes.items():
            setattr(user, name, value)


# Referrals ----------------------------------------------------------------------------------

REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def referral_code_for(user) -> ReferralCode:
    """The member's own invitation code, made on first use."""
    existing = ReferralCode.objects.filter(user=user).first()
    if existing is not None:
        return existing
    for _attempt in range(5):
        code = "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(8))
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(user=user, code=code)
        except IntegrityError:
            existing = ReferralCode.objects.filter(user=user).first()
            if existing is not None:
                return existing
    raise RuntimeError("Could not find a free referral code.")


def record_referral(friend, code: str, *, allowed: bool = True) -> Referral | None:
    """Remember that a new member joined through a referral link.

    No referral for an unknown code, for oneself, or for an e-mail that was already known
    (a card enrolled at the counter with it); `allowed=False` (the per-link, per-address
    limit) records the friend as joined without a bonus."""
    owner = (
        ReferralCode.objects.filter(code=(code or "").strip().upper())
        .select_related("user")
        .first()
    )
    if owner is None or owner.user_id == friend.pk:
        return None
    known_before = Card.objects.filter(holder_email__iexact=friend.email).exists()
    note = ""
    status = ReferralStatus.JOINED
    if known_before:
        status, note = ReferralStatus.NOT_REWARDED, "E-mail already known before the invitation"
    elif not allowed:
        status, note = ReferralStatus.NOT_REWARDED, "Too many sign-ups through this link"
    referral, _created = Referral.objects.get_or_create(
        referred=friend, defaults={"referrer": owner.user, "status": status, "note": note}
    )
    return referral


def _reward_referral(card: Card, program: Program) -> None:
    """At a referred friend's first purchase, both earn the referral bonus, once, within the
    inviting member's monthly limit."""
    referral = (
        Referral.objects.select_for_update()
        .filter(referred=card.user_id, status=ReferralStatus.JOINED)
        .first()
    )
    if referral is None or not program.referral_bonus:
        return
    month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rewarded_this_month = Referral.objects.filter(
        referrer=referral.referrer_id, status=ReferralStatus.REWARDED, rewarded_at__gte=month_start
    ).count()
    referrer_card = Card.objects.filter(user=referral.referrer_id, status=CardStatus.ACTIVE).first()
    refusal = ""
    if referrer_card is None:
        refusal = "The inviting member has no active card"
    elif rewarded_this_month >= program.referral_limit_per_month:
        refusal = "Monthly referral limit reached"
    if refusal:
        Referral.objects.filter(pk=referral.pk).update(
            status=ReferralStatus.NOT_REWARDED, note=refusal
        )
        return
    Referral.objects.filter(pk=referral.pk).update(
        status=ReferralStatus.REWARDED, rewarded_at=timezone.now()
    )
    for member_card in (card, referrer_card):
        award_bonus(member_card, Kind.REFERRAL_BONUS, program.referral_bonus, source=referral)
    referrer = referral.referrer
    friend = card.user
    emails.send_to_member(
        "referral_bonus", referrer, {"points": program.referral_bonus, "friend": friend.first_name}
    )
    emails.send_to_member(
        "referral_bonus", friend, {"points": program.referral_bonus, "friend": referrer.first_name}
    )


# The daily run ------------------------------------------------------------------------------
#
# Each step picks the cards with something to do in the database, in batches, then handles
# each one with its row locked and the condition checked again. So a step run twice, or by
# two machines at once, changes nothing the second time: no extra ledger line, no extra e-mail.

BATCH = 500

logger = logging.getLogger("suki.daily")


def _for_one_card(step: str, card_id: int, work, *args, **kwargs) -> int:
    """`work(*args, **kwargs)` for one card of a daily step. Its own transaction rolls back on
    any error, which is logged with the card and skipped: one member's bad data must not stop
    the day for everyone else, and the next run tries that card again."""
    try:
        return int(work(*args, **kwargs))
    except Exception:
        logger.exception("Daily run, %s: card %s failed and was skipped", step, card_id)
        return 0


def _batches(ids: list[int], progress=None):
    """The ids in batches; `progress(size)` hears of each batch once the caller has done it."""
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        yield batch
        if progress:
            progress(len(batch))


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def birthdays_due(day: datetime.date):
    """Members whose birthday this year is on or before `day` and who have not had this
    year's birthday bonus."""
    paid = PointTransaction.objects.filter(
        card__user=OuterRef("user"), kind=Kind.BIRTHDAY_BONUS, reference=f"birthday-{day.year}"
    )
    passed = Q(user__birthday__month__lt=day.month) | Q(
        user__birthday__month=day.month, user__birthday__day__lte=day.day
    )
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        # 29 February is celebrated on 28 February in common years (loyalty.dates).
        passed |= Q(user__birthday__month=2, user__birthday__day=29)
    return (
        Card.objects.filter(
            status=CardStatus.ACTIVE, user__birthday__isnull=False, user__is_active=True
        )
        .filter(passed)
        .exclude(Exists(paid))
        .order_by("pk")
    )


def award_birthday_bonuses(day: datetime.date, *, progress=None) -> int:
    """The birthday bonus, once per calendar year, on the birthday or the first run after it.
    A birthday set less than 30 days before this year's date waits until next year.

    In batches of BATCH cards, each in one transaction (as the expiry): the cards locked,
    each member checked again, the bonus lines written in one insert, the balances moved in
    one update and the members' earnings in the tier window read in one query; only a member
    whom the bonus lifts to a higher tier costs queries of their own. A batch that fails is
    done again card by card."""
    program = Program.current()
    if not program.birthday_bonus:
        return 0
    ids = list(birthdays_due(day).values_list("pk", flat=True))
    tiers = list(Tier.objects.order_by("threshold")) if ids else []
    paid = 0
    for batch in _batches(ids, progress):
        try:
            paid += _birthday_batch(batch, day, program, tiers)
        except Exception:
            logger.exception("Daily run, birthdays: a batch failed; its cards one by one")
            for card_id in batch:
                paid += _for_one_card(
                    "birthdays", card_id, _birthday_batch, [card_id], day, program, tiers
                )
    return paid


def _birthday_passed(user: User, day: datetime.date) -> bool:
    """Whether this year's birthday is on or before `day`, and was set early enough."""
    this_year = next_birthday(user.birthday, datetime.date(day.year, 1, 1))
    if this_year > day:
        return False
    changed = user.birthday_changed_at
    return changed is None or timezone.localtime(changed).date() <= this_year - datetime.timedelta(
        days=30
    )


@transaction.atomic
def _birthday_batch(ids: list[int], day: datetime.date, program: Program, tiers) -> int:
    reference = f"birthday-{day.year}"
    cards = lock_cards(*ids, related=("user",))
    paid = set(
        PointTransaction.objects.filter(
            card__user__in={card.user_id for card in cards if card.user_id},
            kind=Kind.BIRTHDAY_BONUS,
            reference=reference,
        ).values_list("card__user", flat=True)
    )
    due = []
    for card in cards:
        if card.user is None or card.user_id in paid or card.user.birthday is None:
            continue
        if card.status != CardStatus.ACTIVE or not card.user.is_active:
            continue
        if not _birthday_passed(card.user, day):
            continue
        paid.add(card.user_id)  # one bonus per member, whatever cards they hold
        due.append(card)
    if not due:
        return 0
    bonus = program.birthday_bonus
    now = timezone.now()
    for card in due:
        card.balance += bonus
        card.last_activity_at = now
    PointTransaction.objects.bulk_create(
        PointTransaction(
            card=card,
            kind=Kind.BIRTHDAY_BONUS,
            points=bonus,
            balance_after=card.balance,
            reference=reference,
        )
        for card in due
    )
    Card.objects.filter(pk__in=[card.pk for card in due]).update(
        balance=F("balance") + bonus, last_activity_at=now
    )
    since = shift_months(now, -program.tier_window_months)
    earned = dict(
        PointTransaction.objects.filter(
            kind__in=EARNING_KINDS, created_at__gte=since, card__user__in=[c.user_id for c in due]
        )
        .values("card__user")
        .annotate(total=Sum("points"))
        .values_list("card__user", "total")
    )
    for card in due:
        _promote(card, program, tiers, earned=earned.get(card.user_id, 0))
        emails.send_to_member("birthday", card.user, {"points": bonus})
    return len(due)


def send_expiry_warnings(day: datetime.date, *, progress=None) -> int:
    """E-mail members whose points expire within the warning days, once per inactive spell."""
    program = Program.current()
    if not program.expiry_months:
        return 0
    start = _start_of(day)
    expires_by = shift_months(
        start + datetime.timedelta(days=program.expiry_warning_days + 1), -program.expiry_months
    )
    not_yet = shift_months(start, -program.expiry_months)
    candidates = (
        Card.objects.filter(
            status=CardStatus.ACTIVE,
            user__isnull=False,
            balance__gt=0,
            last_activity_at__lt=expires_by,
            last_activity_at__gte=not_yet,
        )
        .filter(Q(expiry_warned_at__isnull=True) | Q(expiry_warned_at__lt=F("last_activity_at")))
        .order_by("pk")
    )
    ids = list(candidates.values_list("pk", flat=True))
    warned = 0
    for batch in _batches(ids, progress):
        try:
            warned += _warn_expiry(batch, program)
        except Exception:
            logger.exception("Daily run, expiry warnings: a batch failed; its cards one by one")
            for card_id in batch:
                warned += _for_one_card(
                    "expiry warnings", card_id, _warn_expiry, [card_id], program
                )
    return warned


@transaction.atomic
def _warn_expiry(ids: list[int], program: Program) -> int:
    """Warn a batch of cards, locked, in one update and one e-mail each."""
    due = [
        card
        for card in lock_cards(*ids, related=("user",))
        if not card.expiry_warned_at or card.expiry_warned_at < card.last_activity_at
    ]
    if not due:
        return 0
    Card.objects.filter(pk__in=[card.pk for card in due]).update(expiry_warned_at=timezone.now())
    for card in due:
        expires_on = shift_months(
            timezone.localtime(card.last_activity_at), program.expiry_months
        ).date()
        emails.send_to_member(
            "expiry_warning",
            card.user,
            {"card": card, "points": card.balance, "expires_on": expires_on},
        )
    return len(due)


def review_tiers(day: datetime.date, *, progress=None) -> tuple[int, int]:
    """Move members down, one tier at a time, whose tier's qualifying window has passed
    without enough points; warn them by e-mail 30 days before. Returns (warned, moved)."""
    program = Program.current()
    tiers = list(Tier.objects.order_by("threshold"))
    if len(tiers) < 2:
        return 0, 0
    start = _start_of(day)
    warn_until = start + datetime.timedelta(days=30)
    window_start = shift_months(start, -program.tier_window_months)
    # Points earned since then still count in 30 days, if the member earns nothing more.
    counting_in_30_days = shift_months(warn_until, -program.tier_window_months)
    ids = list(
        Card.objects.filter(status=CardStatus.ACTIVE, tier__threshold__gt=tiers[0].threshold)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    warned = moved = 0
    for batch in _batches(ids, progress):
        earned = {
            row[0]: row[1:]
            for row in PointTransaction.objects.filter(
                card__in=batch,
                kind__in=EARNING_KINDS,
                created_at__gte=window_start,
                created_at__lt=start,
            )
            .values("card")
            .annotate(
                total=Sum("points"),
                later=Sum("points", filter=Q(created_at__gte=counting_in_30_days)),
            )
            .values_list("card", "total", "later")
        }
        reached = dict(
            TierChange.objects.filter(card__in=batch)
            .values("card")
            .annotate(last=Max("created_at"))
            .values_list("card", "last")
        )
        for card in Card.objects.filter(pk__in=batch).select_related("tier"):
            total, later = earned.get(card.pk, (0, 0))
            if (later or 0) >= card.tier.threshold:
                continue  # qualifies now and in 30 days: nothing to do, no query
            held_since = reached.get(card.pk, card.created_at)
            held_until = shift_months(held_since, program.tier_window_months)
            if held_until <= start:
                if total < card.tier.threshold:
                    moved += _for_one_card(
                        "tier review",
                        card.pk,
                        _move_down,
                        card.pk,
                        tiers,
                        day,
                        tier_id=card.tier_id,
                        held_since=held_since,
                    )
            elif held_until <= warn_until:
                warned += _for_one_card("tier review", card.pk, _warn_tier, card.pk, held_until)
    return warned, moved


@transaction.atomic
def _move_down(
    card_id: int, tiers: list[Tier], day: datetime.date, *, tier_id: int, held_since
) -> int:
    # Not select_related("tier"): after waiting for a concurrent run's lock, PostgreSQL
    # rechecks the outer join against the new tier_id and returns no tier.
    (card,) = lock_cards(card_id, related=("user",))
    changed = TierChange.objects.filter(card=card_id, created_at__gt=held_since).exists()
    if card.tier_id != tier_id or changed:
        return 0  # a run at the same moment moved it already: one step per review
    current = next(tier for tier in tiers if tier.pk == tier_id)
    lower = [tier for tier in tiers if tier.threshold < current.threshold]
    if not lower:
        return 0
    to = lower[-1]
    change = TierChange.objects.create(
        card=card, from_tier=current, to_tier=to, reason=f"Tier review {day}"
    )
    Card.objects.filter(pk=card.pk).update(tier=to, tier_warned_at=None)
    emit(Event.TIER_CHANGED, lambda: events.tier_changed(change))
    if card.user_id:
        emails.send_to_member("tier_down", card.user, {"card": card, "tier": to, "was": current})
    return 1


@transaction.atomic
def _warn_tier(card_id: int, held_until) -> int:
    (card,) = lock_cards(card_id, related=("tier", "user"))
    if card.tier_warned_at is not None or card.user_id is None:
        return 0
    Card.objects.filter(pk=card.pk).update(tier_warned_at=timezone.now())
    emails.send_to_member(
        "tier_warning",
        card.user,
        {"card": card, "tier": card.tier, "until": timezone.localtime(held_until).date()},
    )
    return 1


@transaction.atomic
def record_daily_run(day: datetime.date, *, summary: dict[str, int]) -> DailyRun:
    """Mark `day` done with what the run did. A second run the same day (again, or on another
    machine) adds its counts, so the summary is the day's totals, not the last run's."""
    run, created = DailyRun.objects.select_for_update().get_or_create(
        day=day, defaults={"summary": summary}
    )
    if not created:
        done = run.summary or {}
        run.summary = {
            **done,
            **{name: done.get(name, 0) + count for name, count in summary.items()},
        }
        run.finished_at = timezone.now()
        run.save(update_fields=["summary", "finished_at"])
    return run


@transaction.atomic
def unlock_claim(card: Card, *, staff) -> Card:
    """Let a printed card be claimed online again after too many wrong PINs, once staff have
    seen the card and its owner at the counter. Kept as a card event with the staff member."""
    (card,) = lock_cards(card)
    Card.objects.filter(pk=card.pk).update(failed_claims=0)
    card.failed_claims = 0
    _record_event(card, CardEventKind.CLAIM_UNLOCKED, staff=staff)
    return card


# How long a till's Idempotency-Key is remembered: a till retries within minutes or, after a
# crash, at the latest the next day.
KEEP_IDEMPOTENCY_DAYS = 7


def forget_idempotent_requests(now: datetime.datetime) -> int:
    """Forget the till API's remembered answers older than KEEP_IDEMPOTENCY_DAYS."""
    cutoff = now - datetime.timedelta(days=KEEP_IDEMPOTENCY_DAYS)
    deleted, _by_model = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# Erasure ------------------------------------------------------------------------------------


@transaction.atomic
def close_cards_of(user, needles: list[str], *, by=None) -> dict:
    """Close an erased member's cards: stamps and points are forfeited through their ledgers,
    the holder's details go, the PIN can no longer claim it and the counter refuses it. Staff
    notes on the lines that name the person (`needles`) lose the name."""
    forfeited = 0
    cards = lock_cards(*Card.objects.filter(user=user).order_by("pk").values_list("pk", flat=True))
    for card in cards:
        stamps.forfeit_stamps(card)
        if card.balance > 0:
            forfeited += card.balance
            _write(card, Kind.FORFEIT, -card.balance, note="Account erased", created_by=by)
        Card.objects.filter(pk=card.pk).update(
            status=CardStatus.CLOSED if card.status != CardStatus.REPLACED else card.status,
            holder_name="",
            holder_email="",
            holder_phone="",
            holder_birthday=None,
            holder_email_consent=False,
            claim_pin="",
        )
        if card.status != CardStatus.REPLACED:
            _record_event(card, CardEventKind.CLOSED, staff=by)
    # The one change ever made to a written ledger line: a note that names the person.
    for line in PointTransaction.objects.filter(card__in=cards).exclude(note=""):
        if mentions(line.note, needles):
            PointTransaction.objects.filter(pk=line.pk).update(note=scrub(line.note, needles))
    return {"cards closed": len(cards), "points forfeited": forfeited}
