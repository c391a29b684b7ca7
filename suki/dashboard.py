"""The owner's dashboard on the admin index: is the program turning walk-ins into regulars?

It combines the figures of every app (loyalty, rewards, surveys) for a period the owner
chooses, each compared with the period of the same length just before it, and says where each
figure comes from: every figure links to the filtered admin list behind it. The figures are
aggregated in the database by the apps' `figures` modules, a fixed number of queries whatever
the size of the shop. What each figure means is written in docs/dashboard.md.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from urllib.parse import urlencode

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.money import format_money
from loyalty import figures as loyalty_figures
from loyalty.figures import Window
from loyalty.models import Kind, Program, StampKind, Store
from rewards import figures as reward_figures
from rewards.models import RedemptionStatus
from suki.models import DashboardSnapshot
from surveys import figures as survey_figures
from surveys.models import TestimonialStatus
from surveys.results import MIN_RESPONSES, Score

PRESETS = (30, 90, 365)
LONGEST_DAYS = 3 * 366
TREND_MIN_DAYS = 84  # the score trend shows at least twelve weeks


class PeriodForm(forms.Form):
    period = forms.TypedChoiceField(
        label=gettext_lazy("Period"),
        choices=[(days, gettext_lazy("Last %(days)s days") % {"days": days}) for days in PRESETS],
        coerce=int,
        required=False,
    )
    start = forms.DateField(label=gettext_lazy("From"), required=False)
    end = forms.DateField(label=gettext_lazy("To"), required=False)
    branch = forms.ModelChoiceField(
        label=gettext_lazy("Branch"),
        queryset=Store.objects.all(),
        required=False,
        empty_label=gettext_lazy("All branches"),
    )

    def __init__(self, data, *, today: datetime.date):
        super().__init__(data)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if (start is None) != (end is None) and not self.errors:
            raise forms.ValidationError(_("Give both dates, or choose a period."))
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The period ends before it starts."))
            if end > self.today:
                raise forms.ValidationError(_("The period cannot end in the future."))
            if (end - start).days >= LONGEST_DAYS:
                raise forms.ValidationError(_("Choose a period of at most three years."))
        return cleaned


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included, in the shop's time zone."""

    start: datetime.date
    end: datetime.date
    store: Store | None = None  # one branch's sales, or the whole shop

    @classmethod
    def last(cls, days: int, today: datetime.date, store: Store | None = None) -> Period:
        """The last `days` whole days: to the end of yesterday (today is shown on its own)."""
        return cls(today - datetime.timedelta(days=days), today - datetime.timedelta(days=1), store)

    @classmethod
    def from_query(cls, data, today: datetime.date) -> tuple[Period, PeriodForm]:
        """The period the owner asked for; the last 30 days when the request does not say,
        or says something the form refuses (the form then carries the message)."""
        form = PeriodForm(data, today=today)
        if form.is_valid():
            store = form.cleaned_data["branch"]
            if form.cleaned_data["start"]:
                return cls(form.cleaned_data["start"], form.cleaned_data["end"], store), form
            return cls.last(form.cleaned_data["period"] or PRESETS[0], today, store), form
        return cls.last(PRESETS[0], today), form

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        length = datetime.timedelta(days=self.days)
        return Period(self.start - length, self.end - length, self.store)

    def window(self) -> Window:
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(self.start, datetime.time.min)
        end = datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min)
        return Window(
            timezone.make_aware(start, tz),
            timezone.make_aware(end, tz),
            self.store.pk if self.store else None,
        )


@dataclass
class Figure:
    """One number on the dashboard, with the same number for the period before."""

    label: str
    value: object
    before: object = None
    kind: str = "count"  # count, money, share, score, days, duration, points
    link: str = ""
    note: str = ""
    better: str = "up"  # which way is good news: up, down or none

    @property
    def change(self):
        if not isinstance(self.value, int | float) or not isinstance(self.before, int | float):
            return None
        return self.value - self.before

    @property
    def trend(self) -> str:
        """ "good", "bad" or "" for the arrow's colour."""
        change = self.change
        if not change or self.better == "none":
            return ""
        return "good" if (change > 0) == (self.better == "up") else "bad"


@dataclass
class Dashboard:
    period: Period
    previous: Period
    form: PeriodForm
    sections: dict[str, list[Figure]] = field(default_factory=dict)
    extras: dict = field(default_factory=dict)
    snapshot: DashboardSnapshot | None = None
    today: dict = field(default_factory=dict)


def heavy_figures(
    period: Period, today: datetime.date, *, moment: datetime.datetime
) -> tuple[dict, DashboardSnapshot | None]:
    """The figures that read the whole ledger: from last night's snapshot when the period is
    one of the presets the daily run works out, otherwise worked out now."""
    preset = period.end == today - datetime.timedelta(days=1) and period.days in PRESETS
    if preset and period.store is None:
        snapshot = DashboardSnapshot.objects.filter(day=today, days=period.days).first()
        # A rollup kept in an older shape (before a figure was added) is worked out again.
        if snapshot is not None and snapshot.figures.get("shape") == FIGURES_SHAPE:
            return snapshot.figures, snapshot
    return work_out(period, today), None


# What `work_out` returns, numbered: a new number whenever a figure is added or changes shape.
FIGURES_SHAPE = 2


def work_out(period: Period, today: datetime.date) -> dict:
    """Every figure of `period` itself: members, points by kind, staff, rewards, tier moves,
    complaints, survey scores with their weekly trend, and the cohort table; from the ledger
    and the other tables, as plain data ready to be kept. What holds now (the balance owed,
    tiers, open cases) is read live by `build`."""
    now, before = period.window(), period.previous().window()
    trend_days = max(period.days, TREND_MIN_DAYS)
    trend = survey_figures.weekly_scores(
        Window(now.end - datetime.timedelta(days=trend_days), now.end)
    )
    return {
        "shape": FIGURES_SHAPE,
        "scores": {
            side: {name: asdict(score) for name, score in pair.items()}
            for side, pair in survey_figures.score_figures(now, before).items()
        },
        "trend": [
            {"start": week["start"], "nps": asdict(week["nps"]), "csat": asdict(week["csat"])}
            for week in trend
        ],
        "members": loyalty_figures.member_figures(now, before),
        "points": loyalty_figures.period_points(now, before),
        "staff": loyalty_figures.staff_figures(now),
        "rewards": reward_figures.reward_figures(now, before),
        "stamps": reward_figures.stamp_figures(now, before),
        "tier_moves": loyalty_figures.tier_moves(now),
        "complaints": survey_figures.complaint_period(now, before),
        "cohorts": loyalty_figures.cohorts(today),
    }


def write_snapshots(today: datetime.date) -> int:
    """Work out the preset periods to the end of yesterday and keep them for the dashboard:
    the daily rollup. Returns how many periods were written; running it again rewrites them."""
    for days in PRESETS:
        figures = work_out(Period.last(days, today), today)
        DashboardSnapshot.objects.update_or_create(
            day=today, days=days, defaults={"figures": figures}
        )
    DashboardSnapshot.objects.filter(day__lt=today - datetime.timedelta(days=7)).delete()
    return len(PRESETS)


def admin_list(name: str, **params) -> str:
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def within(window: Window, field_name: str = "created_at") -> dict[str, str]:
    """The admin list parameters that keep the rows of `window` (the date filter's format)."""
    return {f"{field_name}__gte": str(window.start), f"{field_name}__lt": str(window.end)}


def at_branch(window: Window, field_name: str = "store") -> dict[str, str]:
    """The admin list parameter that keeps the rows of the window's branch, if it has one."""
    return {f"{field_name}__id__exact": str(window.store_id)} if window.store_id else {}


def build(data, *, moment: datetime.datetime | None = None) -> Dashboard:
    moment = moment or timezone.now()
    today = timezone.localdate(moment)
    period, form = Period.from_query(data, today)
    previous = period.previous()
    now = period.window()
    dashboard = Dashboard(period, previous, form)
    dashboard.extras["branches"] = list(Store.objects.all())

    heavy, snapshot = heavy_figures(period, today, moment=moment)
    dashboard.snapshot = snapshot
    members, cohorts = heavy["members"], heavy["cohorts"]
    program = Program.current()
    cards = loyalty_figures.card_figures(program, today)
    points = {**heavy["points"], **cards}
    start_of_today = Period(today, today).window().start
    dashboard.today = loyalty_figures.today_so_far(start_of_today, now.store_id)
    tiers = {**cards["tiers"], **heavy["tier_moves"]}
    rewards = heavy["rewards"]
    scores = {
        side: {name: Score(**score) for name, score in pair.items()}
        for side, pair in heavy["scores"].items()
    }
    trend = [
        {"start": week["start"], "nps": Score(**week["nps"]), "csat": Score(**week["csat"])}
        for week in heavy["trend"]
    ]
    complaints = {**heavy["complaints"], **survey_figures.complaint_state(moment)}
    detractors = list(survey_figures.latest_detractors(now))

    m, mb = members["now"], members["before"]
    here = at_branch(now)
    visits_link = admin_list(
        "loyalty_pointtransaction", kind__exact=Kind.PURCHASE, **within(now), **here
    )
    dashboard.sections["members"] = [
        Figure(_("Members"), m["total"], mb["total"], link=admin_list("loyalty_card")),
        Figure(
            _("New members"), m["new"], mb["new"], link=admin_list("loyalty_card", **within(now))
        ),
        Figure(
            _("Active members"),
            m["active"],
            mb["active"],
            link=admin_list(
                "loyalty_pointtransaction",
                kind__exact=Kind.PURCHASE,
                **within(now.ending(loyalty_figures.ACTIVE_DAYS)),
                **here,
            ),
            note=_("a purchase in the 90 days to the period's end"),
        ),
        Figure(_("Visits"), m["visits"], mb["visits"], link=visits_link),
        Figure(
            _("Visits per active member"),
            m["visits_per_active"],
            mb["visits_per_active"],
            kind="ratio",
            link=visits_link,
        ),
        Figure(
            _("Average spend per visit"),
            m["spend_per_visit"],
            mb["spend_per_visit"],
            kind="money",
            link=visits_link,
        ),
        Figure(
            _("Repeat-visit rate"),
            m["repeat_rate"],
            mb["repeat_rate"],
            kind="share",
            link=visits_link,
            note=_("%(repeat)s of %(visitors)s visiting members came twice or more")
            % {"repeat": m["repeat"], "visitors": m["visitors"]},
        ),
    ]

    p, pb = points["now"], points["before"]
    ledger = "loyalty_pointtransaction"
    dashboard.sections["points"] = [
        Figure(
            _("Points issued"),
            p["issued"],
            pb["issued"],
            kind="points",
            link=admin_list(ledger, **within(now), **here),
        ),
        Figure(
            _("Points redeemed"),
            p["redeemed"],
            pb["redeemed"],
            kind="points",
            link=admin_list(ledger, kind__exact=Kind.REDEMPTION, **within(now), **here),
        ),
        Figure(
            _("Points expired"),
            p["expired"],
            pb["expired"],
            kind="points",
            better="down",
            link=admin_list(ledger, kind__exact=Kind.EXPIRY, **within(now), **here),
        ),
        Figure(
            _("Redemption rate"),
            p["redemption_rate"],
            pb["redemption_rate"],
            kind="share",
            note=_("points redeemed for each point issued"),
        ),
        Figure(
            _("Outstanding points"),
            points["outstanding"],
            kind="points",
            better="none",
            link=admin_list("loyalty_card", balance__gt=0),
            note=_("owed on %(cards)s cards: %(value)s")
            % {"cards": points["outstanding_cards"], "value": format_money(points["liability"])},
        ),
        Figure(
            _("Liability"),
            points["liability"],
            kind="money",
            better="none",
            link=admin_list("loyalty_card", balance__gt=0),
        ),
    ]
    if points["breakage_until"]:
        dashboard.sections["points"].append(
            Figure(
                _("Due to expire in 3 months"),
                points["breakage"],
                kind="points",
                better="none",
                link=admin_list(
                    "loyalty_card",
                    balance__gt=0,
                    last_activity_at__lt=str(points["breakage_cutoff"]),
                ),
                note=_("%(cards)s cards, worth %(value)s, if they stay inactive until %(day)s")
                % {
                    "cards": points["breakage_cards"],
                    "value": format_money(points["breakage_value"]),
                    "day": date_format(points["breakage_until"], "DATE_FORMAT"),
                },
            )
        )
    labels = dict(Kind.choices)
    for row in points["issued_by_kind"]:
        row["label"] = labels.get(row["kind"], row["kind"])
        row["link"] = admin_list(ledger, kind__exact=row["kind"], **within(now), **here)

    r, rb = rewards["now"], rewards["before"]
    redemptions = "rewards_redemption"
    dashboard.sections["rewards"] = [
        Figure(
            _("Vouchers issued"),
            r["issued"],
            rb["issued"],
            link=admin_list(redemptions, **within(now)),
        ),
        Figure(
            _("Vouchers used"),
            r["used"],
            rb["used"],
            link=admin_list(
                redemptions,
                status__exact=RedemptionStatus.FULFILLED,
                **within(now, "fulfilled_at"),
                **at_branch(now, "fulfilled_store"),
            ),
        ),
        Figure(
            _("Vouchers cancelled"),
            r["cancelled"],
            rb["cancelled"],
            better="down",
            link=admin_list(
                redemptions, status__exact=RedemptionStatus.CANCELLED, **within(now, "closed_at")
            ),
        ),
        Figure(
            _("Vouchers expired"),
            r["expired"],
            rb["expired"],
            better="down",
            link=admin_list(
                redemptions, status__exact=RedemptionStatus.EXPIRED, **within(now, "closed_at")
            ),
        ),
        Figure(_("Points donated"), r["donated"], rb["donated"], kind="points"),
    ]
    for row in rewards["top"]:
        row["link"] = admin_list(redemptions, reward__id__exact=row["reward"], **within(now))

    st, stb = heavy["stamps"]["now"], heavy["stamps"]["before"]
    stamp_lines = "loyalty_stampline"
    dashboard.sections["stamps"] = [
        Figure(
            _("Stamp cards started"),
            st["started"],
            stb["started"],
            link=admin_list(stamp_lines, kind__exact=StampKind.STAMP, **within(now)),
        ),
        Figure(
            _("Stamp cards completed"),
            st["completed"],
            stb["completed"],
            link=admin_list(stamp_lines, kind__exact=StampKind.COMPLETION, **within(now)),
        ),
        Figure(
            _("Stamp card vouchers used"),
            st["redeemed"],
            stb["redeemed"],
            link=admin_list(
                redemptions,
                status__exact=RedemptionStatus.FULFILLED,
                stamp_line__isnull="False",
                **within(now, "fulfilled_at"),
            ),
        ),
        Figure(
            _("Average days to complete a card"),
            st["days_to_complete"],
            stb["days_to_complete"],
            kind="ratio",
            better="down",
        ),
    ]

    s, sb = scores["now"], scores["before"]
    responses = admin_list("surveys_response", **within(now))
    dashboard.sections["voice"] = [
        Figure(
            _("NPS"),
            s["nps"].value,
            sb["nps"].value,
            kind="score",
            link=responses,
            note=_score_note(s["nps"]),
        ),
        Figure(
            _("CSAT"),
            s["csat"].value,
            sb["csat"].value,
            kind="percent",
            link=responses,
            note=_score_note(s["csat"]),
        ),
        Figure(
            _("Complaints open"),
            complaints["open"],
            better="down",
            link=admin_list("surveys_complaint"),
        ),
        Figure(
            _("Complaints overdue"),
            complaints["overdue"],
            better="down",
            link=admin_list("surveys_complaint", overdue="yes"),
        ),
        Figure(
            _("Complaints received"),
            complaints["received_now"],
            complaints["received_before"],
            better="down",
            link=admin_list("surveys_complaint", **within(now)),
        ),
        Figure(
            _("Median time to first reply"),
            complaints["median_first_reply"],
            kind="duration",
            better="none",
            link=admin_list("surveys_complaint", **within(now)),
        ),
        Figure(
            _("Median time to resolution"),
            complaints["median_resolution"],
            kind="duration",
            better="none",
            link=admin_list("surveys_complaint", **within(now)),
        ),
        Figure(
            _("Satisfaction after resolution"),
            complaints["satisfaction_now"],
            complaints["satisfaction_before"],
            kind="rating",
            link=admin_list("surveys_complaint", **within(now, "resolved_at")),
            note=_("members' ratings of 1–5: %(count)s") % {"count": complaints["rated_now"]},
        ),
        Figure(
            _("Testimonials waiting for review"),
            complaints["testimonials_waiting"],
            better="none",
            link=admin_list("surveys_testimonial", status__exact=TestimonialStatus.PENDING),
        ),
    ]

    for row in tiers["rows"]:
        row["link"] = (
            admin_list("loyalty_card", tier__id__exact=row["tier"].pk)
            if row["tier"]
            else admin_list("loyalty_card", tier__isnull="True")
        )
    for row in cohorts:
        joined = Period(row["start"], row["end"] - datetime.timedelta(days=1)).window()
        row["link"] = admin_list("loyalty_card", **within(joined))
    tier_changes = admin_list("loyalty_tierchange", **within(now))

    dashboard.extras |= {
        "issued_by_kind": points["issued_by_kind"],
        "top_rewards": rewards["top"],
        "tiers": tiers,
        "tier_changes": tier_changes,
        "cohorts": cohorts,
        "cohort_chart": bar_chart(
            [(row["month"], row["members"]) for row in cohorts],
            label=_("New members per month"),
        ),
        "trend": trend,
        "trend_chart": score_chart(trend),
        "detractors": detractors,
        "min_responses": MIN_RESPONSES,
    }
    staff = heavy["staff"]
    for row in staff:
        row["link"] = admin_list(ledger, created_by__id__exact=row["id"], **within(now), **here)
    dashboard.extras["staff"] = staff
    return dashboard


def _score_note(score) -> str:
    if score.too_few:
        return _("%(n)s answers: too few for a score (at least %(min)s)") % {
            "n": score.n,
            "min": MIN_RESPONSES,
        }
    if score.margin is not None:
        return _("%(n)s answers, ± %(margin)s") % {
            "n": score.n,
            "margin": round(score.margin),
        }
    return _("%(n)s answers") % {"n": score.n}


# Charts: server-rendered SVG, geometry computed here, drawn by the template.

CHART_WIDTH, CHART_HEIGHT = 640, 200
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 44, 28, 10


def score_chart(weeks: list[dict]) -> dict:
    """NPS per week on a −100…100 scale: a point for each week with enough answers, a hollow
    marker on the axis for a week with too few."""
    plot_width = CHART_WIDTH - MARGIN_LEFT - 30  # room for the last week's label
    plot_height = CHART_HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    step = plot_width / max(len(weeks) - 1, 1)

    def y_of(value: float) -> float:
        return round(MARGIN_TOP + plot_height / 2 - value * plot_height / 200, 1)

    points = []
    for index, week in enumerate(weeks):
        score = week["nps"]
        x = round(MARGIN_LEFT + index * step, 1)
        points.append(
            {
                "x": x,
                "y": y_of(score.value) if score.value is not None else y_of(0),
                "week": week,
                "too_few": score.value is None,
                "label": index % max(len(weeks) // 6, 1) == 0,
            }
        )
    line = " ".join(f"{point['x']},{point['y']}" for point in points if not point["too_few"])
    ticks = [{"value": value, "y": y_of(value)} for value in (100, 50, 0, -50, -100)]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": MARGIN_LEFT,
        "right": CHART_WIDTH - 10,
        "bottom": CHART_HEIGHT - MARGIN_BOTTOM,
        "top": MARGIN_TOP,
        "points": points,
        "line": line,
        "ticks": ticks,
        "label_y": CHART_HEIGHT - 8,
    }


def bar_chart(rows: list[tuple[datetime.date, int]], *, label: str) -> dict:
    plot_width = CHART_WIDTH - MARGIN_LEFT - 10
    plot_height = CHART_HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    top = max((value for _, value in rows), default=0)
    scale_top = _nice_ceiling(top)
    slot = plot_width / max(len(rows), 1)
    bars = []
    for index, (month, value) in enumerate(rows):
        height = round(value * plot_height / scale_top, 1) if scale_top else 0
        bars.append(
            {
                "x": round(MARGIN_LEFT + index * slot + slot * 0.15, 1),
                "width": round(slot * 0.7, 1),
                "y": round(MARGIN_TOP + plot_height - height, 1),
                "height": height,
                "value": value,
                "month": month,
                "centre": round(MARGIN_LEFT + index * slot + slot / 2, 1),
            }
        )
    ticks = (
        [
            {
                "value": value,
                "y": round(MARGIN_TOP + plot_height - value * plot_height / scale_top, 1),
            }
            for value in (0, scale_top // 2, scale_top)
        ]
        if scale_top
        else []
    )
    return {
        "label": label,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": MARGIN_LEFT,
        "right": CHART_WIDTH - 10,
        "bottom": CHART_HEIGHT - MARGIN_BOTTOM,
        "top": MARGIN_TOP,
        "bars": bars,
        "ticks": ticks,
        "label_y": CHART_HEIGHT - 8,
    }


def _nice_ceiling(value: int) -> int:
    """The smallest of 2, 4, 10, 20, 40, 100… that is at least `value` (0 stays 0)."""
    if value <= 0:
        return 0
    nice = 2
    while nice < value:
        nice = nice * 5 // 2 if str(nice).startswith("4") else nice * 2
    return nice


def counter_index(user) -> dict:
    """What staff need on the admin index: the counter first, then the cases waiting for an
    answer. No money and no owner figures. One query."""
    return survey_figures.queue_counts(user, timezone.now())
