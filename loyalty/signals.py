from allauth.account.adapter import get_adapter
from allauth.account.signals import user_signed_up
from allauth.core import ratelimit
from django.contrib import messages
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from accounts import emails
from accounts.forms import REFERRAL_SESSION_KEY
from loyalty import rules, services
from loyalty.models import BonusDay, Program, Tier

__all__ = ["REFERRAL_SESSION_KEY", "card_for_new_member", "rules_changed"]


@receiver(user_signed_up, dispatch_uid="loyalty.card_for_new_member")
def card_for_new_member(sender, request, user, **kwargs):
    """Every online sign-up gets a digital card, with the sign-up bonus, at once, and is
    linked to the member who invited them, if any."""
    card = services.issue_card(user=user)
    emails.send_to_member("welcome", user, {"card": card})
    code = request.session.pop(REFERRAL_SESSION_KEY, None) if request is not None else None
    if code:
        # Sign-ups through one link from one address are limited; beyond it, no bonus.
        address = get_adapter().get_client_ip(request)
        allowed = ratelimit.consume(request, action="referral_signup", key=f"{code}:{address}")
        if services.record_referral(user, code, allowed=allowed) is None:
            messages.warning(
                request,
                _("The invitation code %(code)s is not valid, so no referral bonus applies.")
                % {"code": code},
            )


@receiver(post_save, sender=Program, dispatch_uid="loyalty.program_saved")
@receiver(post_delete, sender=Program, dispatch_uid="loyalty.program_deleted")
@receiver(post_save, sender=Tier, dispatch_uid="loyalty.tier_saved")
@receiver(post_delete, sender=Tier, dispatch_uid="loyalty.tier_deleted")
@receiver(post_save, sender=BonusDay, dispatch_uid="loyalty.bonus_day_saved")
@receiver(post_delete, sender=BonusDay, dispatch_uid="loyalty.bonus_day_deleted")
def rules_changed(sender, **kwargs):
    """The pages' cached copy of the program, tiers and bonus days is out of date."""
    rules.forget()
