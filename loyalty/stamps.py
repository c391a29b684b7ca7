"""Stamp cards: the only writer of stamp lines and of each card's stamp progress.

Stamps come with a purchase, inside `record_purchase`'s transaction and under its card lock,
so twenty tills stamping one card take turns and a receipt stamps once. A card that fills up
writes a completion line taking the stamps it needed (the extra ones carry over to the next
card) and asks the rewards app, through `card_completed`, for its voucher; a reversal that
needs a completed card's stamps back asks `completion_undone` to cancel that voucher, and when
it was already used the reversal takes what is left, never below zero.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty.exceptions import LoyaltyError
from loyalty.models import (
    Card,
    PointTransaction,
    StampCard,
    StampKind,
    StampLine,
    StampProgress,
    StampRule,
    Store,
)

# Sent with `line` (the completion) inside the transaction; the rewards app issues the
# voucher and returns it.
card_completed = Signal()
# Sent with `line` (the completion to undo); a receiver returns True when it cancelled the
# unused voucher, so the stamps may come back.
completion_undone = Signal()

MAX_ITEMS = 99


class InvalidItems(LoyaltyError):
    message = gettext_lazy("Enter the number of items, from 1 to 99.")


@dataclass(frozen=True)
class Stamped:
    """What one purchase did to one stamp card."""

    stamp_card: StampCard
    added: int
    stamps: int
    completed: int
    vouchers: tuple

    @property
    def needed(self) -> int:
        return self.stamp_card.stamps_needed


def cards_for(store: Store | None) -> list[StampCard]:
    """The active stamp cards a branch takes part in."""
    cards = StampCard.objects.filter(is_active=True).select_related("reward")
    if store is not None:
        cards = cards.filter(Q(stores__isnull=True) | Q(stores=store)).distinct()
    return list(cards.order_by("name", "pk"))


def stamps_earned(stamp_card: StampCard, amount: Decimal, items: int) -> int:
    if stamp_card.rule == StampRule.VISIT:
        return 1
    if stamp_card.rule == StampRule.AMOUNT:
        return 1 if amount >= stamp_card.minimum_amount else 0
    return items


def clean_items(items) -> int:
    """The number of items typed at the counter or sent by a till: 1 to 99."""
    if items is None or items == "":
        return 1
    if isinstance(items, bool):
        raise InvalidItems
    try:
        count = int(str(items).strip())
    except (TypeError, ValueError) as error:
        raise InvalidItems from error
    if not str(items).strip().isascii() or not 1 <= count <= MAX_ITEMS:
        raise InvalidItems
    return count


def _progress(card: Card, stamp_card: StampCard) -> StampProgress:
    progress, _created = StampProgress.objects.get_or_create(card=card, stamp_card=stamp_card)
    return progress


def _line(progress: StampProgress, kind: str, stamps: int, **fields) -> StampLine:
    progress.stamps += stamps
    assert progress.stamps >= 0, "a stamp card never goes below zero"
    line = StampLine.objects.create(
        card_id=progress.card_id,
        stamp_card_id=progress.stamp_card_id,
        kind=kind,
        stamps=stamps,
        stamps_after=progress.stamps,
        **fields,
    )
    return line


def _save(progress: StampProgress) -> None:
    StampProgress.objects.filter(pk=progress.pk).update(
        stamps=progress.stamps, started_at=progress.started_at, completed=progress.completed
    )


def _stamped_today(card: Card, stamp_card: StampCard) -> bool:
    start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))
    return (
        StampLine.objects.filter(
            card=card, stamp_card=stamp_card, kind=StampKind.STAMP, created_at__gte=start
        )
        .exclude(purchase__reversal__isnull=False)
        .exists()
    )


def stamp_purchase(card: Card, line: PointTransaction, *, items: int = 1) -> list[Stamped]:
    """Stamp a purchase line just written on a locked card, on every stamp card its branch
    takes part in. Called by `record_purchase`, once per receipt."""
    results = []
    for stamp_card in cards_for(line.store):
        earned = stamps_earned(stamp_card, line.amount, items)
        if earned and stamp_card.one_per_visit:
            earned = 0 if _stamped_today(card, stamp_card) else 1
        if not earned:
            continue
        progress = _progress(card, stamp_card)
        if progress.stamps == 0:
            progress.started_at = line.created_at
        _line(progress, StampKind.STAMP, earned, purchase=line)
        vouchers = []
        completed = 0
        while progress.stamps >= stamp_card.stamps_needed:
            completion = _line(
                progress,
                StampKind.COMPLETION,
                -stamp_card.stamps_needed,
                started_at=progress.started_at,
            )
            progress.completed += 1
            completed += 1
            progress.started_at = line.created_at if progress.stamps else None
            for _receiver, voucher in card_completed.send(sender=StampCard, line=completion):
                if voucher is not None:
                    vouchers.append(voucher)
        _save(progress)
        results.append(
            Stamped(stamp_card, earned, progress.stamps, completed, vouchers=tuple(vouchers))
        )
    return results


def reverse_stamps(card: Card, purchase: PointTransaction) -> list[Stamped]:
    """Take back a reversed purchase's stamps from a locked card. When the card in progress
    has fewer stamps than the purchase gave, the purchase helped fill an earlier card: its
    voucher is cancelled if unused and its stamps come back; otherwise the card goes down to
    zero and no further (the member keeps the free coffee they already had)."""
    results = []
    stamped = StampLine.objects.filter(purchase=purchase, kind=StampKind.STAMP).select_related(
        "stamp_card"
    )
    for stamp_line in stamped:
        stamp_card = stamp_line.stamp_card
        progress = StampProgress.objects.select_for_update().get(card=card, stamp_card=stamp_card)
        take = stamp_line.stamps
        if progress.stamps < take:
            completion = (
                StampLine.objects.filter(
                    card=card,
                    stamp_card=stamp_card,
                    kind=StampKind.COMPLETION,
                    pk__gt=stamp_line.pk,
                    undone_by__isnull=True,
                )
                .order_by("-pk")
                .first()
            )
            if completion is not None and any(
                cancelled
                for _receiver, cancelled in completion_undone.send(
                    sender=StampCard, line=completion
                )
            ):
                _line(
                    progress,
                    StampKind.COMPLETION_UNDONE,
                    stamp_card.stamps_needed,
                    completion=completion,
                )
                progress.completed -= 1
                progress.started_at = completion.started_at
        taken = min(take, progress.stamps)
        _line(progress, StampKind.REVERSAL, -taken, purchase=purchase)
        if progress.stamps == 0:
            progress.started_at = None
        _save(progress)
        results.append(Stamped(stamp_card, -taken, progress.stamps, 0, vouchers=()))
    return results


def expire_stamps(now: datetime.datetime) -> int:
    """Empty the cards in progress older than their stamp card's days to fill. Returns how
    many cards lost stamps. Each card is locked as the other writers lock it."""
    from loyalty.services import lock_cards

    due = []
    for stamp_card in StampCard.objects.filter(days_to_complete__gt=0):
        cutoff = now - datetime.timedelta(days=stamp_card.days_to_complete)
        due += StampProgress.objects.filter(
            stamp_card=stamp_card, stamps__gt=0, started_at__lt=cutoff
        ).values_list("pk", "card_id")
    expired = 0
    for progress_id, card_id in sorted(due):
        with transaction.atomic():
            lock_cards(card_id)
            progress = StampProgress.objects.select_related("stamp_card").get(pk=progress_id)
            limit = datetime.timedelta(days=progress.stamp_card.days_to_complete)
            if progress.stamps and progress.started_at and progress.started_at < now - limit:
                _line(progress, StampKind.EXPIRY, -progress.stamps)
                progress.started_at = None
                _save(progress)
                expired += 1
    return expired


def forfeit_stamps(card: Card) -> int:
    """Empty every stamp card of a locked card that is being closed (its holder erased)."""
    forfeited = 0
    for progress in StampProgress.objects.filter(card=card, stamps__gt=0):
        forfeited += progress.stamps
        _line(progress, StampKind.FORFEIT, -progress.stamps)
        progress.started_at = None
        _save(progress)
    return forfeited


def progress_of(card: Card, *, with_reward: bool = False) -> list[dict]:
    """Each active stamp card with this card's stamps on it, for the member home, the counter
    and the API: two queries whatever the number of stamp cards (one when there are none)."""
    stamp_cards = StampCard.objects.filter(is_active=True).order_by("name", "pk")
    if with_reward:
        stamp_cards = stamp_cards.select_related("reward")
    stamp_cards = list(stamp_cards)
    held = {
        progress.stamp_card_id: progress
        for progress in StampProgress.objects.filter(card=card, stamp_card__in=stamp_cards)
    }
    rows = []
    for stamp_card in stamp_cards:
        progress = held.get(stamp_card.pk)
        stamps = progress.stamps if progress else 0
        rows.append(
            {
                "stamp_card": stamp_card,
                "stamps": stamps,
                "needed": stamp_card.stamps_needed,
                "completed": progress.completed if progress else 0,
                "squares": [index < stamps for index in range(stamp_card.stamps_needed)],
                "label": _("%(stamps)s of %(needed)s stamps")
                % {"stamps": stamps, "needed": stamp_card.stamps_needed},
            }
        )
    return rows


def stamp_mismatches() -> list[tuple[StampProgress, int, int]]:
    """(progress, cached stamps, ledger sum) for each progress row whose stamps are not the sum
    of its lines, in one aggregated query."""
    totals = (
        StampLine.objects.filter(card=OuterRef("card"), stamp_card=OuterRef("stamp_card"))
        .values("card")
        .annotate(total=Sum("stamps"))
        .values("total")
    )
    off = (
        StampProgress.objects.annotate(
            total=Coalesce(Subquery(totals, output_field=IntegerField()), Value(0))
        )
        .exclude(stamps=F("total"))
        .select_related("stamp_card", "card")
        .order_by("pk")
    )
    return [(progress, progress.stamps, progress.total) for progress in off[:100]]
