"""The survey slip printed with a receipt: a QR code that opens the post-visit survey for
that one purchase."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.admin import admin_context
from core.codes import qr_svg
from loyalty.counter import counter_permission
from loyalty.models import Kind, PointTransaction
from surveys import selectors, services


@counter_permission
def visit_slip(request, line_id):
    purchase = get_object_or_404(PointTransaction, pk=line_id, kind=Kind.PURCHASE)
    url = request.build_absolute_uri(reverse("visit_survey", args=[services.visit_token(purchase)]))
    context = admin_context(
        request,
        title=_("Survey slip for receipt %(reference)s") % {"reference": purchase.reference},
        purchase=purchase,
        survey=selectors.post_visit_survey(),
        url=url,
        qr=qr_svg(url, title=_("QR code of the visit survey")),
    )
    return render(request, "admin/counter/slip.html", context)
