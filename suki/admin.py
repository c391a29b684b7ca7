"""The task queue in the admin: owners see deliveries that failed for good and send them again."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks.base import TaskResultStatus
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from accounts.roles import is_owner


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
