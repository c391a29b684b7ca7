"""Texts of Django's own admin templates that Django does not translate into Filipino (it has
no `fil` catalog). Listed here so that `makemessages` keeps them, and their translations, in
the project's catalogs; nothing imports this module."""

from django.utils.translation import gettext_noop

DJANGO_ADMIN_TEXTS = (
    gettext_noop("Actions"),
    gettext_noop("Delete?"),
    gettext_noop("Remove from sorting"),
    gettext_noop("Sorting priority: %(priority_number)s"),
    gettext_noop("Toggle sorting"),
    gettext_noop("View"),
    gettext_noop("View on site"),
)
