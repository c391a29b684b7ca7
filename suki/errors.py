"""Error pages that need neither the database nor the session, so they render during an outage
and whatever a request carried. Only the admin's refusal page, for staff already signed in to
the admin, shows the admin around it."""

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.translation import gettext as _

from core.admin import admin_context
from loyalty.api_base import PROBLEM_JSON, problem_body

RETRY_AFTER_SECONDS = 30


def bad_request(request, exception=None):
    if _in_api(request):
        return _problem(400, "bad-request", _("The request cannot be read."))
    return _page("400.html", status=400)


def permission_denied(request, exception=None):
    """A staff member on an owner's page in the admin sees the refusal there, with a way back
    to their work; anyone else sees the site's page."""
    if _staff_in_admin(request):
        context = admin_context(request, title=_("You cannot open this page"))
        return render(request, "admin/403.html", context, status=403)
    return _page("403.html", status=403)


def page_not_found(request, exception=None):
    if _in_api(request):
        return _problem(404, "not-found", _("There is nothing at this address."))
    return _page("404.html", status=404)


def server_error(request):
    """Django's handler500: a database that is down or hung is an outage (503, try again soon),
    not a failure of the page (500)."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        return unavailable(request)
    if _in_api(request):
        return _problem(500, "server-error", _("Something went wrong on our side."))
    return _page("500.html", status=500)


def unavailable(request=None):
    if request is not None and _in_api(request):
        response = _problem(
            503, "unavailable", _("Suki cannot reach its database. Please try again shortly.")
        )
    else:
        response = _page("503.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _staff_in_admin(request):
    # The admin's look needs the user, which an admin page has already read: a refusal
    # anywhere else is shown without touching the database.
    if not request.path.startswith(reverse("admin:index")):
        return False
    user = getattr(request, "user", None)
    return user is not None and user.is_active and user.is_staff


def _in_api(request) -> bool:
    return request.path.startswith("/api/")


def _problem(status, slug, detail):
    """The till API's errors are problem documents (RFC 9457) even before a view runs."""
    body = problem_body(status, slug, detail, detail)
    return JsonResponse(body, status=status, content_type=PROBLEM_JSON)


def _page(template, *, status):
    html = loader.get_template(template).render({"business_name": settings.BUSINESS_NAME})
    return HttpResponse(html, status=status)
