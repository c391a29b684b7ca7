"""Till keys in the admin, for owners only (staff hold no till-key permission): make a key for
a till or an online shop, see when each was last used, revoke one. A key is shown once, when it
is made; only its hash is stored."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext
from rest_framework_api_key.admin import APIKeyModelAdmin

from loyalty.models import Scope, TillKey


class TillKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("What it may do"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=list(Scope.values),
    )

    class Meta:
        model = TillKey
        fields = ["name", "store", "scopes", "requests_per_minute", "revoked"]


@admin.register(TillKey)
class TillKeyAdmin(APIKeyModelAdmin):
    form = TillKeyForm
    list_display = ["name", "store", "scope_list", "prefix", "created", "last_used_at", "revoked"]
    list_filter = ["store", "revoked", "created"]
    list_select_related = ["store"]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        fields = (*super().get_readonly_fields(request, obj), "created", "last_used_at")
        if obj is not None and obj.revoked:
            fields = (*fields, "store", "scopes", "requests_per_minute")
        return fields

    def get_fields(self, request, obj=None):
        # No expiry date: a key is revoked when its till goes, which is clearer at the counter
        # than a date someone has to remember (and the date-and-time widget has no labels).
        fields = ["name", "store", "scopes", "requests_per_minute", "revoked"]
        return fields if obj is None else ["prefix", *fields, "created", "last_used_at"]

    @admin.display(description=gettext_lazy("What it may do"))
    def scope_list(self, key):
        return ", ".join(key.scopes or []) or "–"

    @admin.action(description=gettext_lazy("Revoke the chosen keys"), permissions=["change"])
    def revoke(self, request, queryset):
        # Revoking cannot be undone; a key already revoked stays as it is.
        count = queryset.filter(revoked=False).update(revoked=True)
        messages.success(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", count) % {"count": count},
        )
