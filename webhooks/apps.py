from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default = True
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from webhooks import signals  # noqa: F401 - connects the receivers
