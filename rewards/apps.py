from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "rewards"
    verbose_name = "Rewards"

    def ready(self):
        from rewards import stamp_vouchers  # noqa: F401  (connects the stamp card receivers)
