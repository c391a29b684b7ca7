from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from webhooks import services
from webhooks.models import Endpoint


@receiver(post_save, sender=Endpoint, dispatch_uid="webhooks.endpoint_saved")
@receiver(post_delete, sender=Endpoint, dispatch_uid="webhooks.endpoint_deleted")
def endpoint_changed(sender, **kwargs):
    """An endpoint added, changed, switched off or deleted: the next event reads them again."""
    services.forget_subscriptions()
