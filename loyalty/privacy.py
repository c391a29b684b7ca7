"""A member's data in the loyalty app: cards, ledger lines and referrals for a data export,
and what erasure does to them. Ledger lines are never deleted: the card is closed and
anonymised and its balance forfeited by a ledger line of its own, so every total stays true."""

from django.db import transaction

from core.privacy import local_iso, mentions, scrub
from loyalty import stamps
from loyalty.models import (
    Card,
    CardEventKind,
    CardStatus,
    Kind,
    PointTransaction,
    Referral,
    ReferralCode,
)
from loyalty.services import _record_event, _write, lock_cards


def cards_of(user):
    return Card.objects.filter(user=user).order_by("pk")


def data(user) -> dict:
    cards = list(cards_of(user).select_related("tier"))
    lines = (
        PointTransaction.objects.filter(card__user=user)
        .select_related("card", "store")
        .order_by("created_at", "pk")
    )
    code = ReferralCode.objects.filter(user=user).first()
    return {
        "cards": [
            {
                "number": card.formatted_number,
                "status": card.status,
                "printed": card.is_physical,
                "tier": card.tier.name if card.tier else None,
                "balance": card.balance,
                "issued": local_iso(card.created_at),
                "claimed": local_iso(card.claimed_at),
                "last_activity": local_iso(card.last_activity_at),
            }
            for card in cards
        ],
        "ledger": [
            {
                "card": line.card.formatted_number,
                "when": local_iso(line.created_at),
                "kind": line.kind,
                "label": str(line.get_kind_display()),
                "points": line.points,
                "balance_after": line.balance_after,
                "amount": str(line.amount) if line.amount is not None else None,
                "receipt": line.reference,
                "branch": line.store.name if line.store else None,
                "note": line.note,
            }
            for line in lines.iterator(chunk_size=2000)
        ],
        # The friends' own names are their data, not this member's: only what happened.
        "referrals": {
            "code": code.code if code else None,
            "friends_invited": [
                {"joined": local_iso(referral.created_at), "status": referral.status}
                for referral in Referral.objects.filter(referrer=user).order_by("created_at")
            ],
            "joined_through_a_friend": Referral.objects.filter(referred=user).exists(),
        },
    }


@transaction.atomic
def forget(user, needles: list[str], *, by=None) -> dict:
    """Close the member's cards: the balance is forfeited through the ledger, the holder's
    details go, the PIN can no longer claim it and the counter refuses it. Staff notes on the
    lines that name the person lose the name."""
    forfeited = 0
    cards = lock_cards(*cards_of(user).values_list("pk", flat=True))
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
    ReferralCode.objects.filter(user=user).delete()
    Referral.objects.filter(referrer=user).update(note="")
    Referral.objects.filter(referred=user).update(note="")
    return {"cards closed": len(cards), "points forfeited": forfeited}
