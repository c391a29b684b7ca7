from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import is_owner
from core.admin import (
    CheckedDateHierarchyMixin,
    EstimatedCountPaginator,
    ReadOnlyAdminMixin,
    admin_context,
    query_without,
)
from core.exceptions import DomainError
from core.exports import csv_download
from core.translation_admin import OwnerTextsAdmin
from core.translations import DEFAULT_LANGUAGE, translated_fields
from rewards import services
from rewards.forms import RewardAdminForm, StockForm
from rewards.models import Redemption, Reward
from rewards.selectors import reward_figures


def _units(field, description):
    @admin.display(description=description, ordering=field)
    def column(modeladmin, obj):
        return getattr(obj, field)

    return column


@admin.register(Reward)
class RewardAdmin(OwnerTextsAdmin):
    form = RewardAdminForm
    list_display = [
        "name",
        "kind",
        "points_cost",
        "stock_left",
        "redeemed",
        "fulfilled",
        "cancelled",
        "expired",
        "minimum_tier",
        "is_active",
        "display_order",
    ]
    list_filter = ["is_active", "kind", "minimum_tier"]
    search_fields = ["name", "description"]
    list_select_related = ["minimum_tier"]

    redeemed = _units("redeemed_units", gettext_lazy("redeemed"))
    fulfilled = _units("fulfilled_units", gettext_lazy("used"))
    cancelled = _units("cancelled_units", gettext_lazy("cancelled"))
    expired = _units("expired_units", gettext_lazy("expired"))

    def get_queryset(self, request):
        return self.with_translation_flags(reward_figures().select_related("minimum_tier"))

    @admin.display(description=gettext_lazy("stock left"), ordering="stock")
    def stock_left(self, obj):
        return _("unlimited") if obj.stock is None else obj.stock

    @admin.display(description=gettext_lazy("stock"))
    def stock_and_change(self, obj):
        return format_html(
            '{} · <a href="{}">{}</a>',
            self.stock_left(obj),
            reverse("admin:rewards_reward_stock", args=[obj.pk]),
            _("Change stock"),
        )

    def _stock_shown(self, request, obj):
        """Stock is typed in only for a new reward; afterwards it changes through the services."""
        if obj is None:
            return "stock" if is_owner(request.user) else None
        return "stock_and_change" if is_owner(request.user) else "stock_left"

    def get_fields(self, request, obj=None):
        shown = self._stock_shown(request, obj)
        fields = self.replace_orig_field([n for n in self.form._meta.fields if n != "stock"])
        if shown:
            fields.insert(fields.index("points_cost") + 1, shown)
        return fields

    def get_readonly_fields(self, request, obj=None):
        shown = self._stock_shown(request, obj)
        return [shown] if shown in {"stock_and_change", "stock_left"} else []

    def save_model(self, request, obj, form, change):
        with translation.override(DEFAULT_LANGUAGE):  # the original columns keep the English
            self._save_reward(request, obj, form, change)

    def _save_reward(self, request, obj, form, change):
        if change:
            # Saving the whole row would write back the stock read when the page was posted,
            # undoing units redeemed meanwhile.
            fields = [name for name in form.fields if name != "stock"]
            obj.save(update_fields=[*fields, *translated_fields(Reward)])
            return
        stock, obj.stock = obj.stock, None
        obj.save()
        if stock is not None:
            services.set_stock(obj, stock=stock, staff=request.user)
            obj.stock = stock

    def get_urls(self):
        view = self.admin_site.admin_view
        stock = path("<int:reward_id>/stock/", view(self.stock_view), name="rewards_reward_stock")
        return [stock, *super().get_urls()]

    def stock_view(self, request, reward_id):
        if not is_owner(request.user):
            raise PermissionDenied
        reward = get_object_or_404(Reward, pk=reward_id)
        form = StockForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reward = _change_stock(reward, form.cleaned_data, staff=request.user)
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                message = _("Stock of %(reward)s is now %(stock)s.") % {
                    "reward": reward.name,
                    "stock": self.stock_left(reward),
                }
                self.log_change(request, reward, message)
                messages.success(request, message)
                return redirect("admin:rewards_reward_change", reward.pk)
        context = admin_context(
            request,
            title=_("Change the stock of %(reward)s") % {"reward": reward.name},
            reward=reward,
            stock=self.stock_left(reward),
            form=form,
            opts=self.model._meta,
        )
        return render(request, "admin/rewards/reward/stock.html", context)


def _change_stock(reward, cleaned, *, staff):
    if cleaned["change"] == StockForm.ADD:
        return services.restock(reward, add=cleaned["units"], staff=staff)
    stock = cleaned["units"] if cleaned["change"] == StockForm.SET else None
    return services.set_stock(reward, stock=stock, staff=staff)


@admin.action(description=gettext_lazy("Export the selected redemptions as CSV"))
def export_csv(modeladmin, request, queryset):
    return redemptions_csv(queryset)


REDEMPTION_COLUMNS = [
    "code",
    "reward",
    "kind",
    "card",
    "member_email",
    "quantity",
    "points",
    "status",
    "redeemed_at",
    "valid_until",
    "fulfilled_at",
    "fulfilled_by",
    "closed_at",
]


def _when(moment):
    return moment.isoformat() if moment else ""


def redemptions_csv(queryset):
    rows = (
        [
            redemption.code,
            redemption.reward.name,
            redemption.reward.kind,
            redemption.card.number,
            redemption.card.user.email if redemption.card.user else "",
            redemption.quantity,
            redemption.points,
            redemption.status,
            _when(redemption.created_at),
            _when(redemption.valid_until),
            _when(redemption.fulfilled_at),
            redemption.fulfilled_by.email if redemption.fulfilled_by else "",
            _when(redemption.closed_at),
        ]
        for redemption in queryset.select_related("reward", "card__user", "fulfilled_by").iterator()
    )
    return csv_download("redemptions.csv", REDEMPTION_COLUMNS, rows)


@admin.register(Redemption)
class RedemptionAdmin(CheckedDateHierarchyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    paginator = EstimatedCountPaginator  # no COUNT(*) of the whole table per page
    show_full_result_count = False
    list_display = [
        "formatted_code",
        "reward",
        "card",
        "quantity",
        "points",
        "status",
        "created_at",
        "valid_until",
        "fulfilled_by",
        "fulfilled_store",
    ]
    list_filter = ["status", "reward", "fulfilled_store", "created_at"]
    search_fields = ["code", "card__number", "card__user__email", "reward__name"]
    list_select_related = ["reward", "card", "fulfilled_by", "fulfilled_store"]
    date_hierarchy = "created_at"
    bounded_date_hierarchy = True  # no DISTINCT over every row for the date bar
    actions = [export_csv]
    readonly_fields = [
        "code",
        "card",
        "reward",
        "quantity",
        "points",
        "status",
        "created_at",
        "valid_until",
        "fulfilled_at",
        "fulfilled_by",
        "fulfilled_store",
        "closed_at",
        "closed_by",
    ]

    @admin.display(description=gettext_lazy("voucher code"), ordering="code")
    def formatted_code(self, obj):
        return obj.formatted_code

    def changelist_view(self, request, extra_context=None):
        if request.GET.get("export") == "csv" and is_owner(request.user):
            request.GET = query_without(request.GET, "export")
            try:
                changelist = self.get_changelist_instance(request)
            except IncorrectLookupParameters:
                # The list answers a bad filter itself: back to the whole list, no download.
                return super().changelist_view(request, extra_context)
            return redemptions_csv(changelist.get_queryset(request))
        extra_context = {**(extra_context or {}), "can_export": is_owner(request.user)}
        return super().changelist_view(request, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not is_owner(request.user):
            actions.pop("export_csv", None)
        return actions
