"""What the shop's own systems are told about cards, purchases and tiers (webhook payloads).

Identifiers and figures only: never a member's name, e-mail or phone. Deliveries are kept as a
log, and a log must not hold personal data that deleting an account would leave behind. Each
builder reads only rows the calling service has already loaded."""

from loyalty.models import Card, PointTransaction, TierChange


def _tier_name(tier) -> str | None:
    return tier.name if tier is not None else None


def _joined(card: Card) -> str:
    if card.imported_at is not None:
        return "import"
    return "counter" if card.is_physical else "online"


def member_joined(card: Card) -> dict:
    return {
        "card_number": card.number,
        "joined": _joined(card),
        "has_account": card.user_id is not None,
        "tier": _tier_name(card.tier),
        "balance": card.balance,
        "issued_at": card.created_at.isoformat(),
    }


def _line(line: PointTransaction) -> dict:
    return {
        "line_id": line.pk,
        "card_number": line.card.number,
        "points": line.points,
        "amount": str(line.amount) if line.amount is not None else None,
        "receipt": line.reference,
        "branch": line.store.name if line.store_id else None,
        "balance": line.card.balance,
        "created_at": line.created_at.isoformat(),
    }


def purchase_recorded(line: PointTransaction) -> dict:
    return {
        **_line(line),
        "tier": line.tier_name or None,
        "bonus_day": line.bonus_day_name or None,
    }


def purchase_reversed(line: PointTransaction) -> dict:
    return {**_line(line), "reversed_line_id": line.reversal_of_id, "reason": line.note}


def tier_changed(change: TierChange) -> dict:
    was, now = change.from_tier, change.to_tier
    up = was is None or now.threshold > was.threshold
    return {
        "card_number": change.card.number,
        "from_tier": _tier_name(was),
        "to_tier": now.name,
        "direction": "up" if up else "down",
        "reason": change.reason,
        "changed_at": change.created_at.isoformat(),
    }
