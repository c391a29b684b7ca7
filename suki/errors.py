"""Error pages that need neither the database nor the session, so they render during an outage."""

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

RETRY_AFTER_SECONDS = 30


def server_error(request):
    """Django's handler500: a database that is down or hung is an outage (503, try again soon),
    not a failure of the page (500)."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        return unavailable()
    return _page("500.html", status=500)


def unavailable():
    response = _page("503.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _page(template, *, status):
    html = loader.get_template(template).render({"business_name": settings.BUSINESS_NAME})
    return HttpResponse(html, status=status)
