"""Members brought over from a shop's previous system: a CSV or XLSX file read, each row checked,
and the good rows imported through `services.import_member`.

Reading and checking write nothing. `run_import` does everything in one transaction: a dry run
(the preview) rolls it back, so it saves no card, no ledger line and no e-mail task; a confirmed
run keeps exactly the rows that had no problem. A row already imported before is skipped, so the
same file imported twice adds nothing. The columns are described in docs/operations.md.
"""

from __future__ import annotations

import csv
import datetime
import io
import unicodedata
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.roles import is_owner
from core.exports import FORMULA_STARTS
from core.inputs import DIGITS, only_digits
from core.translations import texts_of
from loyalty import cardnumbers, services
from loyalty.exceptions import (
    CardNumberTaken,
    EmailTaken,
    InvalidCardNumber,
    InvalidPoints,
    LoyaltyError,
    NotAllowed,
)
from loyalty.models import Card, RetiredCardNumber, Tier

MAX_BYTES = 5 * 1024 * 1024
# The dry run and the import each run in one request, at about 300 rows a second on a small
# server (bench/import_members.py): 5,000 rows stay well inside gunicorn's 30 s timeout. A
# longer list is imported in several files; rows imported before are skipped.
MAX_ROWS = 5_000
# An XLSX file is a zip: what it unpacks to is limited too, so a small file cannot fill memory.
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_COLUMNS = 100
MAX_BALANCE = 10_000_000
# Rows checked against the database per query.
CHUNK = 500

COLUMNS = [
    "name",
    "email",
    "phone",
    "birthday",
    "card_number",
    "opening_balance",
    "tier",
    "email_consent",
]
# A row is someone: it names them, their address or their card.
IDENTIFYING = ("name", "email", "card_number")
ALIASES = {"e_mail": "email", "e_mail_consent": "email_consent"}
BIRTHDAY_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
PHONE_CHARACTERS = frozenset("0123456789+ -()")
ZIP_START = b"PK\x03\x04"
OLD_EXCEL_START = b"\xd0\xcf\x11\xe0"
# Which column a refusal by `services.import_member` is about.
SERVICE_ERROR_COLUMNS = {
    CardNumberTaken: "card_number",
    InvalidCardNumber: "card_number",
    EmailTaken: "email",
    InvalidPoints: "opening_balance",
}
# Our own first key for PostgreSQL advisory locks (see services.RECEIPT_LOCK_NAMESPACE).
IMPORT_LOCK = (7_410_002, 1)


class ImportFileError(Exception):
    """A file that cannot be imported at all; the message says why, for the owner."""


class Status:
    TO_IMPORT = "to_import"
    IMPORTED = "imported"
    ALREADY_IMPORTED = "already_imported"
    PROBLEM = "problem"


@dataclass
class MemberFile:
    """The rows of an uploaded file, each a mapping of column to cell, with its row number as a
    spreadsheet shows it (the header is row 1)."""

    rows: list[tuple[int, dict[str, object]]]
    columns: list[str]
    ignored_columns: list[str]


@dataclass
class MemberRow:
    line: int
    name: str = ""
    email: str = ""
    phone: str = ""
    birthday: datetime.date | None = None
    number: str = ""
    opening_balance: int = 0
    tier: Tier | None = None
    email_consent: bool = False
    problems: list[str] = field(default_factory=list)
    status: str = Status.TO_IMPORT
    card: Card | None = None  # the card made, or the one imported before

    def refuse(self, column: str, problem: str) -> None:
        self.problems.append(_("%(column)s: %(problem)s") % {"column": column, "problem": problem})
        self.status = Status.PROBLEM

    @property
    def formatted_number(self) -> str:
        number = self.card.number if self.card is not None else self.number
        return cardnumbers.format_number(number) if number else ""


@dataclass
class ImportReport:
    rows: list[MemberRow]
    ignored_columns: list[str]
    dry_run: bool

    def _with(self, status: str) -> list[MemberRow]:
        return [row for row in self.rows if row.status == status]

    @property
    def good(self) -> list[MemberRow]:
        return self._with(Status.TO_IMPORT) + self._with(Status.IMPORTED)

    @property
    def already_imported(self) -> list[MemberRow]:
        return self._with(Status.ALREADY_IMPORTED)

    @property
    def with_problems(self) -> list[MemberRow]:
        return self._with(Status.PROBLEM)


# Reading the file. ------------------------------------------------------------------------


def read_members(content: bytes) -> MemberFile:
    """The rows of a CSV (UTF-8; comma, semicolon or tab between cells) or XLSX file (its first
    sheet). Raises ImportFileError for a file that is empty, too large, no spreadsheet, or
    without a header row naming at least a name, e-mail or card number column."""
    if len(content) > MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(size)s MB. Split it into smaller files.")
            % {"size": MAX_BYTES // (1024 * 1024)}
        )
    if not content.strip():
        raise ImportFileError(_("The file is empty."))
    if content.startswith(ZIP_START):
        lines = _xlsx_lines(content)
    elif content.startswith(OLD_EXCEL_START):
        raise ImportFileError(
            _("This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx) or as CSV.")
        )
    else:
        lines = _csv_lines(content)
    try:
        return _member_file(lines)
    except csv.Error as error:
        raise ImportFileError(
            _("The file could not be read as CSV: %(error)s") % {"error": error}
        ) from error


def _not_a_spreadsheet() -> ImportFileError:
    return ImportFileError(
        _(
            "This is not a CSV file in UTF-8 or an Excel workbook (.xlsx). In your spreadsheet, "
            "save the member list as “CSV UTF-8” or as an Excel workbook."
        )
    )


def _csv_lines(content: bytes):
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _not_a_spreadsheet() from error
    first_line = text.split("\n", 1)[0]
    # Spreadsheets in many languages save with semicolons: the header row tells which.
    delimiter = max([",", ";", "\t"], key=first_line.count)
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _xlsx_lines(content: bytes):
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as error:
        raise _not_a_spreadsheet() from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(_("The workbook holds too much data. Split it into smaller files."))
    try:
        # Read-only streams the rows; data_only gives a formula's last value, not the formula.
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise _not_a_spreadsheet() from error
    try:
        yield from sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    except Exception as error:
        raise _not_a_spreadsheet() from error
    finally:
        workbook.close()


def _is_blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _column_name(header) -> str:
    name = str(header).strip().lower().replace("-", "_").replace(" ", "_")
    return ALIASES.get(name, name)


def _member_file(lines) -> MemberFile:
    numbered = enumerate(lines, start=1)
    header = next(
        (list(cells)[:MAX_COLUMNS] for _line, cells in numbered if not all(map(_is_blank, cells))),
        None,
    )
    if header is None:
        raise ImportFileError(_("The file is empty."))
    positions: dict[str, int] = {}
    ignored = []
    for position, cell in enumerate(header):
        if _is_blank(cell):
            continue
        name = _column_name(cell)
        if name not in COLUMNS:
            ignored.append(str(cell).strip()[:50])
        elif name in positions:
            raise ImportFileError(
                _("The column “%(column)s” is in the file twice.") % {"column": name}
            )
        else:
            positions[name] = position
    if not any(name in positions for name in IDENTIFYING):
        raise ImportFileError(
            _(
                "The first row must name the columns, and at least one of name, email or "
                "card_number is needed. The columns Suki reads are: %(columns)s."
            )
            % {"columns": ", ".join(COLUMNS)}
        )
    rows = []
    for line, cells in numbered:
        values = {name: cells[at] if at < len(cells) else None for name, at in positions.items()}
        if all(_is_blank(value) for value in values.values()):
            continue
        if len(rows) == MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(rows)s members. Split it into smaller files.")
                % {"rows": f"{MAX_ROWS:,}"}
            )
        rows.append((line, values))
    return MemberFile(rows=rows, columns=list(positions), ignored_columns=ignored)


# Checking each row. -------------------------------------------------------------------------


def _text(row: MemberRow, column: str, value, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime.datetime | datetime.date):
        value = value.isoformat()
    text = str(value).strip()
    if any(unicodedata.category(char) == "Cc" for char in text):
        row.refuse(column, _("contains a NUL byte or another control character."))
        return ""
    if len(text) > limit:
        row.refuse(column, _("is longer than %(limit)s characters.") % {"limit": limit})
        return ""
    return text


def _looks_like_formula(row: MemberRow, column: str, text: str) -> bool:
    if text.startswith(FORMULA_STARTS):
        row.refuse(
            column,
            _("starts with “%(char)s” like a spreadsheet formula; remove it.") % {"char": text[0]},
        )
        return True
    return False


def _clean_name(row: MemberRow, value) -> None:
    text = _text(row, "name", value, 150)
    if not _looks_like_formula(row, "name", text):
        row.name = text


def _clean_email(row: MemberRow, value) -> None:
    text = _text(row, "email", value, 254).lower()
    if not text or _looks_like_formula(row, "email", text):
        return
    try:
        validate_email(text)
    except ValidationError:
        row.refuse("email", _("“%(email)s” is not an e-mail address.") % {"email": text})
        return
    row.email = text


def _clean_phone(row: MemberRow, value) -> None:
    text = _text(row, "phone", value, 32)
    if not text:
        return
    if any(char.isalpha() for char in text):
        row.refuse("phone", _("contains letters."))
    elif set(text) - PHONE_CHARACTERS or sum(char in DIGITS for char in text) < 5:
        row.refuse("phone", _("write it with the digits 0–9, spaces, + and -."))
    else:
        row.phone = text


def _clean_birthday(row: MemberRow, value) -> None:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        birthday = value
    else:
        text = _text(row, "birthday", value, 20)
        if not text:
            return
        birthday = None
        for pattern in BIRTHDAY_FORMATS:
            try:
                birthday = datetime.datetime.strptime(text, pattern).date()
                break
            except ValueError:
                continue
        if birthday is None:
            row.refuse(
                "birthday",
                _("“%(value)s” is not a date; write it as YYYY-MM-DD (or DD.MM.YYYY).")
                % {"value": text},
            )
            return
    if birthday > timezone.localdate():
        row.refuse("birthday", _("is in the future."))
    elif birthday.year < 1900:
        row.refuse("birthday", _("is before 1900."))
    else:
        row.birthday = birthday


def _clean_number(row: MemberRow, value) -> None:
    text = _text(row, "card_number", value, 40)
    if not text:
        return
    number = cardnumbers.normalise(text)
    if not only_digits(number):
        row.refuse("card_number", _("use the digits 0–9 only (spaces and dashes are fine)."))
    elif len(number) != 12:
        problem = _("has %(count)s digits, not 12.") % {"count": len(number)}
        if len(number) == 11:
            problem += " " + _(
                "A spreadsheet may have dropped a leading 0: format the column as text."
            )
        row.refuse("card_number", problem)
    elif not cardnumbers.is_valid(number):
        row.refuse("card_number", _("the check digit does not match; a digit may be mistyped."))
    else:
        row.number = number


def _clean_balance(row: MemberRow, value) -> None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool | float):
        row.refuse("opening_balance", _("write whole points, like 120."))
        return
    if isinstance(value, int):
        points = value
    else:
        text = _text(row, "opening_balance", value, 20)
        if not text:
            return
        if text.startswith("-") and only_digits(text[1:]):
            points = -int(text[1:])
        elif only_digits(text):
            points = int(text)
        else:
            row.refuse(
                "opening_balance",
                _("“%(value)s” is not a whole number of points, like 120.") % {"value": text},
            )
            return
    if points < 0:
        row.refuse("opening_balance", _("cannot be negative."))
    elif points > MAX_BALANCE:
        row.refuse(
            "opening_balance",
            _("is more than %(points)s points.") % {"points": f"{MAX_BALANCE:,}"},
        )
    else:
        row.opening_balance = points


def _clean_tier(row: MemberRow, value, tiers: list[Tier]) -> None:
    text = _text(row, "tier", value, 50)
    if not text:
        return
    # A file may name a tier in any of the shop's languages, whichever the admin is in.
    names_of = {
        tier.pk: [name for name in texts_of(tier, ["name"]).values() if name] for tier in tiers
    }
    tier = next((tier for tier in tiers if text in names_of[tier.pk]), None) or next(
        (
            tier
            for tier in tiers
            if text.casefold() in {name.casefold() for name in names_of[tier.pk]}
        ),
        None,
    )
    if tier is None:
        names = ", ".join(tier.name for tier in tiers) or _("none yet")
        row.refuse(
            "tier",
            _("there is no tier “%(tier)s”; the tiers are: %(names)s.")
            % {"tier": text, "names": names},
        )
    else:
        row.tier = tier


def _clean_consent(row: MemberRow, value) -> None:
    if isinstance(value, bool):
        row.email_consent = value
        return
    text = _text(row, "email_consent", value, 10).lower()
    if text in YES:
        row.email_consent = True
    elif text and text not in NO:
        row.refuse("email_consent", _("write yes or no."))


def check_row(line: int, values: dict[str, object], tiers: list[Tier]) -> MemberRow:
    """One row's cells read and checked on their own, with every problem named by its column."""
    row = MemberRow(line=line)
    _clean_name(row, values.get("name"))
    _clean_email(row, values.get("email"))
    _clean_phone(row, values.get("phone"))
    _clean_birthday(row, values.get("birthday"))
    _clean_number(row, values.get("card_number"))
    _clean_balance(row, values.get("opening_balance"))
    _clean_tier(row, values.get("tier"), tiers)
    _clean_consent(row, values.get("email_consent"))
    if not row.problems and not (row.name or row.email or row.number):
        row.refuse("name", _("a row needs a name, an e-mail address or a card number."))
    return row


# Checking the rows against each other and the database. -------------------------------------


def _chunks(values: list[str]):
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _rows_on_other(lines: list[int], line: int) -> str:
    others = ", ".join(str(other) for other in lines if other != line)
    return ngettext("also on row %(rows)s.", "also on rows %(rows)s.", len(lines) - 1) % {
        "rows": others
    }


def _refuse_repeats(rows: list[MemberRow]) -> None:
    """A card number or an e-mail address belongs to one person: a value on two rows is a
    problem on both, as the file does not say which is right."""
    for column, value_of in (("card_number", "number"), ("email", "email")):
        lines = defaultdict(list)
        for row in rows:
            if getattr(row, value_of):
                lines[getattr(row, value_of)].append(row.line)
        for row in rows:
            value = getattr(row, value_of)
            if value and len(lines[value]) > 1:
                row.refuse(column, _rows_on_other(lines[value], row.line))


def _known_by_number(rows: list[MemberRow]) -> None:
    by_number = {row.number: row for row in rows if row.number}
    for chunk in _chunks(list(by_number)):
        for card in Card.objects.filter(number__in=chunk):
            row = by_number[card.number]
            if card.imported_at is not None:
                row.status, row.card = Status.ALREADY_IMPORTED, card
            else:
                row.refuse("card_number", _("is already the number of another card."))
        retired = RetiredCardNumber.objects.filter(number__in=chunk).select_related("card")
        for old in retired:
            row = by_number[old.number]
            if old.card.imported_at is not None:
                # Imported before, then replaced at the counter: the member has a new number.
                row.status, row.card = Status.ALREADY_IMPORTED, old.card
            else:
                row.refuse("card_number", _("belonged to a card that was replaced."))


def _known_by_email(rows: list[MemberRow]) -> None:
    """A row with no card number was imported before if an imported card has its address; any
    other card or member with the address makes it a problem."""
    by_email = {row.email: row for row in rows if row.email}
    for chunk in _chunks(list(by_email)):
        cards = Card.objects.annotate(address=Lower("holder_email")).filter(address__in=chunk)
        for card in cards.order_by("pk"):
            row = by_email[card.address]
            if row.status != Status.TO_IMPORT:
                continue
            if card.imported_at is not None and not row.number:
                row.status, row.card = Status.ALREADY_IMPORTED, card
            else:
                row.refuse(
                    "email",
                    _("is already on card %(number)s.") % {"number": card.formatted_number},
                )
        members = User.objects.annotate(address=Lower("email")).filter(address__in=chunk)
        for address in members.values_list("address", flat=True):
            if by_email[address].status == Status.TO_IMPORT:
                by_email[address].refuse("email", _("belongs to a member who has an account."))


def _known_by_name(rows: list[MemberRow]) -> None:
    """A row with no card number and no e-mail was imported before if a card imported with no
    e-mail has the same name, phone and birthday."""
    by_name = defaultdict(list)
    for row in rows:
        if not row.number and not row.email:
            by_name[row.name].append(row)
    for chunk in _chunks(list(by_name)):
        # Names are compared as the file has them: the same file names them the same way.
        cards = Card.objects.filter(imported_at__isnull=False, holder_email="")
        for card in cards.filter(holder_name__in=chunk):
            for row in by_name[card.holder_name]:
                same = (row.phone, row.birthday) == (card.holder_phone, card.holder_birthday)
                if same and row.status == Status.TO_IMPORT:
                    row.status, row.card = Status.ALREADY_IMPORTED, card


def check_rows(member_file: MemberFile, tiers: list[Tier]) -> list[MemberRow]:
    """Every row of the file checked on its own, against the other rows and against the cards
    and members there are: a handful of queries per 500 rows."""
    rows = [check_row(line, values, tiers) for line, values in member_file.rows]
    _refuse_repeats(rows)
    candidates = [row for row in rows if row.status == Status.TO_IMPORT]
    _known_by_number(candidates)
    _known_by_email([row for row in candidates if row.status == Status.TO_IMPORT])
    _known_by_name([row for row in candidates if row.status == Status.TO_IMPORT])
    return rows


# Importing. ------------------------------------------------------------------------------


def _one_import_at_a_time() -> None:
    """Two imports of one file at once (a double click, two tabs) must not both find a row new.
    SQLite takes its write lock when the transaction begins; PostgreSQL needs this lock."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(IMPORT_LOCK))


def run_import(member_file: MemberFile, *, staff, dry_run: bool) -> ImportReport:
    """Check every row and import the good ones, in one transaction that a dry run rolls back.
    A row the service refuses (a card number taken meanwhile) is listed with its problem and
    the others go on. Only an owner imports."""
    if staff is None or not is_owner(staff):
        raise NotAllowed
    with transaction.atomic():
        _one_import_at_a_time()
        tiers = list(Tier.objects.order_by("threshold"))
        rows = check_rows(member_file, tiers)
        for row in rows:
            if row.status == Status.TO_IMPORT:
                _import(row, staff=staff, tiers=tiers)
        if dry_run:
            transaction.set_rollback(True)
            for row in rows:
                if row.status == Status.IMPORTED:
                    row.status = Status.TO_IMPORT
                    row.card = None  # a new number drawn in the dry run was not kept
    return ImportReport(rows=rows, ignored_columns=member_file.ignored_columns, dry_run=dry_run)


def _import(row: MemberRow, *, staff, tiers: list[Tier]) -> None:
    try:
        row.card = services.import_member(
            number=row.number,
            holder_name=row.name,
            holder_email=row.email,
            holder_phone=row.phone,
            holder_birthday=row.birthday,
            email_consent=row.email_consent,
            opening_balance=row.opening_balance,
            tier=row.tier,
            staff=staff,
            tiers=tiers,
        )
    except LoyaltyError as error:
        row.refuse(SERVICE_ERROR_COLUMNS.get(type(error), "name"), str(error))
    except IntegrityError:
        # Another card took this number after the checks (only where rows cannot be locked).
        row.refuse("card_number", _("is already the number of another card."))
    else:
        row.status = Status.IMPORTED
        row.tier = row.card.tier  # the one given, or the one a new member starts in
