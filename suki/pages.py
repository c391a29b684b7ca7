"""The pages that show every part of the program together: the public home page, the help
page and the member's home."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core import pagecache
from core.codes import qr_svg
from loyalty import pagestate, rules, selectors, stamps
from loyalty.forms import ClaimCardForm
from rewards import pagestate as reward_pagestate
from rewards import selectors as reward_selectors
from rewards.services import donated_points
from surveys import pagestate as survey_pagestate
from surveys import selectors as survey_selectors
from surveys import services as survey_services

PUBLIC_HOME_SECONDS = 60


def home(request):
    # A signed-in member came for their card, not for the sign-up pitch. Staff still see the
    # public page, as visitors do.
    if request.user.is_authenticated and not request.user.is_staff:
        return redirect("portal")
    # The same for every visitor: kept for a minute (a testimonial's approval is the shop's
    # content and shows at once; the points donated catch up within the minute), so a visit
    # costs no query, however many vouchers the shop has seen.
    return pagecache.page(request, _home, timeout=PUBLIC_HOME_SECONDS)


def _home():
    current = rules.current()
    program = current.program
    given = donated_points()
    context = {
        "program": program,
        "tiers": current.tiers,
        "donated_points": given,
        "testimonials": survey_selectors.published_testimonials(),
        "donated_value": given * program.point_value,
    }
    return "suki/home.html", context


def help_page(request):
    """How points and tiers work, what to do about a lost card and whom to ask; for anyone."""
    current = rules.current()
    context = {"program": current.program, "tiers": current.tiers}
    return render(request, "suki/help.html", context)


@login_required
def portal(request):
    """The member home, kept until anything it shows changes (core.pagecache)."""
    user = request.user
    parts = [
        *pagestate.member_parts(user.pk),
        *reward_pagestate.voucher_parts(user.pk),
        *reward_pagestate.stock_parts(),
        *survey_pagestate.member_parts(user.pk),
    ]
    return pagecache.page(request, lambda: _portal(user), parts=parts)


def _portal(user):
    card = selectors.member_card(user)
    if card is None:
        return "loyalty/no_card.html", {"form": ClaimCardForm()}
    current = rules.current()
    program = current.program
    ready, next_reward = reward_selectors.within_reach(card)
    stamp_cards = stamps.progress_of(card, with_reward=True)
    title = _("QR code of card %(number)s") % {"number": card.formatted_number}
    context = {
        "card": card,
        "qr": qr_svg(card.number, title=title),
        "program": program,
        "progress": selectors.tier_progress(card, program, current.tiers),
        "points_value": card.balance * program.point_value if card.balance > 0 else 0,
        "expires_on": selectors.expiry_date(card, program),
        "bonus_days": selectors.active_bonus_days(
            card.tier, timezone.localdate(), candidates=current.bonus_days
        ),
        "recent": selectors.card_history(user)[:5],
        "ready_rewards": ready,
        "next_reward": next_reward,
        "stamp_cards": stamp_cards,
        "stamp_vouchers": reward_selectors.stamp_vouchers(card) if stamp_cards else [],
        # Not while the member has an open complaint: asked in the same query.
        "invitation": survey_services.invite_after_visit(user),
    }
    return "suki/portal.html", context
