from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError
from rewards.models import MAX_QUANTITY


class RewardError(DomainError):
    message = _("This reward cannot be redeemed.")


class RewardUnavailable(RewardError):
    message = _("This reward is not available right now.")


class SoldOut(RewardError):
    message = _("Sorry, this reward is sold out.")


class TierTooLow(RewardError):
    message = _("This reward is for a higher tier.")


class LimitReached(RewardError):
    message = _("You have already redeemed this reward as often as allowed.")


class InvalidQuantity(RewardError):
    def __init__(self, message=None):
        # Interpolated when raised, so the message is in the language of the request.
        super().__init__(
            message or _("Choose a quantity from 1 to %(maximum)s.") % {"maximum": MAX_QUANTITY}
        )


class InvalidStock(RewardError):
    message = _("The stock cannot go below zero.")


class VoucherError(DomainError):
    message = _("This voucher cannot be used.")


class InvalidVoucherCode(VoucherError):
    message = _(
        "That is not a voucher code: codes have 10 characters, letters A–Z without I and O "
        "and digits 2–9."
    )


class VoucherNotFound(VoucherError):
    message = _("No voucher has that code.")


class VoucherAlreadyUsed(VoucherError):
    pass


class VoucherCancelled(VoucherError):
    pass


class VoucherExpired(VoucherError):
    pass


class NotCancellable(VoucherError):
    message = _("Only a voucher that has not been used can be cancelled.")


class InvalidPayment(DomainError):
    message = _("Choose a number of points in the allowed steps, no more than the balance.")
