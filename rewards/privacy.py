"""A member's vouchers for a data export, and erasure's part: unused vouchers are cancelled
(their points come back and are then forfeited with the rest, the stock is restored)."""

from django.db import transaction

from core.privacy import local_iso
from rewards.exceptions import NotCancellable
from rewards.models import Redemption, RedemptionStatus
from rewards.services import _close, _lock_voucher, cancel_redemption


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
    return {"vouchers cancelled": cancelled}
