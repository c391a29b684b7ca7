from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import pagecache
from loyalty import pagestate, selectors, services
from loyalty.exceptions import LoyaltyError
from loyalty.forms import ClaimCardForm
from loyalty.models import Program, Referral, ReferralCode
from loyalty.signals import REFERRAL_SESSION_KEY

HISTORY_PAGE_SIZE = 20


@login_required
def history(request):
    """Kept until a line is added to the member's ledger (core.pagecache)."""

    def build():
        lines = selectors.card_history(request.user)
        page = Paginator(lines, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
        return "loyalty/history.html", {"page": page}

    parts = pagestate.member_parts(request.user.pk)
    return pagecache.page(request, build, parts=parts, params=["page"])


@login_required
def claim(request):
    form = ClaimCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not ratelimit.consume(request, action="claim_card", user=request.user):
            form.add_error(None, _("Too many attempts. Please wait an hour or ask at the counter."))
        else:
            try:
                card = services.claim_card(
                    request.user, form.cleaned_data["number"], form.cleaned_data["pin"]
                )
            except LoyaltyError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Card %(number)s is now yours, with %(points)s points.")
                    % {"number": card.formatted_number, "points": card.balance},
                )
                return redirect("portal")
    return render(request, "loyalty/claim.html", {"form": form})


@login_required
@require_POST
def digital_card(request):
    services.issue_card(user=request.user)
    messages.success(request, _("Your digital card is ready."))
    return redirect("portal")


def join(request, code):
    """A referral link: remember who invited the visitor, then go to sign-up."""
    referral_code = ReferralCode.objects.filter(code=code.upper()).select_related("user").first()
    if referral_code is None:
        messages.warning(
            request,
            _(
                "This invitation link is not valid, but you can still join. "
                "No referral bonus applies."
            ),
        )
        return redirect("account_signup")
    ReferralCode.objects.filter(pk=referral_code.pk).update(opened=F("opened") + 1)
    request.session[REFERRAL_SESSION_KEY] = referral_code.code
    messages.info(
        request,
        _("%(name)s invited you. You both get %(points)s points after your first purchase.")
        % {
            "name": referral_code.user.first_name or _("A friend"),
            "points": Program.current().referral_bonus,
        },
    )
    return redirect("account_signup")


@login_required
def invite(request):
    code = services.referral_code_for(request.user)
    link = request.build_absolute_uri(reverse("join", args=[code.code]))
    referrals = Referral.objects.filter(referrer=request.user).select_related("referred")
    context = {"code": code, "link": link, "referrals": referrals, "program": Program.current()}
    return render(request, "loyalty/invite.html", context)
