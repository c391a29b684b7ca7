"""Testimonials in the admin: staff read them and approve (publish) or reject them."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from surveys import services
from surveys.models import Testimonial, TestimonialStatus


@admin.register(Testimonial)
class TestimonialAdmin(admin.ModelAdmin):
    list_display = ["created_at", "signature", "rating", "text", "status", "decided_by"]
    list_filter = ["status", "rating"]
    list_select_related = ["user", "decided_by"]
    readonly_fields = ["user", "rating", "text", "status", "created_at", "decided_at", "decided_by"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=gettext_lazy("member"))
    def signature(self, obj):
        return obj.signature

    @admin.action(description=gettext_lazy("Approve and publish"), permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description=gettext_lazy("Reject"), permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, approve=False)

    def _decide(self, request, queryset, *, approve):
        done = 0
        for testimonial in queryset.filter(status=TestimonialStatus.PENDING):
            services.decide_testimonial(testimonial, approve=approve, staff=request.user)
            done += 1
        messages.success(
            request,
            ngettext("%(count)s testimonial reviewed.", "%(count)s testimonials reviewed.", done)
            % {"count": done},
        )
