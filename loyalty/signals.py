from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from loyalty import services


@receiver(user_signed_up, dispatch_uid="loyalty.card_for_new_member")
def card_for_new_member(sender, request, user, **kwargs):
    """Every online sign-up gets a digital card, with the sign-up bonus, at once."""
    services.issue_card(user=user)
