from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.roles import is_owner
from loyalty.exports import csv_download
from rewards.forms import RewardAdminForm
from rewards.models import Redemption, Reward
from rewards.selectors import reward_figures


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
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

    def get_queryset(self, request):
        return reward_figures().select_related("minimum_tier")

    @admin.display(description=_("stock left"), ordering="stock")
    def stock_left(self, obj):
        return _("unlimited") if obj.stock is None else obj.stock

    @admin.display(description=_("redeemed"), ordering="redeemed_units")
    def redeemed(self, obj):
        return obj.redeemed_units

    @admin.display(description=_("used"), ordering="fulfilled_units")
    def fulfilled(self, obj):
        return obj.fulfilled_units

    @admin.display(description=_("cancelled"), ordering="cancelled_units")
    def cancelled(self, obj):
        return obj.cancelled_units

    @admin.display(description=_("expired"), ordering="expired_units")
    def expired(self, obj):
        return obj.expired_units


@admin.action(description=_("Export the selected redemptions as CSV"))
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
class RedemptionAdmin(admin.ModelAdmin):
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
    ]
    list_filter = ["status", "reward", "created_at"]
    search_fields = ["code", "card__number", "card__user__email", "reward__name"]
    list_select_related = ["reward", "card", "fulfilled_by"]
    date_hierarchy = "created_at"
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
        "closed_at",
        "closed_by",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("voucher code"), ordering="code")
    def formatted_code(self, obj):
        return obj.formatted_code

    def changelist_view(self, request, extra_context=None):
        if request.GET.get("export") == "csv" and is_owner(request.user):
            changelist = self.get_changelist_instance(_without_export(request))
            return redemptions_csv(changelist.get_queryset(request))
        extra_context = {**(extra_context or {}), "can_export": is_owner(request.user)}
        return super().changelist_view(request, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not is_owner(request.user):
            actions.pop("export_csv", None)
        return actions


def _without_export(request):
    request.GET = request.GET.copy()
    request.GET.pop("export", None)
    return request
