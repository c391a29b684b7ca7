from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import pagecache
from core.codes import qr_svg
from core.exceptions import DomainError
from loyalty import pagestate as loyalty_pagestate
from loyalty.selectors import member_card
from rewards import pagestate, selectors, services
from rewards.forms import CatalogFilterForm, RedeemForm
from rewards.models import Redemption, RedemptionStatus


@login_required
def catalog(request):
    """Kept until the member's card or vouchers, a reward or its stock change (core.pagecache)."""

    def build():
        card = member_card(request.user)
        filters = CatalogFilterForm(request.GET or None)
        kind = filters.cleaned_data["kind"] if filters.is_valid() else ""
        entries = selectors.catalog(card, kind=kind)
        if filters.is_valid() and filters.cleaned_data["can_redeem"]:
            entries = [entry for entry in entries if entry.can_redeem]
        return "rewards/catalog.html", {"card": card, "entries": entries, "filters": filters}

    user_id = request.user.pk
    parts = [
        *loyalty_pagestate.member_parts(user_id),
        *pagestate.voucher_parts(user_id),
        *pagestate.stock_parts(),
    ]
    return pagecache.page(request, build, parts=parts, params=CatalogFilterForm.base_fields)


@login_required
def confirm(request, reward_id):
    """Show cost and balance after; redeem on POST."""
    entry = _entry(request, reward_id)
    card = member_card(request.user)
    if card is None:
        return redirect("portal")
    form = RedeemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            redemption = services.redeem(card, entry.reward, quantity=form.cleaned_data["quantity"])
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Here is your voucher. Show it at the counter."))
            return redirect("voucher", code=redemption.code)
    context = {
        "entry": entry,
        "card": card,
        "form": form,
        "balance_after": card.balance - entry.reward.points_cost,
    }
    return render(request, "rewards/confirm.html", context)


def _entry(request, reward_id):
    # Unknown, inactive or out-of-window rewards are not on offer: 404, as a forged id would be.
    card = member_card(request.user)
    reward = get_object_or_404(selectors.available_rewards(), pk=reward_id)
    return next(entry for entry in selectors.catalog(card) if entry.reward.pk == reward.pk)


@login_required
def vouchers(request):
    # Vouchers past their validity expire on first look (the daily run catches the rest).
    redemptions = [
        services.expire_if_due(redemption)
        for redemption in selectors.member_vouchers(request.user)[:100]
    ]
    return render(request, "rewards/vouchers.html", {"redemptions": redemptions})


def _own_voucher(request, code):
    redemption = get_object_or_404(
        Redemption.objects.select_related("reward", "card"), code=code, card__user=request.user
    )
    return services.expire_if_due(redemption)


@login_required
def voucher(request, code):
    redemption = _own_voucher(request, code)
    qr = None
    if redemption.status == RedemptionStatus.ISSUED:
        qr = qr_svg(
            redemption.code,
            title=_("QR code of voucher %(code)s") % {"code": redemption.formatted_code},
        )
    return render(request, "rewards/voucher.html", {"redemption": redemption, "qr": qr})


@login_required
@require_POST
def cancel(request, code):
    redemption = _own_voucher(request, code)
    try:
        services.cancel_redemption(redemption, by=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Voucher cancelled. %(points)s points are back on your card.")
            % {"points": redemption.points},
        )
    return redirect("voucher", code=redemption.code)
