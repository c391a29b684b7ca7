"""The vouchers of full stamp cards: `loyalty.stamps` asks for them through its signals, the
rewards services issue and cancel them."""

from django.dispatch import receiver

from loyalty import stamps
from loyalty.models import StampCard
from rewards import services


@receiver(stamps.card_completed, sender=StampCard, dispatch_uid="rewards.stamp_voucher")
def issue_stamp_voucher(sender, line, **kwargs):
    return services.issue_stamp_voucher(line)


@receiver(stamps.completion_undone, sender=StampCard, dispatch_uid="rewards.stamp_voucher_undo")
def cancel_stamp_voucher(sender, line, **kwargs) -> bool:
    return services.cancel_stamp_voucher(line)
