"""Small pieces every app's admin uses: read-only lists, the admin's page context, links."""

from django.contrib import admin


class ReadOnlyAdminMixin:
    """Rows written only by services: visible in the admin, never added, edited or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def admin_context(request, **extra) -> dict:
    """The admin's own template context (site header, permissions, sidebar) plus the page's,
    for the admin's custom pages (counter screens, results, figures)."""
    return {**admin.site.each_context(request), **extra}


def query_without(query, *names: str):
    """A copy of the QueryDict `query` without the parameters `names` (`.urlencode()` it for a
    link; give it to a changelist so it ignores a parameter of the page's own)."""
    copy = query.copy()
    for name in names:
        copy.pop(name, None)
    return copy
