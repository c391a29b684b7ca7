from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from loyalty import selectors, services
from loyalty.exceptions import LoyaltyError
from loyalty.forms import ClaimCardForm

HISTORY_PAGE_SIZE = 20


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@login_required
def history(request):
    page = Paginator(selectors.card_history(request.user), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "loyalty/history.html", {"page": page})


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
