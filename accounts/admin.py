from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts import consent
from accounts.models import ConsentChange, ConsentSource, User
from core.admin import LabelledTabularInlineMixin


class ConsentHistory(LabelledTabularInlineMixin, admin.TabularInline):
    model = ConsentChange
    fk_name = "user"
    fields = ["created_at", "mailing_list", "given", "source", "changed_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("consent history")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [ConsentHistory]
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "phone", "is_staff", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups", "language"]
    search_fields = ["email", "first_name", "last_name", "phone"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            _("Profile"),
            {
                "fields": [
                    "first_name",
                    "last_name",
                    "birthday",
                    "phone",
                    "language",
                    "marketing_consent",
                    "receipt_emails",
                ]
            },
        ),
        (
            _("Roles"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]

    def save_model(self, request, obj, form, change):
        """A consent ticked or unticked here was asked for in the shop: it joins the history."""
        super().save_model(request, obj, form, change)
        changes = {
            name: bool(getattr(obj, field))
            for name, field in consent.CONSENT_FIELDS.items()
            if field in form.changed_data
        }
        consent.record(obj, changes, source=ConsentSource.SHOP, by=request.user)
