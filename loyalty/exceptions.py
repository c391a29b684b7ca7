"""Broken rules of the loyalty program. Views turn `str(error)` into a message."""

from django.utils.translation import gettext_lazy as _

from core.exceptions import DomainError


class LoyaltyError(DomainError):
    """A rule of cards and points."""


class InvalidCardNumber(LoyaltyError):
    message = _("That card number is not valid; a digit may be mistyped. Please check it.")


class CardNotFound(LoyaltyError):
    message = _("No card has that number.")


class CardNotActive(LoyaltyError):
    message = _("This card is blocked and cannot be used.")


class InvalidAmount(LoyaltyError):
    message = _("Enter an amount greater than zero.")


class MissingReference(LoyaltyError):
    message = _("Enter the receipt number.")


class ReceiptUsedOnAnotherCard(LoyaltyError):
    """A receipt number that already earned points on another card; the message names it."""

    message = _("This receipt already earned points on another card. Nothing was added.")


class NotReversible(LoyaltyError):
    message = _("Only a purchase can be reversed.")


class AlreadyReversed(LoyaltyError):
    message = _("This purchase has already been reversed.")


class MissingReason(LoyaltyError):
    message = _("Give a reason.")


class NotAllowed(LoyaltyError):
    message = _("Only an owner may do this.")


class InsufficientPoints(LoyaltyError):
    message = _("There are not enough points on this card.")


class InvalidPoints(LoyaltyError):
    message = _("Enter a whole number of points other than zero.")


class ClaimFailed(LoyaltyError):
    message = _("That card number and PIN do not match a card that can be claimed.")


class ClaimLocked(LoyaltyError):
    message = _(
        "This card is locked after too many wrong PINs. Please ask at the counter to claim it."
    )


class AlreadyClaimed(LoyaltyError):
    message = _("This card already belongs to a member and cannot be claimed again.")


class BranchClosed(LoyaltyError):
    message = _("This branch is closed and records nothing new.")


class BranchNotAllowed(LoyaltyError):
    message = _("You do not work at this branch.")


class CardNumberTaken(LoyaltyError):
    message = _("This card number already belongs to another card.")


class EmailTaken(LoyaltyError):
    message = _("This e-mail address already belongs to a member or to another card.")
