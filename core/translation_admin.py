"""The owner's texts in the admin: one form field per language (through django-modeltranslation),
a "Missing translations" column and a "complete / missing" filter (see `core.translations` for
what counts as missing)."""

from django.contrib import admin
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from modeltranslation.admin import TranslationAdmin

from core.translations import DEFAULT_LANGUAGE, OTHER_LANGUAGES, untranslated


def missing_flag(language: str) -> str:
    return f"translation_missing_{language}"


class TranslationsFilter(admin.SimpleListFilter):
    title = gettext_lazy("translations")
    parameter_name = "translations"

    def lookups(self, request, model_admin):
        return [("complete", _("complete")), ("missing", _("missing"))]

    def queryset(self, request, queryset):
        missing = Q()
        for language in OTHER_LANGUAGES:
            missing |= Q(**{missing_flag(language): True})
        if self.value() == "missing":
            return queryset.filter(missing)
        if self.value() == "complete":
            return queryset.exclude(missing)
        return queryset


class LanguageLabels:
    """Each language's field labelled with the language's name ("Name (Finnish)"), where
    django-modeltranslation writes its column suffix ("Name [fi]", "Name [ind]")."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        language = getattr(db_field, "language", None)
        original = getattr(db_field, "translated_field", None)
        if field is not None and language and original is not None:
            name = translation.get_language_info(language)["name_translated"]
            field.label = f"{capfirst(original.verbose_name)} ({name})"
        return field


class OwnerTextsAdmin(LanguageLabels, TranslationAdmin):
    """An admin for a model whose texts the owner writes in every language.

    The list gains a "Missing translations" column and filter, both worked out in the list's own
    query (one flag per language), so the list runs no more queries than before. Saving runs in
    the default language, so the original column keeps the English text that plain lookups and
    other apps' reports (the dashboard's top rewards, exports) read.
    """

    def untranslated(self, language: str) -> Q:
        """What makes a row incomplete in `language`; a model with parts adds theirs."""
        return untranslated(self.model, language)

    def with_translation_flags(self, queryset):
        flags = {
            missing_flag(language): ExpressionWrapper(
                self.untranslated(language), output_field=BooleanField()
            )
            for language in OTHER_LANGUAGES
        }
        return queryset.annotate(**flags)

    def get_queryset(self, request):
        return self.with_translation_flags(super().get_queryset(request))

    def get_list_display(self, request):
        return [*super().get_list_display(request), "missing_translations"]

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), TranslationsFilter]

    @admin.display(description=gettext_lazy("Missing translations"))
    def missing_translations(self, obj):
        missing = [
            language for language in OTHER_LANGUAGES if getattr(obj, missing_flag(language), False)
        ]
        return ", ".join(missing) if missing else "✓"

    def save_model(self, request, obj, form, change):
        with translation.override(DEFAULT_LANGUAGE):
            super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        with translation.override(DEFAULT_LANGUAGE):
            super().save_formset(request, form, formset, change)
