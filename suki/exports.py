"""The owner's exports: members with their e-mail consents, and ledger lines, by period and
branch, as CSV or XLSX.

Each export is one query read in chunks (`iterator`), its rows turned into cells as the
download goes out (core.exports streams both formats), so two million ledger lines never sit
in memory and the number of queries does not grow with the rows. Dates and times are the
shop's local time. What each file holds is written in docs/operations.md ("Exports").
"""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Case, CharField, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Least
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import ConsentChange
from accounts.roles import is_owner
from core.admin import admin_context
from core.exports import csv_download, xlsx_download
from loyalty.cardnumbers import format_number
from loyalty.figures import Window
from loyalty.models import Card, CardStatus, Kind, PointTransaction, Store
from suki.dashboard import Period

MEMBERS = "members"
LEDGER = "ledger"
CHUNK_SIZE = 2000
EARLIEST = datetime.date(2000, 1, 1)


class ExportForm(forms.Form):
    what = forms.ChoiceField(
        choices=[(MEMBERS, gettext_lazy("Members")), (LEDGER, gettext_lazy("Ledger lines"))],
        widget=forms.HiddenInput,
    )
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    branch = forms.ModelChoiceField(
        label=gettext_lazy("Branch"),
        queryset=Store.objects.all(),
        required=False,
        empty_label=gettext_lazy("All branches"),
    )
    # Given by the button pressed: "Download CSV" or "Download XLSX".
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "XLSX")])

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        # A period may run to the end of this month or year; a date far out is a typo.
        latest = self.today + datetime.timedelta(days=366)
        for day in (start, end):
            if day is not None and not EARLIEST <= day <= latest:
                raise forms.ValidationError(
                    _("Choose dates between %(earliest)s and %(latest)s.")
                    % {"earliest": EARLIEST.isoformat(), "latest": latest.isoformat()}
                )
        if start and end and end < start:
            raise forms.ValidationError(_("The period ends before it starts."))
        if cleaned.get("what") == LEDGER and not (start and end):
            raise forms.ValidationError(_("Give the first and the last day of the ledger lines."))
        return cleaned

    def window(self) -> Window | None:
        """The days chosen, in the shop's time zone; None for members when no day is given."""
        start, end = self.cleaned_data["start"], self.cleaned_data["end"]
        if start is None and end is None:
            return None
        return Period(start or EARLIEST, end or self.today).window()


def member_rows(joined: Window | None, store: Store | None):
    """One row per card that is not replaced: members' cards, unclaimed printed cards (the
    details given at enrolment), blocked and closed cards. An erased member's card keeps its
    number, points and dates with no personal detail. With a branch: the members with a
    ledger line there (in the period, when one is given)."""
    latest_consent = ConsentChange.objects.filter(user=OuterRef("user")).order_by(
        "-created_at", "-id"
    )
    cards = Card.objects.exclude(status=CardStatus.REPLACED).annotate(
        # A printed card enrolled before its holder signed up online: joined at the till.
        joined=Least("created_at", Coalesce("user__date_joined", "created_at")),
        consent_changed=Subquery(latest_consent.values("created_at")[:1]),
    )
    if joined is not None:
        cards = cards.filter(joined__gte=joined.start, joined__lt=joined.end)
    if store is not None:
        lines = PointTransaction.objects.filter(card=OuterRef("pk"), store=store)
        cards = cards.filter(Exists(lines.filter(joined.q()) if joined else lines))
    values = cards.order_by("pk").values_list(
        "number", "status", "user_id", "user__first_name", "user__last_name", "user__email",
        "user__phone", "user__birthday", "user__language", "user__marketing_consent",
        "user__receipt_emails", "user__erased_at", "holder_name", "holder_email", "holder_phone",
        "holder_birthday", "holder_email_consent", "tier__name", "balance", "joined",
        "last_activity_at", "consent_changed", named=True,
    )  # fmt: skip
    statuses = {value: str(label) for value, label in CardStatus.choices}
    languages = {code: str(name) for code, name in settings.LANGUAGES}
    answer = {True: _("yes"), False: _("no")}

    def rows():
        for card in values.iterator(chunk_size=CHUNK_SIZE):
            if card.user_id is None:
                name, email, phone = card.holder_name, card.holder_email, card.holder_phone
                birthday, language = card.holder_birthday, ""
                marketing, receipts = card.holder_email_consent, False
            else:
                name = f"{card.user__first_name} {card.user__last_name}".strip()
                email, phone, birthday = card.user__email, card.user__phone, card.user__birthday
                language = languages.get(card.user__language, card.user__language)
                marketing, receipts = card.user__marketing_consent, card.user__receipt_emails
            if card.user__erased_at is not None or card.status == CardStatus.CLOSED:
                name, email, phone, birthday = "", "", "", None
            yield [
                format_number(card.number),
                statuses.get(card.status, card.status),
                name,
                email,
                phone,
                birthday,
                language,
                card.tier__name or "",
                card.balance,
                card.joined,
                card.last_activity_at,
                answer[card.user_id is not None],
                answer[bool(marketing)],
                answer[bool(receipts)],
                card.consent_changed,
            ]

    return rows()


MEMBER_COLUMNS = [
    gettext_lazy("card number"),
    gettext_lazy("status"),
    gettext_lazy("name"),
    gettext_lazy("e-mail"),
    gettext_lazy("phone"),
    gettext_lazy("birthday"),
    gettext_lazy("language"),
    gettext_lazy("tier"),
    gettext_lazy("balance"),
    gettext_lazy("joined"),
    gettext_lazy("last activity"),
    gettext_lazy("claimed"),
    gettext_lazy("marketing e-mails"),
    gettext_lazy("purchase receipts by e-mail"),
    gettext_lazy("consent last changed"),
]


def ledger_rows(window: Window, store: Store | None):
    """The lines written in `window` (at `store`), oldest first. Recorded by: the staff
    member's e-mail, the till key's name, "member" for a line the member's own action wrote
    (claiming a card), blank for an erased account or the daily run."""
    recorded_by = Case(
        When(till_key__isnull=False, then=F("till_key__name")),
        When(created_by__isnull=True, then=Value("")),
        When(created_by=F("card__user"), then=Value(_("member"))),
        When(created_by__erased_at__isnull=False, then=Value("")),
        default=F("created_by__email"),
        output_field=CharField(),
    )
    lines = (
        PointTransaction.objects.filter(window.q(), Q(store=store) if store else Q())
        .annotate(recorded_by=recorded_by)
        .order_by("created_at", "pk")
        .values_list(
            "created_at",
            "card__number",
            "kind",
            "points",
            "balance_after",
            "amount",
            "reference",
            "store__name",
            "note",
            "recorded_by",
        )  # fmt: skip
    )
    kinds = {value: str(label) for value, label in Kind.choices}

    def rows():
        for when, number, kind, *rest in lines.iterator(chunk_size=CHUNK_SIZE):
            yield [when, format_number(number), kinds.get(kind, kind), *rest]

    return rows()


LEDGER_COLUMNS = [
    gettext_lazy("when"),
    gettext_lazy("card number"),
    gettext_lazy("kind"),
    gettext_lazy("points"),
    gettext_lazy("balance after"),
    gettext_lazy("amount"),
    gettext_lazy("receipt number"),
    gettext_lazy("branch"),
    gettext_lazy("note"),
    gettext_lazy("recorded by"),
]


def download(form: ExportForm):
    """The file the valid `form` asks for, streamed."""
    what, store, window = form.cleaned_data["what"], form.cleaned_data["branch"], form.window()
    name = [what]
    if window is not None:
        start, end = (timezone.localdate(moment) for moment in (window.start, window.end))
        name += [start.isoformat(), (end - datetime.timedelta(days=1)).isoformat()]
    if store is not None:
        name.append(slugify(store.name) or f"branch-{store.pk}")
    if what == MEMBERS:
        header, rows, sheet = MEMBER_COLUMNS, member_rows(window, store), _("Members")
    else:
        header, rows, sheet = LEDGER_COLUMNS, ledger_rows(window, store), _("Lines")
    header = [str(title) for title in header]
    filename = "-".join(name)
    if form.cleaned_data["format"] == "xlsx":
        return xlsx_download(f"{filename}.xlsx", header, rows, sheet=sheet)
    return csv_download(f"{filename}.csv", header, rows)


def exports_view(request):
    """Admin → Exports, for owners: a form per export; a valid one answers with the file."""
    if not is_owner(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    forms_shown = {
        MEMBERS: ExportForm(initial={"what": MEMBERS}, today=today, auto_id="id_members_%s"),
        LEDGER: ExportForm(
            initial={"what": LEDGER, "start": today.replace(day=1), "end": today},
            today=today,
            auto_id="id_ledger_%s",
        ),
    }
    if "what" in request.GET:
        form = ExportForm(request.GET, today=today)
        if form.is_valid():
            return download(form)
        asked = request.GET.get("what")
        if asked in forms_shown:
            form.auto_id = f"id_{asked}_%s"
            forms_shown[asked] = form
        else:
            forms_shown[MEMBERS] = form
    context = admin_context(
        request,
        title=_("Exports"),
        members_form=forms_shown[MEMBERS],
        ledger_form=forms_shown[LEDGER],
    )
    return render(request, "admin/exports.html", context)
