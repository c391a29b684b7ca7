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


# Room under the plot for the week labels, the answer counts and the axis title.
LABEL_ROWS_HEIGHT = 44
MIN_LABEL_SPACING = 34  # SVG units between two points' value labels


@register.filter
def labelled_score_chart(chart):
    """The NPS chart with what a reader needs beside the line: an x axis, both axis titles,
    and each week's score and number of answers (n) at its point. When the weeks are too close
    for every label, every k-th week is labelled; the table below the chart has them all."""
    points = chart["points"]
    step = points[1]["x"] - points[0]["x"] if len(points) > 1 else MIN_LABEL_SPACING
    every = max(1, -(-MIN_LABEL_SPACING // max(step, 1)))
    week_y = chart["bottom"] + 16
    labelled = []
    for index, point in enumerate(points):
        show = index % every == 0 or index == len(points) - 1
        # A score near the top is labelled below its point, elsewhere above.
        above = point["y"] - chart["top"] > 14
        labelled.append(
            {
                **point,
                "show": show,
                "value_y": point["y"] - 8 if above else point["y"] + 16,
            }
        )
    return {
        **chart,
        "height": chart["height"] + LABEL_ROWS_HEIGHT - 8,
        "points": labelled,
        "week_y": week_y,
        "n_y": week_y + 14,
        "x_title_y": week_y + 32,
        "x_title_x": (chart["left"] + chart["right"]) / 2,
        # The view box reaches past the plot on both sides for the first and last week's label.
        "view_x": -28,
        "view_width": chart["width"] + 28 + 24,
        "y_title_x": -16,
        "y_title_y": (chart["top"] + chart["bottom"]) / 2,
    }
