from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SukiConfig(AppConfig):
    """The project itself: the pages that combine every app, the daily run and the demo."""

    default = True
    name = "suki"
    verbose_name = "Suki"

    def ready(self):
        from suki import signals

        signals.connect()


class SukiAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "suki.admin_site.SukiAdminSite"
