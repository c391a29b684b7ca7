from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_a_branch(sender, using="default", **kwargs):
    """Every shop has at least one branch to record sales in: a new one starts with its
    "Main branch", for the owner to rename."""
    from loyalty.models import Store

    if not Store.objects.using(using).exists():
        Store.objects.using(using).create(name="Main branch")


class LoyaltyConfig(AppConfig):
    default = True
    name = "loyalty"
    verbose_name = "Loyalty program"

    def ready(self):
        from loyalty import signals  # noqa: F401 - connects the receivers

        post_migrate.connect(ensure_a_branch, sender=self, dispatch_uid="loyalty.ensure_a_branch")
