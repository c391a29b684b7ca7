"""Counter screens for rewards: fulfil a voucher, and pay part of a bill with points."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.admin import admin_context
from core.exceptions import DomainError
from core.money import format_money
from loyalty import branches
from loyalty.counter import branch_or_choose, counter_permission
from loyalty.models import Card, Program
from loyalty.selectors import payment_steps
from loyalty.templatetags.loyalty import points
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
        except DomainError as error:
            form.add_error("code", str(error))
        else:
            refusal = services.refusal_for(redemption)
    context = admin_context(
        request,
        title=_("Vouchers"),
        form=form,
        redemption=redemption,
        refusal=refusal,
        branch=branches.current(request),
    )
    return render(request, "admin/counter/voucher.html", context)


@voucher_permission
@require_POST
def fulfil(request, redemption_id):
    redemption = get_object_or_404(Redemption, pk=redemption_id)
    store, choose = branch_or_choose(
        request, reverse("admin:counter_vouchers") + "?" + urlencode({"code": redemption.code})
    )
    if choose:
        return choose
    try:
        services.fulfil_redemption(redemption, staff=request.user, store=store)
    except DomainError as error:
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
    steps = [(step, step) for step, _value in payment_steps(card.balance, Program.current())]
    form = PayWithPointsForm(request.POST, steps=steps)
    store, choose = branch_or_choose(request, reverse("admin:counter_card", args=[card.pk]))
    if choose:
        return choose
    if form.is_valid():
        try:
            payment = services.pay_with_points(
                card,
                form.cleaned_data["points"],
                staff=request.user,
                reference=form.cleaned_data["reference"],
                store=store,
            )
        except DomainError as error:
            messages.error(request, str(error))
            return redirect("admin:counter_card", card.pk)
    else:
        # A resubmitted form may name points the balance no longer offers.
        payment = services.earlier_payment(card, request.POST.get("reference", ""), store)
        if payment is None:
            messages.error(request, _("Choose the points to use and enter the receipt number."))
            return redirect("admin:counter_card", card.pk)
    _say_what_was_paid(request, payment)
    return redirect("admin:counter_card", card.pk)


def _say_what_was_paid(request, payment):
    figures = {
        "value": format_money(payment.value),
        "reference": payment.line.reference,
        "points": points(payment.points),
        "balance": points(payment.line.balance_after),
    }
    if payment.created:
        message = _(
            "Take %(value)s off receipt %(reference)s. "
            "%(points)s points used; new balance %(balance)s."
        )
        messages.success(request, message % figures)
    else:
        message = _(
            "The discount for receipt %(reference)s was already given "
            "(%(points)s points, %(value)s). Do not take it off again."
        )
        messages.warning(request, message % figures)
