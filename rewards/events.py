"""What the shop's own systems are told about vouchers (webhook payloads); no personal data."""

from rewards.models import Redemption


def voucher(redemption: Redemption) -> dict:
    reward = redemption.reward
    return {
        "voucher_code": redemption.code,
        "card_number": redemption.card.number,
        "reward": reward.name,
        "reward_kind": reward.kind,
        "quantity": redemption.quantity,
        "points": redemption.points,
        "status": redemption.status,
        "valid_until": redemption.valid_until.isoformat(),
        "created_at": redemption.created_at.isoformat(),
        "used_at": redemption.fulfilled_at.isoformat() if redemption.fulfilled_at else None,
        "branch": redemption.fulfilled_store.name if redemption.fulfilled_store_id else None,
    }
