"""Stamp cards in the admin: the owner makes and edits them and reads their figures; the stamp
ledger is read-only, written by `loyalty.stamps` alone."""

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy

from core.admin import EstimatedCountPaginator
from core.translation_admin import OwnerTextsAdmin
from loyalty.models import StampCard, StampKind, StampLine, StampRule


class StampCardForm(forms.ModelForm):
    class Meta:
        model = StampCard
        fields = [
            "name",
            "stamps_needed",
            "rule",
            "minimum_amount",
            "product",
            "one_per_visit",
            "reward",
            "days_to_complete",
            "stores",
            "is_active",
        ]
        widgets = {"stores": forms.CheckboxSelectMultiple}

    def clean(self):
        data = super().clean()
        if data.get("rule") == StampRule.AMOUNT and not data.get("minimum_amount"):
            self.add_error(
                "minimum_amount", gettext_lazy("Give the smallest purchase that earns a stamp.")
            )
        if data.get("rule") != StampRule.AMOUNT:
            data["minimum_amount"] = None
        return data


@admin.register(StampCard)
class StampCardAdmin(OwnerTextsAdmin):
    form = StampCardForm
    list_display = [
        "name",
        "stamps_needed",
        "rule",
        "reward",
        "days_to_complete",
        "is_active",
        "stamps_given",
        "cards_filled",
    ]
    list_filter = ["is_active", "rule"]
    list_select_related = ["reward"]
    search_fields = ["name", "product"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                given=Count("lines", filter=Q(lines__kind=StampKind.STAMP)),
                filled=Count("lines", filter=Q(lines__kind=StampKind.COMPLETION)),
            )
        )

    @admin.display(description=gettext_lazy("stamp lines"), ordering="given")
    def stamps_given(self, obj):
        return obj.given

    @admin.display(description=gettext_lazy("cards filled"), ordering="filled")
    def cards_filled(self, obj):
        return obj.filled


@admin.register(StampLine)
class StampLineAdmin(admin.ModelAdmin):
    paginator = EstimatedCountPaginator  # no COUNT(*) of the whole table per page
    list_display = ["created_at", "card", "stamp_card", "kind", "stamps", "stamps_after"]
    list_filter = ["stamp_card", "kind"]
    list_select_related = ["card", "stamp_card"]
    search_fields = ["card__number"]
    show_full_result_count = False
    readonly_fields = [
        "created_at",
        "card",
        "stamp_card",
        "kind",
        "stamps",
        "stamps_after",
        "purchase",
        "started_at",
        "completion",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
