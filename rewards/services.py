"""The only writers of reward stock and voucher status.

Points move only through `loyalty.services`. Every function locks what it decides on in a
fixed order, card first and then reward (or the voucher row), so concurrent redemptions,
cancellations and fulfilments serialise: stock is never oversold, a redemption never takes
a balance below zero, and a voucher is fulfilled, cancelled or expired exactly once.
"""

from __future__ import annotations

import datetime
import functools
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.roles import is_owner
from core.translations import default_text
from loyalty import services as loyalty_services
from loyalty.exceptions import CardNotActive, InsufficientPoints, NotAllowed
from loyalty.models import (
    Card,
    CardStatus,
    Kind,
    PointTransaction,
    Program,
    Store,
    Tier,
    tier_meets,
)
from rewards import events
from rewards.exceptions import (
    InvalidPayment,
    InvalidQuantity,
    InvalidStock,
    InvalidVoucherCode,
    LimitReached,
    NotCancellable,
    RewardUnavailable,
    SoldOut,
    TierTooLow,
    VoucherAlreadyUsed,
    VoucherCancelled,
    VoucherExpired,
    VoucherNotFound,
)
from rewards.models import (
    MAX_QUANTITY,
    VOUCHER_ALPHABET,
    VOUCHER_LENGTH,
    Redemption,
    RedemptionStatus,
    Reward,
    RewardKind,
)
from webhooks.models import Event
from webhooks.services import emit

OPEN_STATUSES = [RedemptionStatus.ISSUED, RedemptionStatus.FULFILLED]


def new_voucher_code() -> str:
    return "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(VOUCHER_LENGTH))


def normalise_code(text: str) -> str:
    """The code as typed or scanned, or InvalidVoucherCode if it cannot be one."""
    code = "".join(char for char in (text or "").upper() if char not in " -")
    if len(code) != VOUCHER_LENGTH or any(char not in VOUCHER_ALPHABET for char in code):
        raise InvalidVoucherCode
    return code


def redeemed_count(card: Card, reward: Reward) -> int:
    """Units of a reward this member holds or used (cancelled and expired do not count)."""
    holder = {"card__user": card.user_id} if card.user_id else {"card": card}
    total = Redemption.objects.filter(reward=reward, status__in=OPEN_STATUSES, **holder).aggregate(
        total=Sum("quantity")
    )["total"]
    return total or 0


@transaction.atomic
def redeem(card: Card, reward: Reward, *, quantity: int = 1) -> Redemption:
    """Spend points on a reward and issue its voucher.

    Checks, with the card and reward locked: the reward is active and in its window, the
    card's tier is high enough, enough stock is left, the member's limit is not passed and
    the balance covers the cost (a negative balance never redeems). Donations are fulfilled
    at once."""
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or not 1 <= quantity <= MAX_QUANTITY
    ):
        raise InvalidQuantity
    (card,) = loyalty_services.lock_cards(card, related=("tier",))
    reward = _lock_reward(reward.pk)
    if card.status != CardStatus.ACTIVE:
        raise CardNotActive
    if not reward.is_available():
        raise RewardUnavailable
    minimum = (
        Tier.objects.filter(pk=reward.minimum_tier_id).first() if reward.minimum_tier_id else None
    )
    if not tier_meets(card.tier, minimum):
        raise TierTooLow(
            _("This reward is for %(tier)s members and above.") % {"tier": minimum.name}
        )
    if reward.stock is not None and reward.stock < quantity:
        raise SoldOut
    if reward.per_member_limit is not None and (
        redeemed_count(card, reward) + quantity > reward.per_member_limit
    ):
        raise LimitReached
    cost = reward.points_cost * quantity
    if card.balance < cost:
        raise InsufficientPoints(
            _("This needs %(cost)s points; the card has %(balance)s.")
            % {"cost": cost, "balance": card.balance}
        )
    now = timezone.now()
    donation = reward.kind == RewardKind.DONATION
    redemption = _create_voucher(
        card=card,
        reward=reward,
        quantity=quantity,
        points=cost,
        valid_until=now + datetime.timedelta(days=reward.valid_days),
        status=RedemptionStatus.FULFILLED if donation else RedemptionStatus.ISSUED,
        fulfilled_at=now if donation else None,
    )
    # The ledger keeps the reward's name in the shop's language, whatever the member reads.
    loyalty_services.spend_points(card, cost, source=redemption, note=default_text(reward, "name"))
    if reward.stock is not None:
        Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - quantity)
    return redemption


def _lock_reward(reward_id: int) -> Reward:
    # Lock a card first where one is involved (see `loyalty.services.lock_cards`).
    return Reward.objects.select_for_update().get(pk=reward_id)


def _require_owner(staff) -> None:
    if staff is None or not is_owner(staff):
        raise NotAllowed


@transaction.atomic
def restock(reward: Reward, *, add: int, staff) -> Reward:
    """Add units to a reward's stock (a negative number takes units off); returns the reward.

    Owners only. The change is made to the count read under the reward's lock, so units
    redeemed or given back meanwhile are never lost. The stock never goes below zero, and an
    unlimited reward has no count to add to."""
    _require_owner(staff)
    if not isinstance(add, int) or isinstance(add, bool) or add == 0:
        raise InvalidStock(_("Enter a whole number of units other than zero."))
    reward = _lock_reward(reward.pk)
    if reward.stock is None:
        raise InvalidStock(_("This reward has unlimited stock; set a number first."))
    if reward.stock + add < 0:
        raise InvalidStock(
            _("Only %(stock)s units are in stock; %(units)s cannot be taken off.")
            % {"stock": reward.stock, "units": -add}
        )
    reward.stock += add
    reward.save(update_fields=["stock"])
    return reward


@transaction.atomic
def set_stock(reward: Reward, *, stock: int | None, staff) -> Reward:
    """Set a reward's stock to a counted number, or to unlimited with None; returns the reward.

    Owners only; never below zero. Units redeemed while the owner was counting are not
    subtracted: use `restock` to add a delivery to what is left."""
    _require_owner(staff)
    if stock is not None and (not isinstance(stock, int) or isinstance(stock, bool) or stock < 0):
        raise InvalidStock
    reward = _lock_reward(reward.pk)
    reward.stock = stock
    reward.save(update_fields=["stock"])
    return reward


def _create_voucher(**fields) -> Redemption:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                redemption = Redemption.objects.create(code=new_voucher_code(), **fields)
        except IntegrityError:  # a code collision: 32^10 makes it rare, not impossible
            continue
        emit(Event.VOUCHER_ISSUED, functools.partial(events.voucher, redemption))
        return redemption
    raise RuntimeError("Could not find a free voucher code.")


def _close(redemption: Redemption, status: str, *, by=None) -> Redemption:
    """Refund and restock a locked, still-issued voucher and mark it cancelled or expired."""
    (card,) = loyalty_services.lock_cards(redemption.card_id)
    reward = _lock_reward(redemption.reward_id)
    if redemption.points:  # a full stamp card's voucher cost no points
        loyalty_services.refund_points(
            card, redemption.points, source=redemption, staff=by, note=default_text(reward, "name")
        )
    if reward.stock is not None:
        Reward.objects.filter(pk=reward.pk).update(stock=F("stock") + redemption.quantity)
    redemption.status = status
    redemption.closed_at = timezone.now()
    redemption.closed_by = by
    redemption.save(update_fields=["status", "closed_at", "closed_by"])
    return redemption


def _lock_voucher(redemption: Redemption) -> Redemption:
    # Card before voucher, the same order as redeem(), so the two never deadlock.
    loyalty_services.lock_cards(redemption.card_id)
    return Redemption.objects.select_for_update().select_related("reward").get(pk=redemption.pk)


def cancel_redemption(redemption: Redemption, *, by) -> Redemption:
    """Cancel an unused voucher: the points come back and the stock is restored."""
    with transaction.atomic():
        redemption = _lock_voucher(redemption)
        if redemption.status != RedemptionStatus.ISSUED:
            raise NotCancellable
        if redemption.stamp_line_id:
            # Its stamps are spent: cancelling would give nothing back.
            raise NotCancellable(_("A full stamp card's voucher cannot be cancelled."))
        if redemption.valid_until > timezone.now():
            return _close(redemption, RedemptionStatus.CANCELLED, by=by)
        _close(redemption, RedemptionStatus.EXPIRED)
    # Raised after the block commits, so the expiry's refund and restock are kept.
    raise NotCancellable(_("This voucher had expired; its points are back on the card."))


def expire_if_due(redemption: Redemption, *, now: datetime.datetime | None = None) -> Redemption:
    """Expire a voucher past its validity (refund and restock), once. Safe to call on every look."""
    now = now or timezone.now()
    if redemption.status != RedemptionStatus.ISSUED or redemption.valid_until > now:
        return redemption
    with transaction.atomic():
        locked = _lock_voucher(redemption)
        if locked.status == RedemptionStatus.ISSUED and locked.valid_until <= now:
            _close(locked, RedemptionStatus.EXPIRED)
        return locked


def expire_vouchers(now: datetime.datetime | None = None) -> int:
    """Expire every voucher past its validity; returns how many. Used by the daily run."""
    now = now or timezone.now()
    due = Redemption.objects.filter(status=RedemptionStatus.ISSUED, valid_until__lte=now)
    expired = 0
    for redemption in due.only("pk", "card_id", "status", "valid_until").iterator():
        if expire_if_due(redemption, now=now).status == RedemptionStatus.EXPIRED:
            expired += 1
    return expired


def _refusal(redemption: Redemption) -> Exception:
    when = lambda moment: date_format(timezone.localtime(moment), "DATETIME_FORMAT")  # noqa: E731
    if redemption.status == RedemptionStatus.FULFILLED:
        if redemption.fulfilled_by:
            who = redemption.fulfilled_by.get_full_name() or redemption.fulfilled_by.email
        elif redemption.fulfilled_store_id:
            # Used through the till API: no staff member, but a branch's till.
            who = _("a till at %(branch)s") % {"branch": redemption.fulfilled_store.name}
        else:
            who = _("online")
        return VoucherAlreadyUsed(
            _("This voucher was already used on %(when)s (by %(who)s).")
            % {"when": when(redemption.fulfilled_at), "who": who}
        )
    if redemption.status == RedemptionStatus.CANCELLED:
        return VoucherCancelled(
            _("This voucher was cancelled on %(when)s and its points were refunded.")
            % {"when": when(redemption.closed_at)}
        )
    return VoucherExpired(
        _("This voucher expired on %(when)s and its points were refunded.")
        % {"when": when(redemption.valid_until)}
    )


def find_voucher(text: str) -> Redemption:
    """The voucher a code belongs to, expiring it first if it is past its validity."""
    code = normalise_code(text)
    redemption = (
        Redemption.objects.select_related("reward", "card__user", "fulfilled_by", "fulfilled_store")
        .filter(code=code)
        .first()
    )
    if redemption is None:
        raise VoucherNotFound
    return expire_if_due(redemption)


def fulfil_redemption(redemption: Redemption, *, staff, store: Store | None = None) -> Redemption:
    """Mark a voucher used at the counter of a branch (the main branch when none is named).
    A used, cancelled or expired voucher says which, when and by whom; two staff fulfilling
    at once fulfil it once."""
    store = loyalty_services.branch_for(store)
    with transaction.atomic():
        redemption = _lock_voucher(redemption)
        if (
            redemption.status == RedemptionStatus.ISSUED
            and redemption.valid_until <= timezone.now()
        ):
            _close(redemption, RedemptionStatus.EXPIRED)
        if redemption.status == RedemptionStatus.ISSUED:
            redemption.status = RedemptionStatus.FULFILLED
            redemption.fulfilled_at = timezone.now()
            redemption.fulfilled_by = staff
            redemption.fulfilled_store = store
            redemption.save(
                update_fields=["status", "fulfilled_at", "fulfilled_by", "fulfilled_store"]
            )
            # Built only for a subscriber: it reads the card, which the lock left unloaded.
            emit(Event.VOUCHER_USED, lambda: events.voucher(redemption))
            return redemption
    # Raised after the block commits, so an expiry found here keeps its refund and restock.
    raise _refusal(redemption)


def refusal_for(redemption: Redemption) -> str | None:
    """What the counter says about a voucher that cannot be used, or None if it can."""
    if redemption.status == RedemptionStatus.ISSUED:
        return None
    return str(_refusal(redemption))


@dataclass(frozen=True)
class Payment:
    """What `pay_with_points` did: the ledger line of the receipt, and whether this call
    made it (False: the receipt had already been paid and nothing was taken again)."""

    line: PointTransaction
    created: bool
    value: Decimal  # the money off, at the program's current point value

    @property
    def points(self) -> int:
        return -self.line.points


def earlier_payment(card: Card, reference: str, store: Store | None = None) -> Payment | None:
    """The payment already made with points for this branch's receipt on this card, if any."""
    reference = (reference or "").strip()
    if not reference:
        return None
    line = PointTransaction.objects.filter(
        card=card,
        kind=Kind.REDEMPTION,
        reference=reference,
        source_id__isnull=True,
        store=store if store is not None else Store.main(),
    ).first()
    if line is None:
        return None
    return Payment(line, created=False, value=-line.points * Program.current().point_value)


@transaction.atomic
def pay_with_points(
    card: Card,
    points: int,
    *,
    staff,
    reference: str,
    store: Store | None = None,
    till_key=None,
) -> Payment:
    """Take points off a card as money off the current bill, at the program's point value, in
    a branch (the main branch when none is named).

    Points come in the owner's steps and never exceed the balance; the same receipt of the
    branch on the same card is paid once: a double submit returns the first line with
    `created=False`, decided with the card locked."""
    program = Program.current()
    reference = (reference or "").strip()
    if not reference:
        raise InvalidPayment(_("Enter the receipt number."))
    if not isinstance(points, int) or points <= 0 or points % program.pay_with_points_step:
        raise InvalidPayment
    store = loyalty_services.branch_for(store)
    (card,) = loyalty_services.lock_cards(card)
    earlier = earlier_payment(card, reference, store)
    if earlier is not None:
        return earlier
    value = points * program.point_value
    note = _("Paid %(value)s with points") % {"value": f"{value:.2f}"}
    line = loyalty_services.spend_points(
        card, points, staff=staff, note=note, reference=reference, store=store, till_key=till_key
    )
    return Payment(line, created=True, value=value)


def donated_points() -> int:
    total = Redemption.objects.filter(
        reward__kind=RewardKind.DONATION, status=RedemptionStatus.FULFILLED
    ).aggregate(total=Sum("points"))["total"]
    return total or 0


# Stamp cards and erasure ----------------------------------------------------------------------


def issue_stamp_voucher(line) -> Redemption:
    """A full stamp card's reward as a voucher, at once (`line`: the completion); it costs no
    points. A limited stock is counted down while any is left: the member earned it anyway."""
    reward = _lock_reward(line.stamp_card.reward_id)
    voucher = _create_voucher(
        card_id=line.card_id,
        reward=reward,
        quantity=1,
        points=0,
        stamp_line=line,
        valid_until=timezone.now() + datetime.timedelta(days=reward.valid_days),
        status=RedemptionStatus.ISSUED,
    )
    if reward.stock:
        Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - 1)
    return voucher


def cancel_stamp_voucher(line) -> bool:
    """Cancel the voucher of a full card whose stamps a reversal takes back. False when it was
    used already: the card then stays short instead."""
    voucher = Redemption.objects.select_for_update().filter(stamp_line=line).first()
    if voucher is None or voucher.status == RedemptionStatus.FULFILLED:
        return False
    if voucher.status == RedemptionStatus.ISSUED:
        _close(voucher, RedemptionStatus.CANCELLED)
    return True


def cancel_vouchers_of(user, *, by=None) -> int:
    """Cancel an erased member's unused vouchers: points come back (to be forfeited with the
    rest), stock is restored; a stamp card's voucher is cancelled too."""
    cancelled = 0
    issued = Redemption.objects.filter(card__user=user, status=RedemptionStatus.ISSUED)
    for voucher in issued.order_by("pk"):
        if voucher.stamp_line_id:
            with transaction.atomic():
                _close(_lock_voucher(voucher), RedemptionStatus.CANCELLED, by=by)
            cancelled += 1
            continue
        try:
            cancel_redemption(voucher, by=by)
            cancelled += 1
        except NotCancellable:
            pass  # expired meanwhile: refunded and restocked all the same
    return cancelled
