"""A member's data in the loyalty app: cards, ledger lines and referrals for a data export,
and what erasure does to them. Ledger lines are never deleted: the card is closed and
anonymised and its balance forfeited by a ledger line of its own, so every total stays true."""

from core.privacy import local_iso
from loyalty import services
from loyalty.models import Card, PointTransaction, Referral, ReferralCode


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


def forget(user, needles: list[str], *, by=None) -> dict:
    """Close the member's cards (see `loyalty.services.close_cards_of`) and forget their
    referral code and the notes on their referrals."""
    summary = services.close_cards_of(user, needles, by=by)
    ReferralCode.objects.filter(user=user).delete()
    Referral.objects.filter(referrer=user).update(note="")
    Referral.objects.filter(referred=user).update(note="")
    return summary
