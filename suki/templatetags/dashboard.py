"""How the dashboard writes its figures: counts with separators, money with its sign,
shares as percentages, NPS as a signed whole number, durations the way people say them."""

from django import template
from django.utils.formats import number_format

from core.money import format_money
from loyalty.templatetags.loyalty import duration

register = template.Library()


@register.filter
def figure(value, kind="count"):
    if value is None or value == "":
        return "–"
    if kind == "money":
        return format_money(value)
    if kind == "share":
        return f"{number_format(value * 100, 0, use_l10n=True)} %"
    if kind == "percent":  # already in percent, as survey scores are
        return f"{number_format(value, 0, use_l10n=True)} %"
    if kind == "score":
        return f"{round(value):+d}"
    if kind in ("ratio", "rating"):
        return number_format(value, 1, use_l10n=True)
    if kind == "duration":
        return duration(value)
    return number_format(value, 0, use_l10n=True, force_grouping=True)


@register.filter
def change(item):
    """The change against the period before, in the figure's own unit."""
    difference = item.change
    if difference is None:
        return ""
    if item.kind == "share":
        text = f"{number_format(abs(difference) * 100, 0, use_l10n=True)} pt"
    elif item.kind == "percent":
        text = f"{number_format(abs(difference), 0, use_l10n=True)} pt"
    elif item.kind == "score":
        text = str(abs(round(difference)))
    elif item.kind in ("ratio", "rating"):
        text = number_format(abs(difference), 1, use_l10n=True)
    elif item.kind == "money":
        text = format_money(abs(difference))
    else:
        text = number_format(abs(difference), 0, use_l10n=True, force_grouping=True)
    if not any(digit in text for digit in "123456789"):
        return "="  # a change too small to show
    if difference > 0:
        return f"▲ {text}"
    if difference < 0:
        return f"▼ {text}"
    return "="
