"""The owner's texts in every language (django-modeltranslation keeps one column per language):
what is missing, and copying a row with all its languages. The admin's part is
`core.translation_admin`.

A text counts as missing in a language when it is written in the shop's default language
(English) and left blank in that one; members then read it in English. A text blank in English
too (a reward with no description) is missing nowhere.
"""

from django.conf import settings
from django.db.models import Q
from django.utils import translation
from modeltranslation.translator import translator
from modeltranslation.utils import build_localized_fieldname

DEFAULT_LANGUAGE = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
OTHER_LANGUAGES = [code for code, _name in settings.LANGUAGES if code != DEFAULT_LANGUAGE]


def translated_fields(model) -> list[str]:
    return list(translator.get_options_for_model(model).get_field_names())


def texts_of(obj, fields=None) -> dict:
    """Every language's column of `obj`'s texts, e.g. {"name_en": "Cake", "name_fi": "Kakku"},
    to copy a row with its translations."""
    return {
        build_localized_fieldname(field, language): getattr(
            obj, build_localized_fieldname(field, language)
        )
        for field in fields or translated_fields(type(obj))
        for language in [DEFAULT_LANGUAGE, *OTHER_LANGUAGES]
    }


def default_text(obj, field: str) -> str:
    """`obj`'s `field` in the shop's default language, whichever language is active: for text
    kept as a record (a ledger line's tier), not shown from the row."""
    with translation.override(DEFAULT_LANGUAGE):
        return getattr(obj, field) or ""


def untranslated(model, language: str, fields=None) -> Q:
    """Rows of `model` with a text written in the default language and blank in `language`."""
    condition = Q()
    for field in fields or translated_fields(model):
        written = build_localized_fieldname(field, DEFAULT_LANGUAGE)
        local = build_localized_fieldname(field, language)
        condition |= (
            Q(**{f"{written}__isnull": False})
            & ~Q(**{written: ""})
            & (Q(**{f"{local}__isnull": True}) | Q(**{local: ""}))
        )
    return condition


def _localized(fields: tuple[str, ...], by_language: dict[str, tuple]) -> dict[str, str]:
    """{"fi": ("Kakku", "Pala kakkua.")} for fields ("name", "description") as the columns
    {"name_fi": "Kakku", "description_fi": "Pala kakkua."}; a None or "" stays out."""
    return {
        build_localized_fieldname(field, language): value
        for language, values in by_language.items()
        for field, value in zip(fields, values, strict=True)
        if value
    }


def fill_blank_texts(model, fields: tuple[str, ...], translations: dict[str, dict]) -> int:
    """Give each row of `model` whose first field's English text is a key of `translations`
    its texts there, {"Free coffee": {"fi": ("Ilmainen kahvi", "Mikä tahansa kahvi.")}} for
    fields ("name", "description"), in the columns still blank: what the owner has written
    stays. One query to read, one per row changed."""
    key = build_localized_fieldname(fields[0], DEFAULT_LANGUAGE)
    changed = 0
    for row in model.objects.filter(**{f"{key}__in": list(translations)}):
        blank = {
            column: value
            for column, value in _localized(fields, translations[getattr(row, key)]).items()
            if not getattr(row, column)
        }
        if blank:
            model.objects.filter(pk=row.pk).update(**blank)
            changed += 1
    return changed
