"""The complaints queue, the case page staff work each case on, the owner's complaint
figures, SLA targets and reply templates."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import is_owner
from core.admin import (
    CheckedDateHierarchyMixin,
    EstimatedCountPaginator,
    LabelledListEditableMixin,
    admin_context,
)
from core.exceptions import DomainError
from core.inputs import row_id
from loyalty.models import Program
from surveys import selectors, services
from surveys.exceptions import ComplaintError
from surveys.models import (
    Complaint,
    ComplaintPriority,
    ComplaintResolution,
    ComplaintStatus,
    ReplyTemplate,
    SLATarget,
)


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        return queryset


class StaffReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=4000,
        error_messages={
            "required": gettext_lazy("Write a message first."),
            "max_length": gettext_lazy(
                "A message can have at most %(limit_value)d characters; this one has "
                "%(show_value)d. Shorten it or send it in two parts."
            ),
        },
    )
    internal = forms.BooleanField(
        label=gettext_lazy("Internal note (never shown to the customer)"), required=False
    )


class ResolveForm(forms.Form):
    resolution_type = forms.ChoiceField(
        label=gettext_lazy("Resolution"), choices=ComplaintResolution.choices
    )
    summary = forms.CharField(
        label=gettext_lazy("Summary for the customer"), widget=forms.Textarea(attrs={"rows": 3})
    )
    goodwill_points = forms.IntegerField(
        label=gettext_lazy("Goodwill points"), min_value=0, max_value=100_000, initial=0
    )
    goodwill_reason = forms.CharField(
        label=gettext_lazy("Why this case gets more goodwill (owner)"),
        max_length=200,
        required=False,
    )


class AssignForm(forms.Form):
    # Empty leaves the case with nobody.
    assignee = forms.ModelChoiceField(queryset=User.objects.filter(is_staff=True), required=False)


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(choices=ComplaintPriority.choices, coerce=int)


MISSED_PROMISE = {
    "first_response": gettext_lazy("First reply overdue since %(when)s"),
    "resolution": gettext_lazy("Resolution overdue since %(when)s"),
}


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


@admin.register(Complaint)
class ComplaintAdmin(CheckedDateHierarchyMixin, admin.ModelAdmin):
    paginator = EstimatedCountPaginator  # no COUNT(*) of the whole table per page
    # Few, short columns, so the queue fits a 1024 px tablet beside the filters; category and
    # date received stay as filters and the date bar.
    list_display = ["reference_link", "name", "status", "priority", "assignee", "due"]
    # The reference links to the case page; the raw change form is not used.
    list_display_links = None
    list_filter = ["status", "priority", "category", "assignee", OverdueFilter, "channel"]
    search_fields = ["reference", "name", "email", "description", "receipt_number"]
    list_select_related = ["assignee"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("reference"), ordering="reference")
    def reference_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:surveys_complaint_case", args=[obj.pk]),
            obj.reference,
        )

    @admin.display(description=gettext_lazy("due"), ordering="resolution_due")
    def due(self, obj):
        if not obj.is_open or obj.resolution_due is None:
            return "–"
        missed = obj.missed_promises(timezone.now())
        if missed:
            return format_html_join(
                "",
                '<div class="overdue">{}</div>',
                (
                    (MISSED_PROMISE[promise.name] % {"when": _when(getattr(obj, promise.due))},)
                    for promise in missed
                ),
            )
        return _when(obj.resolution_due)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Cases change through the case page and its services, never a raw model form.
        complaint_id = row_id(object_id)
        if complaint_id is None:
            raise Http404
        return redirect("admin:surveys_complaint_case", complaint_id)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:complaint_id>/case/", view(self.case_view), name="surveys_complaint_case"),
            path("<int:complaint_id>/act/", view(self.act_view), name="surveys_complaint_act"),
            path("figures/", view(self.figures_view), name="surveys_complaint_figures"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "figures_url": reverse("admin:surveys_complaint_figures"),
        }
        return super().changelist_view(request, extra_context)

    def case_view(self, request, complaint_id):
        if not request.user.has_perm("surveys.view_complaint"):
            raise PermissionDenied
        complaint = get_object_or_404(
            Complaint.objects.select_related(
                "user", "card__tier", "assignee", "disputed_line", "survey_response"
            ),
            pk=complaint_id,
        )
        recent = complaint.card.transactions.all()[:8] if complaint.card_id else []
        goodwill_paid = selectors.goodwill_paid(complaint)
        owner = is_owner(request.user)
        resolve_form = ResolveForm(initial={"goodwill_points": 0})
        if not (owner and goodwill_paid):
            # Only an owner adding to goodwill already paid gives a reason.
            del resolve_form.fields["goodwill_reason"]
        context = admin_context(
            request,
            opts=self.model._meta,
            title=_("Case %(reference)s") % {"reference": complaint.reference},
            complaint=complaint,
            thread=complaint.messages.select_related("author"),
            events=complaint.events.select_related("actor"),
            recent=recent,
            other_cases=Complaint.objects.filter(user=complaint.user_id).exclude(pk=complaint.pk)[
                :5
            ]
            if complaint.user_id
            else [],
            reply_form=StaffReplyForm(),
            resolve_form=resolve_form,
            goodwill_paid=goodwill_paid,
            goodwill_cap=Program.current().goodwill_cap,
            templates=ReplyTemplate.objects.all(),
            staff_users=User.objects.filter(is_staff=True, is_active=True).order_by(
                "first_name", "email"
            ),
            priorities=ComplaintPriority.choices,
            next_statuses=[
                (status, ComplaintStatus(status).label)
                for status in services.TRANSITIONS.get(complaint.status, set())
                if status != ComplaintStatus.RESOLVED
            ],
            can_change=request.user.has_perm("surveys.change_complaint"),
            can_adjust=request.user.has_perm("loyalty.adjust_points"),
        )
        return render(request, "admin/surveys/case.html", context)

    def act_view(self, request, complaint_id):
        """Every change on the case page posts here with an `action`; each calls one service."""
        if request.method != "POST" or not request.user.has_perm("surveys.change_complaint"):
            raise PermissionDenied
        complaint = get_object_or_404(Complaint, pk=complaint_id)
        action = request.POST.get("action")
        try:
            self._act(request, complaint, action)
        except DomainError as error:
            messages.error(request, str(error))
        return redirect("admin:surveys_complaint_case", complaint.pk)

    def _act(self, request, complaint, action):
        user = request.user
        if action == "reply":
            form = StaffReplyForm(request.POST)
            if not form.is_valid():
                raise ComplaintError(" ".join(e for errors in form.errors.values() for e in errors))
            services.reply(
                complaint,
                form.cleaned_data["body"],
                author=user,
                internal=form.cleaned_data["internal"],
            )
            messages.success(
                request,
                _("Note saved.")
                if form.cleaned_data["internal"]
                else _("Reply sent to the customer."),
            )
        elif action == "status":
            services.change_status(complaint, request.POST.get("status", ""), actor=user)
            messages.success(request, _("Status changed."))
        elif action == "reopen":
            services.reopen(complaint, by=user)
            messages.success(request, _("Case reopened."))
        elif action == "assign":
            form = AssignForm(request.POST)
            if not form.is_valid():
                raise ComplaintError(_("Choose a staff member."))
            services.assign(complaint, form.cleaned_data["assignee"], actor=user)
            messages.success(request, _("Assigned."))
        elif action == "priority":
            form = PriorityForm(request.POST)
            if not form.is_valid():
                raise ComplaintError(_("Choose a priority."))
            services.set_priority(complaint, form.cleaned_data["priority"], actor=user)
            messages.success(request, _("Priority changed; due times recomputed."))
        elif action == "resolve":
            form = ResolveForm(request.POST)
            if not form.is_valid():
                raise ComplaintError(" ".join(e for errors in form.errors.values() for e in errors))
            services.resolve_complaint(complaint, actor=user, **form.cleaned_data)
            messages.success(request, _("Case resolved; the customer has been e-mailed."))
        else:
            raise ComplaintError(_("Unknown action."))

    def figures_view(self, request):
        if not request.user.has_perm("surveys.view_survey_results"):
            raise PermissionDenied
        context = admin_context(
            request,
            opts=self.model._meta,
            title=_("Complaint figures"),
            **selectors.complaint_figures(),
        )
        return render(request, "admin/surveys/complaint_figures.html", context)


@admin.register(SLATarget)
class SLATargetAdmin(LabelledListEditableMixin, admin.ModelAdmin):
    list_display = ["priority", "first_response_hours", "resolution_hours"]
    list_editable = ["first_response_hours", "resolution_hours"]


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ["title"]
    search_fields = ["title", "body"]
