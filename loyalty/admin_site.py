from allauth.core import ratelimit
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class SukiAdminSite(admin.AdminSite):
    """The admin, branded, with its login rate-limited like the member login."""

    site_title = gettext_lazy("Suki admin")
    index_title = gettext_lazy("Dashboard")

    @property
    def site_header(self):
        return f"Suki · {settings.BUSINESS_NAME}"

    def login(self, request, extra_context=None):
        if request.method != "POST":
            return super().login(request, extra_context)
        email = request.POST.get("username", "").strip().lower()
        if not ratelimit.consume(request, action="login_failed", key=email, dry_run=True):
            return render(
                request,
                "429.html",
                {"message": _("Too many failed log-in attempts. Please try again later.")},
                status=429,
            )
        response = super().login(request, extra_context)
        if request.user.is_authenticated and request.user.is_staff:
            ratelimit.clear(request, action="login_failed", key=email)
        else:
            ratelimit.consume(request, action="login_failed", key=email)
        return response
