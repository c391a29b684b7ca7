from allauth.core import ratelimit
from django.conf import settings
from django.contrib import admin
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.adapter import login_lock_key
from accounts.roles import is_owner


class SukiAdminSite(admin.AdminSite):
    """The admin, branded, with its login rate-limited like the member login."""

    site_title = gettext_lazy("Suki admin")
    index_title = gettext_lazy("Dashboard")

    @property
    def site_header(self):
        return f"Suki · {settings.BUSINESS_NAME}"

    def get_urls(self):
        from django.urls import path

        from loyalty import counter
        from rewards import counter as reward_counter
        from suki import exports
        from surveys import counter as survey_counter

        view = self.admin_view
        urls = [
            path("counter/", view(counter.lookup), name="counter"),
            path("counter/enrol/", view(counter.enrol), name="counter_enrol"),
            path("counter/branch/", view(counter.choose_branch), name="counter_branch"),
            path("counter/card/<int:card_id>/", view(counter.card_view), name="counter_card"),
            path(
                "counter/card/<int:card_id>/purchase/",
                view(counter.purchase),
                name="counter_purchase",
            ),
            path("counter/card/<int:card_id>/block/", view(counter.block), name="counter_block"),
            path(
                "counter/card/<int:card_id>/unlock-claim/",
                view(counter.unlock_claim),
                name="counter_unlock_claim",
            ),
            path(
                "counter/card/<int:card_id>/replace/", view(counter.replace), name="counter_replace"
            ),
            path(
                "counter/card/<int:card_id>/print/", view(counter.print_card), name="counter_print"
            ),
            path(
                "counter/line/<int:line_id>/reverse/",
                view(counter.reverse_purchase),
                name="counter_reverse",
            ),
            path("counter/vouchers/", view(reward_counter.voucher_lookup), name="counter_vouchers"),
            path(
                "counter/vouchers/<int:redemption_id>/fulfil/",
                view(reward_counter.fulfil),
                name="counter_fulfil",
            ),
            path("counter/card/<int:card_id>/pay/", view(reward_counter.pay), name="counter_pay"),
            path(
                "counter/line/<int:line_id>/slip/",
                view(survey_counter.visit_slip),
                name="counter_slip",
            ),
            path("exports/", view(exports.exports_view), name="exports"),
        ]
        return urls + super().get_urls()

    def index(self, request, extra_context=None):
        """Owners open on the dashboard; staff on the counter, with no money figures."""
        from suki import dashboard

        extra_context = dict(extra_context or {})
        if is_owner(request.user):
            extra_context["dashboard"] = dashboard.build(request.GET)
        else:
            extra_context["counter_index"] = dashboard.counter_index(request.user)
        return super().index(request, extra_context)

    def login(self, request, extra_context=None):
        if request.method != "POST":
            return super().login(request, extra_context)
        key = login_lock_key(request.POST.get("username", ""))
        if not ratelimit.consume(request, action="login_failed", key=key, dry_run=True):
            return render(
                request,
                "429.html",
                {"message": _("Too many failed log-in attempts. Please try again later.")},
                status=429,
            )
        response = super().login(request, extra_context)
        if request.user.is_authenticated and request.user.is_staff:
            ratelimit.clear(request, action="login_failed", key=key)
        else:
            ratelimit.consume(request, action="login_failed", key=key)
        return response
