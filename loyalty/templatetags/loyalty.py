from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core.money import format_money
from loyalty.models import Kind

register = template.Library()


@register.filter
def money(value):
    return "" if value is None or value == "" else format_money(value)


@register.filter
def points(value):
    return number_format(value, 0, use_l10n=True, force_grouping=True)


@register.filter
def signed_points(value):
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    return sign + number_format(abs(value), 0, use_l10n=True, force_grouping=True)


# Kind's labels by value. A line's get_kind_display() hashes every label (a translation each)
# to look up one; the history lists twenty lines, each naming its kind twice.
KIND_LABELS = dict(Kind.choices)


@register.filter
def kind_label(line):
    """The kind of a ledger line in the member's language."""
    return str(KIND_LABELS.get(line.kind, line.kind))


@register.filter
def why(line):
    """Why a ledger line has the points it has, in the member's words."""
    parts = []
    if line.bonus_multiplier:
        parts.append(
            _("%(multiplier)s× %(name)s")
            % {
                "multiplier": number_format(line.bonus_multiplier.normalize(), use_l10n=True),
                "name": line.bonus_day_name,
            }
        )
    if line.bonus_points:
        parts.append(
            _("+%(points)s %(name)s") % {"points": line.bonus_points, "name": line.bonus_day_name}
        )
    if line.tier_multiplier and line.tier_multiplier != 1:
        parts.append(
            _("%(tier)s %(multiplier)s×")
            % {
                "tier": line.tier_name,
                "multiplier": number_format(line.tier_multiplier.normalize(), use_l10n=True),
            }
        )
    if line.reference and line.kind in {Kind.PURCHASE, Kind.PURCHASE_REVERSAL, Kind.REDEMPTION}:
        parts.append(_("receipt %(reference)s") % {"reference": line.reference})
    if line.note and line.kind in {
        Kind.PURCHASE_REVERSAL,
        Kind.ADJUSTMENT,
        Kind.GOODWILL,
        Kind.REDEMPTION,
        Kind.REDEMPTION_REFUND,
    }:
        parts.append(line.note)
    return ", ".join(parts)


@register.filter
def duration(value):
    """A time span the way a person says it: "2 d 4 h", "3 h 20 min", "15 min"."""
    if value is None:
        return "–"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}
