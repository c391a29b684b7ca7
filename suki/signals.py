"""Saving or deleting anything the shop shows on its pages makes every kept page old
(core.pagecache). Writes that bypass save() on these models (a queryset's update) are the
services' own and change only what a page's state already reads (a reward's stock)."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from core import pagecache
from loyalty.models import BonusDay, Program, StampCard, Store, Tier
from rewards.models import Reward
from surveys.models import Choice, Question, Survey, Testimonial

CONTENT = (Program, Tier, BonusDay, Store, StampCard, Reward, Survey, Question, Choice, Testimonial)


def content_changed(sender, **kwargs):
    pagecache.forget()


def connect() -> None:
    for model in CONTENT:
        label = model._meta.label_lower
        post_save.connect(content_changed, sender=model, dispatch_uid=f"suki.{label}.saved")
        post_delete.connect(content_changed, sender=model, dispatch_uid=f"suki.{label}.deleted")
        for field in model._meta.many_to_many:
            m2m_changed.connect(
                content_changed,
                sender=field.remote_field.through,
                dispatch_uid=f"suki.{label}.{field.name}",
            )
