"""Small pieces every app's admin uses: read-only lists, named fields in editable lists and
tabular inlines, the admin's page context, links."""

import datetime
import json

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections, models
from django.forms import MultiWidget
from django.forms.utils import pretty_name
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst, format_lazy

from core.inputs import only_digits

# The years a date bar can show: each has a year before and after it within the calendar.
YEARS = (datetime.MINYEAR + 1, datetime.MAXYEAR - 1)


class EstimatedCountPaginator(Paginator):
    """Django's paginator, except that on PostgreSQL a large table is not counted row by row
    on every page: a whole table of EXACT_BELOW rows or more is counted from the planner's
    statistics (kept current by autovacuum and ANALYZE), and a filter that matches more than
    EXACT_UP_TO rows from the planner's estimate of that filter. Fewer rows, a small table
    and SQLite count exactly."""

    EXACT_BELOW = 100_000  # rows under which counting the table exactly is cheap anyway
    EXACT_UP_TO = 10_000  # a filter's rows counted exactly, at most

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is None or query.distinct:
            return super().count
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return super().count
        if query.where:
            # A filter: at most EXACT_UP_TO + 1 rows counted, from its index; beyond them, the
            # planner's estimate of the filter. So the queries depend on the rows it matches,
            # never on the size of the table.
            counted = queryset.order_by()[: self.EXACT_UP_TO + 1].count()
            if counted <= self.EXACT_UP_TO:
                return counted
            plan = json.loads(queryset.order_by().explain(format="json"))
            return max(counted, int(plan[0]["Plan"]["Plan Rows"]))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                [queryset.model._meta.db_table],
            )
            row = cursor.fetchone()
        if row is not None and row[0] >= self.EXACT_BELOW:
            return row[0]
        return super().count


class ReadOnlyAdminMixin:
    """Rows written only by services: visible in the admin, never added, edited or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def name_each_field(form, row) -> None:
    """Give each visible field of `form`, one row of a table of forms, an accessible name of its
    own: "<label> (<row>)". In an editable list or a tabular inline the label is only the
    column's header, which names no field for a screen reader (WCAG 1.3.1, 4.1.2). The two
    halves of a field made of two inputs (a date and a time) are "<label> 1 (<row>)" and so on.
    """
    for name, field in form.fields.items():
        widget = field.widget
        if widget.is_hidden:
            continue
        label = capfirst(field.label if field.label is not None else pretty_name(name))
        inner = getattr(widget, "widget", widget)  # an admin wrapper's (add, change links)
        if isinstance(inner, MultiWidget):
            for number, half in enumerate(inner.widgets, start=1):
                half.attrs["aria-label"] = format_lazy("{} {} ({})", label, number, row)
        else:
            widget.attrs["aria-label"] = format_lazy("{} ({})", label, row)


def row_name(form, index, formset) -> str:
    """A form's row in its table: the saved object's name, else the row's number (a new row's
    template, which has no index, is the one after the last)."""
    instance = getattr(form, "instance", None)
    if instance is not None and not instance._state.adding:
        return str(instance)
    return str((formset.total_form_count() if index is None else index) + 1)


class NamedFieldsFormSetMixin:
    """A formset whose forms' visible fields, the delete box among them, name their row."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        name_each_field(form, row_name(form, index, self))


def with_named_fields(formset_class):
    return type(formset_class.__name__, (NamedFieldsFormSetMixin, formset_class), {})


class LabelledListEditableMixin:
    """For an admin with `list_editable`: each field of the list names its column and row."""

    def get_changelist_formset(self, request, **kwargs):
        return with_named_fields(super().get_changelist_formset(request, **kwargs))


class LabelledTabularInlineMixin:
    """For a TabularInline: each field of a row, and its delete box, names its column and row."""

    def get_formset(self, request, obj=None, **kwargs):
        return with_named_fields(super().get_formset(request, obj, **kwargs))


class BoundedDatesQuerySet(models.QuerySet):
    """The date bar's years, months or days from the first and last date alone, two reads of
    an index, instead of a DISTINCT over every row of a large table: each period between them
    is offered, though one may hold no rows (its list then says so)."""

    def dates(self, field_name, kind, order="ASC"):
        return self._periods(field_name, kind, order)

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        return self._periods(field_name, kind, order)

    def _periods(self, field_name, kind, order):
        bounds = self.aggregate(first=models.Min(field_name), last=models.Max(field_name))
        first, last = bounds["first"], bounds["last"]
        if first is None or last is None:
            return []
        if isinstance(first, datetime.datetime):
            first, last = timezone.localdate(first), timezone.localdate(last)
        periods = []
        day = _start(first, kind)
        while day <= last:
            periods.append(day)
            day = _next(day, kind)
        return periods if order == "ASC" else periods[::-1]


def _start(day: datetime.date, kind: str) -> datetime.date:
    if kind == "year":
        return day.replace(month=1, day=1)
    if kind == "month":
        return day.replace(day=1)
    return day


def _next(day: datetime.date, kind: str) -> datetime.date:
    if kind == "year":
        return day.replace(year=day.year + 1)
    if kind == "month":
        return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return day + datetime.timedelta(days=1)


class CheckedDateChangeList(ChangeList):
    """Django's list, refusing a date-bar year its calendar cannot hold as it refuses any other
    bad filter (back to the whole list with a note) instead of failing the page: a year of 20
    digits overflows, 9999 has no next year, and the first days of year 1 fall before it in
    UTC."""

    def get_filters(self, request):
        if self.date_hierarchy:
            year = (self.filter_params.get(f"{self.date_hierarchy}__year") or ["2000"])[-1]
            if not (only_digits(year) and len(year) <= 4 and YEARS[0] <= int(year) <= YEARS[1]):
                raise IncorrectLookupParameters(f"No year {year[:10]!r} in the date bar.")
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        if getattr(self.model_admin, "bounded_date_hierarchy", False):
            # Only the date bar reads dates() or datetimes(); the rows are the same queryset.
            queryset.__class__ = type(
                "Bounded" + queryset.__class__.__name__,
                (BoundedDatesQuerySet, queryset.__class__),
                {},
            )
        return queryset


class CheckedDateHierarchyMixin:
    """For a list with a `date_hierarchy`: its year, month and day come from the address.
    `bounded_date_hierarchy = True` on a large table's admin takes its date bar from the
    first and last date alone (BoundedDatesQuerySet)."""

    def get_changelist(self, request, **kwargs):
        return CheckedDateChangeList


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
