"""Webhooks in the admin: the owner's endpoints with their secret and a test button, and the
log of deliveries with every attempt, which the owner can send again."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.admin import LabelledTabularInlineMixin, ReadOnlyAdminMixin
from webhooks import services
from webhooks.models import Attempt, Delivery, Endpoint, Event

RECENT_DELIVERIES = 10


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=gettext_lazy("address"),
        max_length=500,
        assume_scheme="https",
        help_text=Endpoint._meta.get_field("url").help_text,
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("events"),
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("What this endpoint is sent."),
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "events", "is_active"]


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["__str__", "url", "event_list", "is_active", "created_at"]
    list_filter = ["is_active"]

    def get_fields(self, request, obj=None):
        fields = ["url", "description", "events", "is_active"]
        # The secret exists once the endpoint is saved; the add page would show one never used.
        return [*fields, "secret", "created_at", "recent_deliveries"] if obj else fields

    def get_readonly_fields(self, request, obj=None):
        return ["secret", "created_at", "recent_deliveries"] if obj else []

    @admin.display(description=gettext_lazy("events"))
    def event_list(self, obj):
        labels = dict(Event.choices)
        return ", ".join(str(labels.get(event, event)) for event in obj.events) or "—"

    @admin.display(description=gettext_lazy("recent deliveries"))
    def recent_deliveries(self, obj):
        deliveries = obj.deliveries.order_by("-created_at", "-pk")[:RECENT_DELIVERIES]
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:webhooks_delivery_change", args=[delivery.pk]),
                    date_format(timezone.localtime(delivery.created_at), "SHORT_DATETIME_FORMAT"),
                    delivery.event_type,
                    delivery.get_status_display(),
                    delivery.last_status_code or "—",
                    delivery.attempts,
                )
                for delivery in deliveries
            ),
        )
        if not rows:
            return _("Nothing sent yet.")
        changelist = reverse("admin:webhooks_delivery_changelist")
        everything = f"{changelist}?endpoint__id__exact={obj.pk}"
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            '</thead><tbody>{}</tbody></table><p><a href="{}">{}</a></p>',
            _("created"),
            _("event"),
            _("status"),
            _("last response code"),
            _("attempts"),
            rows,
            everything,
            _("All deliveries to this endpoint"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:endpoint_id>/send-test/",
                view(self.send_test_view),
                name="webhooks_endpoint_send_test",
            ),
            path(
                "<int:endpoint_id>/rotate-secret/",
                view(self.rotate_secret_view),
                name="webhooks_endpoint_rotate_secret",
            ),
            *super().get_urls(),
        ]

    def _endpoint_to_change(self, request, endpoint_id) -> Endpoint:
        endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
        if not self.has_change_permission(request, endpoint):
            raise PermissionDenied
        return endpoint

    @staticmethod
    def _back(endpoint):
        return redirect("admin:webhooks_endpoint_change", endpoint.pk)

    def send_test_view(self, request, endpoint_id):
        return require_POST(self._send_test)(request, endpoint_id)

    def _send_test(self, request, endpoint_id):
        endpoint = self._endpoint_to_change(request, endpoint_id)
        if not endpoint.is_active:
            messages.error(request, _("Switch the endpoint on to send it a test event."))
            return self._back(endpoint)
        delivery = services.send_test_event(endpoint)
        messages.success(
            request,
            _("A test event (%(message_id)s) is on its way; its delivery is listed below.")
            % {"message_id": delivery.message_id},
        )
        return self._back(endpoint)

    def rotate_secret_view(self, request, endpoint_id):
        return require_POST(self._rotate_secret)(request, endpoint_id)

    def _rotate_secret(self, request, endpoint_id):
        endpoint = services.rotate_secret(self._endpoint_to_change(request, endpoint_id))
        self.log_change(request, endpoint, _("Rotated the signing secret."))
        messages.warning(request, _("The endpoint has a new secret: give it to the receiver now."))
        return self._back(endpoint)


class AttemptInline(LabelledTabularInlineMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = Attempt
    fields = ["at", "status_code", "duration_ms", "error", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_duration_ms",
        "delivered_at",
    ]
    list_filter = ["status", "event_type", "endpoint"]
    list_select_related = ["endpoint"]
    search_fields = ["message_id"]
    fields = [
        "endpoint",
        "event_type",
        "message_id",
        "status",
        "attempts",
        "last_status_code",
        "last_duration_ms",
        "last_error",
        "created_at",
        "delivered_at",
        "body",
    ]
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["redeliver"]

    @admin.display(description=gettext_lazy("payload"))
    def body(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False))

    def has_redeliver_permission(self, request):
        return request.user.has_perm("webhooks.change_delivery")

    @admin.action(
        description=gettext_lazy("Send the selected deliveries again"),
        permissions=["redeliver"],
    )
    def redeliver(self, request, queryset):
        count = 0
        for delivery in queryset.order_by("pk"):
            services.redeliver(delivery)
            count += 1
        messages.success(request, _("%(count)s deliveries queued again.") % {"count": count})
