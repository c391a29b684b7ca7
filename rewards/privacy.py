"""A member's vouchers for a data export, and erasure's part: unused vouchers are cancelled
(their points come back and are then forfeited with the rest, the stock is restored)."""

from core.privacy import local_iso
from rewards import services
from rewards.models import Redemption


def data(user) -> dict:
    vouchers = Redemption.objects.filter(card__user=user).select_related("reward", "card")
    return {
        "vouchers": [
            {
                "code": voucher.formatted_code,
                "card": voucher.card.formatted_number,
                "reward": voucher.reward.name,
                "quantity": voucher.quantity,
                "points": voucher.points,
                "status": voucher.status,
                "redeemed": local_iso(voucher.created_at),
                "valid_until": local_iso(voucher.valid_until),
                "used": local_iso(voucher.fulfilled_at),
            }
            for voucher in vouchers.order_by("created_at", "pk")
        ]
    }


def forget(user, *, by=None) -> dict:
    return {"vouchers cancelled": services.cancel_vouchers_of(user, by=by)}
