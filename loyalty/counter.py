"""The counter: one fast screen in the admin where staff serve a member.

Built for a USB scanner that types the card number and presses Enter, and for a tablet:
every action is one form, focus starts where the next keystroke goes, and every result
is shown on the card's page after a redirect (so a reload never records twice).
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.admin import admin_context
from core.codes import barcode_data_uri, qr_svg
from core.inputs import only_digits
from core.money import format_money
from loyalty import branches, cardnumbers, selectors, services, stamps
from loyalty.exceptions import LoyaltyError
from loyalty.forms import CardLookupForm, EnrolForm, PurchaseForm, ReasonForm
from loyalty.models import Card, CardStatus, PointTransaction, Program
from loyalty.templatetags.loyalty import points, signed_points

counter_permission = permission_required("loyalty.use_counter", raise_exception=True)


def branch_or_choose(request, back: str):
    """The branch this counter records in, or a redirect to choosing one (then back to
    `back`): a sale is never recorded in a branch nobody chose."""
    store = branches.current(request)
    if store is not None:
        return store, None
    messages.warning(request, _("Choose the branch this counter works in first."))
    return None, redirect(reverse("admin:counter_branch") + "?" + urlencode({"next": back}))


@counter_permission
def choose_branch(request):
    """Pick the branch once per device; the choice is remembered on this device."""
    stores = list(branches.allowed(request.user))
    back = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = ""
    if request.method == "POST":
        chosen = next((s for s in stores if str(s.pk) == request.POST.get("branch")), None)
        if chosen is None:
            messages.error(request, _("Choose one of the branches you work at."))
        else:
            messages.success(
                request, _("This counter now records in %(branch)s.") % {"branch": chosen.name}
            )
            response = HttpResponseRedirect(back or reverse("admin:counter"))
            return branches.remember(response, chosen)
    return render(
        request,
        "admin/counter/branch.html",
        admin_context(
            request,
            title=_("Choose your branch"),
            stores=stores,
            current=branches.current(request),
            next=back,
        ),
    )


@counter_permission
def lookup(request):
    form = CardLookupForm(request.GET or None)
    results = None
    if form.is_valid():
        query = form.cleaned_data["query"].strip()
        digits = cardnumbers.normalise(query)
        if only_digits(digits) and len(digits) == 12:
            try:
                card = selectors.card_by_number(digits)
            except LoyaltyError as error:
                form.add_error("query", str(error))
            else:
                return redirect("admin:counter_card", card.pk)
        else:
            results = selectors.search_cards(query)
            if len(results) == 1:
                return redirect("admin:counter_card", results[0].pk)
            if not results:
                form.add_error("query", _("No card matches “%(query)s”.") % {"query": query})
    return render(
        request,
        "admin/counter/lookup.html",
        admin_context(
            request,
            form=form,
            results=results,
            title=_("Counter"),
            branch=branches.current(request),
        ),
    )


def stamp_message(stamped) -> str:
    """What a purchase did on one stamp card, for the counter's message."""
    text = _("%(card)s: %(stamps)s of %(needed)s stamps.") % {
        "card": stamped.stamp_card.name,
        "stamps": stamped.stamps,
        "needed": stamped.needed,
    }
    for voucher in stamped.vouchers:
        text += " " + _("Card full: voucher %(code)s for %(reward)s issued.") % {
            "code": voucher.formatted_code,
            "reward": voucher.reward.name,
        }
    return text


@counter_permission
def card_view(request, card_id):
    card = get_object_or_404(Card.objects.select_related("tier", "user"), pk=card_id)
    if card.status == CardStatus.REPLACED:
        messages.error(request, _("This card was replaced and no longer works."))
    elif card.status == CardStatus.CLOSED:
        messages.error(request, _("This card was closed when its holder's data was erased."))
    lines = list(card.transactions.select_related("created_by")[:10])
    events = list(card.events.select_related("staff")[:5])
    stamp_rows = stamps.progress_of(card)
    program = Program.current()
    context = admin_context(
        request,
        title=_("Card %(number)s") % {"number": card.formatted_number},
        card=card,
        program=program,
        bonus_days=selectors.applicable_bonus_days(card.tier, timezone.localdate()),
        lines=lines,
        events=events,
        reversible=selectors.reversible(lines),
        purchase_form=PurchaseForm(),
        stamp_cards=stamp_rows,
        stamp_product=next(
            (row["stamp_card"].product for row in stamp_rows if row["stamp_card"].product), ""
        ),
        payment_steps=selectors.payment_steps(card.balance, program),
        lookup_form=CardLookupForm(),
        branch=branches.current(request),
    )
    return render(request, "admin/counter/card.html", context)


@counter_permission
@require_POST
def purchase(request, card_id):
    card = get_object_or_404(Card, pk=card_id)
    form = PurchaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the amount and the receipt number."))
        return redirect("admin:counter_card", card.pk)
    store, choose = branch_or_choose(request, reverse("admin:counter_card", args=[card.pk]))
    if choose:
        return choose
    try:
        recorded = services.record_purchase(
            card,
            form.cleaned_data["amount"].replace(",", "."),
            reference=form.cleaned_data["reference"],
            staff=request.user,
            store=store,
            items=form.cleaned_data["items"],
        )
    except LoyaltyError as error:
        messages.error(request, str(error))
        return redirect("admin:counter_card", card.pk)
    line = recorded.line
    if recorded.created:
        card.refresh_from_db()
        messages.success(
            request,
            _("Recorded %(amount)s: +%(points)s points. New balance %(balance)s.")
            % {
                "amount": format_money(line.amount),
                "points": points(line.points),
                "balance": points(card.balance),
            },
        )
        for stamped in recorded.stamps:
            messages.success(request, stamp_message(stamped))
    else:
        messages.warning(
            request,
            _(
                "Receipt %(reference)s was already recorded on this card "
                "(%(points)s points). Nothing was added."
            )
            % {"reference": line.reference, "points": points(line.points)},
        )
    # Focus goes to the next customer's card number.
    return redirect(reverse("admin:counter_card", args=[card.pk]) + "?done=1")


@counter_permission
@require_POST
def reverse_purchase(request, line_id):
    line = get_object_or_404(PointTransaction.objects.select_related("card"), pk=line_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the reversal."))
        return redirect("admin:counter_card", line.card_id)
    store, choose = branch_or_choose(request, reverse("admin:counter_card", args=[line.card_id]))
    if choose:
        return choose
    try:
        reversal = services.reverse_purchase(
            line, staff=request.user, reason=form.cleaned_data["reason"], store=store
        )
    except LoyaltyError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Receipt %(reference)s reversed: %(points)s points. New balance %(balance)s.")
            % {
                "reference": line.reference,
                "points": signed_points(reversal.points),
                "balance": points(reversal.balance_after),
            },
        )
    return redirect("admin:counter_card", line.card_id)


@counter_permission
@require_POST
def block(request, card_id):
    card = get_object_or_404(Card, pk=card_id)
    reason = _reason(request)
    if reason is None:
        return redirect("admin:counter_card", card.pk)
    try:
        services.block_card(card, staff=request.user, reason=reason)
    except LoyaltyError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("The card is blocked. Replace it to give the member a new number.")
        )
    return redirect("admin:counter_card", card.pk)


def _reason(request) -> str | None:
    """The reason staff gave for blocking or replacing a card, or None, with the form's
    message shown, when it is missing or cannot be kept (too long, a NUL byte)."""
    form = ReasonForm(request.POST)
    if form.is_valid():
        return form.cleaned_data["reason"]
    messages.error(request, " ".join(form.errors["reason"]))
    return None


@counter_permission
@require_POST
def unlock_claim(request, card_id):
    card = get_object_or_404(Card, pk=card_id)
    services.unlock_claim(card, staff=request.user)
    messages.success(request, _("The card can be claimed online again with its PIN."))
    return redirect("admin:counter_card", card.pk)


@counter_permission
@require_POST
def replace(request, card_id):
    card = get_object_or_404(Card, pk=card_id)
    old_number = card.formatted_number
    reason = _reason(request)
    if reason is None:
        return redirect("admin:counter_card", card.pk)
    try:
        card = services.replace_card(card, staff=request.user, reason=reason)
    except LoyaltyError as error:
        messages.error(request, str(error))
        return redirect("admin:counter_card", card.pk)
    messages.success(
        request,
        _("Card %(old)s is retired. The new card %(new)s keeps the balance and history.")
        % {"old": old_number, "new": card.formatted_number},
    )
    return redirect("admin:counter_print", card.pk)


@counter_permission
def enrol(request):
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        card = services.issue_card(
            holder_name=form.cleaned_data["holder_name"],
            holder_email=form.cleaned_data["holder_email"],
            staff=request.user,
            physical=True,
        )
        messages.success(
            request,
            _(
                "New card %(number)s issued with %(points)s welcome points. "
                "Print it and hand it over."
            )
            % {"number": card.formatted_number, "points": points(card.balance)},
        )
        return redirect("admin:counter_print", card.pk)
    return render(
        request,
        "admin/counter/enrol.html",
        admin_context(request, form=form, title=_("Enrol a walk-in")),
    )


@counter_permission
def print_card(request, card_id):
    card = get_object_or_404(Card, pk=card_id)
    return render(
        request,
        "admin/counter/print.html",
        admin_context(
            request,
            title=_("Print card %(number)s") % {"number": card.formatted_number},
            card=card,
            qr=qr_svg(
                card.number,
                title=_("QR code of card %(number)s") % {"number": card.formatted_number},
            ),
            barcode=barcode_data_uri(card.number),
            claim_url=request.build_absolute_uri(reverse("claim_card")),
        ),
    )
