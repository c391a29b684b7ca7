"""The vouchers of full stamp cards: issued when `loyalty.stamps` fills a card, cancelled when
a reversed purchase takes a full card's stamps back before the voucher was used."""

import datetime

from django.db.models import F
from django.dispatch import receiver
from django.utils import timezone

from loyalty import stamps
from loyalty.models import StampCard
from rewards.models import Redemption, RedemptionStatus, Reward
from rewards.services import _close, _create_voucher, _lock_reward


@receiver(stamps.card_completed, sender=StampCard, dispatch_uid="rewards.stamp_voucher")
def issue_stamp_voucher(sender, line, **kwargs) -> Redemption:
    """The full card's reward as a voucher, at once; it costs no points. A limited stock is
    counted down while any is left: the member earned it either way."""
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


@receiver(stamps.completion_undone, sender=StampCard, dispatch_uid="rewards.stamp_voucher_undo")
def cancel_stamp_voucher(sender, line, **kwargs) -> bool:
    """Cancel the voucher of a full card whose stamps a reversal takes back. Returns False
    when it was used already: the card then stays short instead."""
    voucher = Redemption.objects.select_for_update().filter(stamp_line=line).first()
    if voucher is None or voucher.status == RedemptionStatus.FULFILLED:
        return False
    if voucher.status == RedemptionStatus.ISSUED:
        _close(voucher, RedemptionStatus.CANCELLED)
    return True
