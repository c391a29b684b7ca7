from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class LoyaltyConfig(AppConfig):
    default = True
    name = "loyalty"
    verbose_name = "Loyalty program"

    def ready(self):
        from loyalty import signals  # noqa: F401 - connects the receivers


class SukiAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "loyalty.admin_site.SukiAdminSite"
