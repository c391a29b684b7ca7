from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Members and staff"

    def ready(self):
        from accounts import roles

        # New models add permissions after the first migration; keep the groups current.
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="accounts.sync_roles")
