from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    default = True
    name = "loyalty"
    verbose_name = "Loyalty program"

    def ready(self):
        from loyalty import signals  # noqa: F401 - connects the receivers
