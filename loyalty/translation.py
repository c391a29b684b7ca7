"""The owner's program texts, one column per language (django-modeltranslation): what a member
reads of the program, the tiers, the bonus days and the stamp cards."""

from modeltranslation.translator import TranslationOptions, register

from loyalty.models import BonusDay, Program, StampCard, Tier


@register(Program)
class ProgramTranslation(TranslationOptions):
    fields = ("name",)


@register(Tier)
class TierTranslation(TranslationOptions):
    fields = ("name", "benefits")
    # A tier's name is unique in each language; a name not translated is stored as NULL, which
    # the unique constraint lets any number of tiers share, rather than "", which it would not.
    empty_values = {"name": None}


@register(BonusDay)
class BonusDayTranslation(TranslationOptions):
    fields = ("name", "message")


@register(StampCard)
class StampCardTranslation(TranslationOptions):
    fields = ("name",)
