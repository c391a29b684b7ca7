"""Counter screens for rewards: fulfil a voucher, and pay part of a bill with points."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from loyalty.counter import admin_context, counter_permission
from loyalty.exceptions import LoyaltyError
from loyalty.models import Card, Program
from loyalty.money import format_money
from loyalty.selectors import payment_steps
from rewards import services
from rewards.forms import PayWithPointsForm, VoucherLookupForm
from rewards.models import Redemption

voucher_permission = permission_required("rewards.fulfil_redemption", raise_exception=True)


@voucher_permission
def voucher_lookup(request):
    form = VoucherLookupForm(request.GET or None)
    redemption = refusal = None
    if form.is_valid():
        try:
            redemption = services.find_voucher(form.cleaned_data["code"])
        except LoyaltyError as error:
            form.add_error("code", str(error))
        else:
            refusal = services.refusal_for(redemption)
    context = admin_context(
        request, title=_("Vouchers"), form=form, redemption=redemption, refusal=refusal
    )
    return render(request, "admin/counter/voucher.html", context)


@voucher_permission
@require_POST
def fulfil(request, redemption_id):
    redemption = get_object_or_404(Redemption, pk=redemption_id)
    try:
        services.fulfil_redemption(redemption, staff=request.user)
    except LoyaltyError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Voucher %(code)s used: hand over %(reward)s.")
            % {"code": redemption.formatted_code, "reward": redemption.reward.name},
        )
    return redirect("admin:counter_vouchers")


@counter_permission
@require_POST
def pay(request, card_id):
    card = get_object_or_404(Card, pk=card_id)
    program = Program.current()
    steps = [(points, points) for points, _value in payment_steps(card.balance, program)]
    form = PayWithPointsForm(request.POST, steps=steps)
    if not form.is_valid():
        messages.error(request, _("Choose the points to use and enter the receipt number."))
        return redirect("admin:counter_card", card.pk)
    try:
        line = services.pay_with_points(
            card,
            form.cleaned_data["points"],
            staff=request.user,
            reference=form.cleaned_data["reference"],
        )
    except LoyaltyError as error:
        messages.error(request, str(error))
        return redirect("admin:counter_card", card.pk)
    messages.success(
        request,
        _(
            "Take %(value)s off receipt %(reference)s. "
            "%(points)s points used; new balance %(balance)s."
        )
        % {
            "value": format_money(-line.points * program.point_value),
            "reference": line.reference,
            "points": -line.points,
            "balance": line.balance_after,
        },
    )
    return redirect("admin:counter_card", card.pk)
