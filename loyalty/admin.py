from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import emails
from accounts.consent import consenting
from accounts.models import User
from accounts.roles import is_owner
from core.admin import (
    CheckedDateHierarchyMixin,
    EstimatedCountPaginator,
    LabelledTabularInlineMixin,
    ReadOnlyAdminMixin,
    admin_context,
)
from core.translation_admin import OwnerTextsAdmin
from loyalty import import_admin, services
from loyalty.exceptions import LoyaltyError
from loyalty.forms import AdjustmentForm, WeekdaysField
from loyalty.models import (
    BonusDay,
    Card,
    CardEvent,
    DailyRun,
    PointTransaction,
    Program,
    Referral,
    RetiredCardNumber,
    Store,
    Tier,
    TierChange,
)
from loyalty.templatetags.loyalty import points, signed_points


@admin.register(Program)
class ProgramAdmin(OwnerTextsAdmin):
    fieldsets = [
        (None, {"fields": ["name"]}),
        (
            gettext_lazy("Earning"),
            {"fields": ["points_per_unit", "purchase_ceiling", "tier_window_months"]},
        ),
        (gettext_lazy("Spending"), {"fields": ["point_value", "pay_with_points_step"]}),
        (gettext_lazy("Expiry"), {"fields": ["expiry_months", "expiry_warning_days"]}),
        (gettext_lazy("Surveys"), {"fields": ["survey_invitation_days"]}),
        (
            gettext_lazy("Personal data"),
            {"fields": ["retention_years", "retention_warning_days"]},
        ),
        (
            gettext_lazy("Bonuses"),
            {
                "fields": [
                    "signup_bonus",
                    "first_purchase_bonus",
                    "birthday_bonus",
                    "survey_bonus",
                    "testimonial_bonus",
                    "testimonial_bonus_days",
                    "referral_bonus",
                    "goodwill_default",
                    "goodwill_cap",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # There is one program: the list is its form.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        program = Program.current()
        return redirect(reverse("admin:loyalty_program_change", args=[program.pk]))


@admin.register(Tier)
class TierAdmin(OwnerTextsAdmin):
    list_display = ["name", "threshold", "multiplier", "colour"]
    ordering = ["threshold"]


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "address", "is_open", "limited_staff"]
    list_filter = ["is_open"]
    search_fields = ["name", "address"]
    filter_horizontal = ["staff"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(limited=Count("staff"))

    @admin.display(description=gettext_lazy("staff limited to it"), ordering="limited")
    def limited_staff(self, store):
        return store.limited

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "staff":
            kwargs["queryset"] = User.objects.filter(is_staff=True).order_by("email")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        # A branch with sales stays, closed; its lines keep pointing at it.
        if obj is not None and obj.lines.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(BonusDay)
class BonusDayAdmin(CheckedDateHierarchyMixin, OwnerTextsAdmin):
    list_display = [
        "name",
        "starts_on",
        "ends_on",
        "days",
        "multiplier",
        "flat_bonus",
        "minimum_tier",
        "is_active",
    ]
    list_filter = ["is_active", "minimum_tier"]
    search_fields = ["name", "message"]
    date_hierarchy = "starts_on"
    actions = ["announce"]

    @admin.action(description=gettext_lazy("E-mail the news to members who agreed to offers"))
    def announce(self, request, queryset):
        members = User.objects.filter(consenting("marketing"), is_active=True, cards__isnull=False)
        sent = 0
        for bonus_day in queryset:
            for member in members.distinct().iterator():
                emails.send_to_member(
                    "bonus_day", member, {"bonus_day": bonus_day}, optional_list="marketing"
                )
                sent += 1
        messages.success(request, _("%(count)s e-mails sent.") % {"count": sent})

    @admin.display(description=gettext_lazy("weekdays"))
    def days(self, obj):
        return ", ".join(str(name) for name in obj.weekday_names()) or _("every day")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "weekdays":
            return WeekdaysField(
                required=False, label=db_field.verbose_name, help_text=db_field.help_text
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class RetiredNumberInline(LabelledTabularInlineMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = RetiredCardNumber
    fields = ["number", "reason", "retired_at", "retired_by"]
    readonly_fields = fields
    extra = 0


class CardEventInline(LabelledTabularInlineMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = CardEvent
    fields = ["created_at", "kind", "reason", "staff"]
    readonly_fields = fields
    extra = 0


class ImportedFilter(admin.SimpleListFilter):
    title = gettext_lazy("imported from a previous system")
    parameter_name = "imported"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(imported_at__isnull=self.value() == "no")
        return queryset


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    paginator = EstimatedCountPaginator  # no COUNT(*) of the whole table per page
    list_display = [
        "formatted_number",
        "holder_display",
        "tier",
        "balance",
        "status",
        "last_activity_at",
        "counter_link",
    ]
    list_filter = ["status", "tier", "is_physical", ImportedFilter]
    search_fields = [
        "number",
        "user__first_name",
        "user__last_name",
        "user__email",
        "user__phone",
        "holder_name",
        "holder_email",
    ]
    list_select_related = ["user", "tier"]
    readonly_fields = [
        "number",
        "user",
        "status",
        "balance",
        "tier",
        "is_physical",
        "claimed_at",
        "failed_claims",
        "created_at",
        "last_activity_at",
        "issued_by",
        "replaced_by",
        "imported_at",
        "holder_email_consent",
        "ledger_link",
    ]
    fields = ["holder_name", "holder_email", "holder_phone", "holder_birthday", *readonly_fields]
    inlines = [CardEventInline, RetiredNumberInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # Cards are issued at the counter or by sign-up.

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("card number"), ordering="number")
    def formatted_number(self, obj):
        return obj.formatted_number

    @admin.display(description=gettext_lazy("member"))
    def holder_display(self, obj):
        return obj.holder

    @admin.display(description=gettext_lazy("counter"))
    def counter_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:counter_card", args=[obj.pk]), _("Serve")
        )

    @admin.display(description=gettext_lazy("ledger"))
    def ledger_link(self, obj):
        url = reverse("admin:loyalty_pointtransaction_changelist") + f"?card__id__exact={obj.pk}"
        adjust = reverse("admin:loyalty_card_adjust", args=[obj.pk])
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            url,
            _("Full ledger"),
            adjust,
            _("Manual adjustment"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:card_id>/adjust/", view(self.adjust_view), name="loyalty_card_adjust"),
            path("import/", view(import_admin.upload), name="loyalty_card_import"),
            path("import/confirm/", view(import_admin.confirm), name="loyalty_card_import_confirm"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": is_owner(request.user)}
        return super().changelist_view(request, extra_context)

    def adjust_view(self, request, card_id):
        card = get_object_or_404(Card, pk=card_id)
        if not request.user.has_perm("loyalty.adjust_points"):
            messages.error(request, _("Only an owner may adjust points."))
            return redirect(reverse("admin:loyalty_card_change", args=[card.pk]))
        form = AdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                line = services.adjust_points(
                    card,
                    form.cleaned_data["points"],
                    staff=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except LoyaltyError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Adjusted by %(points)s points. New balance %(balance)s.")
                    % {"points": signed_points(line.points), "balance": points(line.balance_after)},
                )
                return redirect(reverse("admin:loyalty_card_change", args=[card.pk]))
        context = admin_context(
            request,
            title=_("Manual adjustment of card %(number)s") % {"number": card.formatted_number},
            card=card,
            form=form,
            opts=self.model._meta,
        )
        return render(request, "admin/loyalty/card/adjust.html", context)


@admin.register(PointTransaction)
class PointTransactionAdmin(CheckedDateHierarchyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    paginator = EstimatedCountPaginator  # no COUNT(*) of the whole table per page
    list_display = [
        "created_at",
        "card",
        "kind",
        "points",
        "balance_after",
        "amount",
        "reference",
        "store",
        "created_by",
        "till_key",
    ]
    list_filter = ["kind", "store", "created_at"]
    search_fields = ["card__number", "reference", "note"]
    list_select_related = ["card", "created_by", "store", "till_key"]
    date_hierarchy = "created_at"
    bounded_date_hierarchy = True  # no DISTINCT over every row for the date bar
    show_full_result_count = False
    readonly_fields = [
        "card",
        "kind",
        "points",
        "balance_after",
        "amount",
        "reference",
        "note",
        "store",
        "tier_name",
        "tier_multiplier",
        "bonus_multiplier",
        "bonus_points",
        "bonus_day_name",
        "reversal_of",
        "created_by",
        "till_key",
        "created_at",
        "source_type",
        "source_id",
    ]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("loyalty.view_pointtransaction")


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "card", "from_tier", "to_tier", "reason"]
    list_filter = ["to_tier"]
    list_select_related = ["card", "from_tier", "to_tier"]
    search_fields = ["card__number"]


@admin.register(CardEvent)
class CardEventAdmin(CheckedDateHierarchyMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "card", "kind", "reason", "staff"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["card", "staff"]
    search_fields = ["card__number", "reason"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at"]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "referrer", "referred", "status", "rewarded_at", "note"]
    list_filter = ["status", "created_at"]
    search_fields = ["referrer__email", "referred__email"]
    list_select_related = ["referrer", "referred"]


@admin.register(DailyRun)
class DailyRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["day", "finished_at", "summary"]


# The till API's keys and the stamp cards have their own modules; importing them registers them.
from loyalty import stamp_admin, till_key_admin  # noqa: E402, F401
