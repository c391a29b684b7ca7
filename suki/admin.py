"""The task queue in the admin: owners see deliveries that failed for good and send them again."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks.base import TaskResultStatus
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from accounts.admin import UserAdmin
from accounts.models import User
from accounts.roles import is_owner
from core.admin import admin_context
from suki import privacy
from suki.models import PrivacyRecord, PrivacySource
from suki.privacy_views import data_response


class TaskAdmin(DBTaskResultAdmin):
    list_display = ["task_name", "status", "enqueued_at", "finished_at", "summary"]
    list_filter = ["status", "queue_name"]
    actions = ["send_again"]

    @admin.display(description=gettext_lazy("what happened"))
    def summary(self, obj):
        if obj.status == TaskResultStatus.FAILED:
            return obj.exception_class_path.rsplit(".", 1)[-1]
        return obj.return_value if isinstance(obj.return_value, str) else ""

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not is_owner(request.user):
            actions.pop("send_again", None)
        return actions

    @admin.action(description=gettext_lazy("Send the failed deliveries again"))
    def send_again(self, request, queryset):
        sent = 0
        for result in queryset.filter(status=TaskResultStatus.FAILED):
            kwargs = dict(result.args_kwargs["kwargs"])
            if "attempt" in kwargs:  # a fresh retry window
                kwargs.update(attempt=1, first_tried="")
            task = result.task.using(run_after=timezone.now())
            task.enqueue(*result.args_kwargs["args"], **kwargs)
            # The new attempt replaces the failed one, so the list shows only what still fails.
            result.delete()
            sent += 1
        messages.success(request, _("%(count)s deliveries queued again.") % {"count": sent})


admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, TaskAdmin)


# Personal data: the owner answers a request received in the shop. -------------------------


class PrivacyRequestForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Request"),
        max_length=300,
        help_text=gettext_lazy(
            "How the member asked and how you checked it was them, e.g. "
            "“In person at the counter, ID seen”."
        ),
    )


class EraseForm(PrivacyRequestForm):
    understood = forms.BooleanField(
        label=gettext_lazy("The member's points, vouchers and account are gone for good.")
    )


class MemberAdmin(UserAdmin):
    """The user admin, with the owner's answers to personal-data requests on a member's page."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:user_id>/personal-data/",
                view(self.personal_data_view),
                name="accounts_user_personal_data",
            ),
            path("<int:user_id>/erase/", view(self.erase_view), name="accounts_user_erase"),
            *super().get_urls(),
        ]

    def _member(self, request, user_id):
        if not is_owner(request.user):
            raise PermissionDenied
        return get_object_or_404(User, pk=user_id, is_staff=False, erased_at__isnull=True)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "privacy_actions": is_owner(request.user)}
        return super().change_view(request, object_id, form_url, extra_context)

    def personal_data_view(self, request, user_id):
        member = self._member(request, user_id)
        form = PrivacyRequestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            content = privacy.export(
                member,
                source=PrivacySource.SHOP,
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
            return data_response(member, content)
        return self._page(request, member, form, _("Download the personal data of %(member)s"))

    def erase_view(self, request, user_id):
        member = self._member(request, user_id)
        form = EraseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            privacy.erase(
                member,
                source=PrivacySource.SHOP,
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("The member's personal data is erased."))
            return redirect("admin:suki_privacyrecord_changelist")
        return self._page(request, member, form, _("Erase the personal data of %(member)s"))

    def _page(self, request, member, form, title):
        context = admin_context(
            request,
            title=title % {"member": member},
            member=member,
            form=form,
            erase=isinstance(form, EraseForm),
            opts=self.model._meta,
        )
        return render(request, "admin/accounts/user/privacy.html", context)


admin.site.unregister(User)
admin.site.register(User, MemberAdmin)


@admin.register(PrivacyRecord)
class PrivacyRecordAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "source", "member_number", "by", "reason"]
    list_filter = ["action", "source"]
    list_select_related = ["by"]
    date_hierarchy = "created_at"

    @admin.display(description=gettext_lazy("member no."), ordering="member")
    def member_number(self, obj):
        return obj.member_id

    # Seen by owners, who hold every permission of the project's app (accounts.roles).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
