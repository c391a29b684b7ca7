"""A small streaming XLSX writer: rows in, bytes out, nothing kept but the zip's directory.

An XLSX file is a zip of XML parts. Written with `zipfile` onto a stream that cannot seek,
each part is followed by a data descriptor (its size and checksum) instead of the sizes being
written back into its header, so the bytes can leave as soon as they are compressed: a
download of two million rows starts at once and never sits in memory.

Cells are inline strings (`t="inlineStr"`, never a formula, whatever the text) and numbers;
dates and times are numbers with a date format, so Excel and LibreOffice sort and filter them
as dates. Text that looks like a formula also gets the style Excel gives a cell typed with a
leading apostrophe (`quotePrefix`), so editing it keeps it text. A sheet holds at most
1,048,576 rows (Excel's limit) and 1 GiB of XML; the rows after that go on "Name 2",
"Name 3"…, each with the header row again.
"""

from __future__ import annotations

import datetime
import math
import re
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from xml.sax.saxutils import quoteattr

from django.utils import timezone

EXCEL_ROWS = 1_048_576  # per sheet, the header row included
# zipfile refuses a part of over 2 GiB written without ZIP64 extensions; a sheet stays under.
SHEET_BYTES = 1 << 30
CELL_CHARACTERS = 32_767  # the most text Excel keeps in a cell
CHUNK_BYTES = 64 * 1024
ROWS_PER_WRITE = 256
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What XML 1.0 cannot carry at all (NUL, most control characters, lone surrogates, U+FFFE/F).
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MARKUP = re.compile("[&<>\r]")
NEEDS_WORK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff&<>\r]")
MARKUP_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
# What a spreadsheet would read as the start of a formula (core.exports quotes it in CSV).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_EPOCH = datetime.datetime(1899, 12, 30)
END = object()

# The cell styles of styles.xml, by position.
PLAIN, BOLD, DATE, DATE_TIME, QUOTED = range(5)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# The worksheets are the only .xml parts without an override, so the content types can be
# written first, before anyone knows how many sheets there will be.
OFFICE_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CONTENT_TYPES = (
    XML_DECLARATION
    + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    + '<Default Extension="rels" '
    + 'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    + f'<Default Extension="xml" ContentType="{OFFICE_TYPE}.worksheet+xml"/>'
    + f'<Override PartName="/xl/workbook.xml" ContentType="{OFFICE_TYPE}.sheet.main+xml"/>'
    + f'<Override PartName="/xl/styles.xml" ContentType="{OFFICE_TYPE}.styles+xml"/>'
    + "</Types>"
)
ROOT_RELATIONSHIPS = (
    XML_DECLARATION + f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
STYLES = (
    XML_DECLARATION + f'<styleSheet xmlns="{MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def xml_text(value: str) -> str:
    """`value` as XML character data: what XML cannot hold dropped, markup escaped."""
    if not NEEDS_WORK.search(value):  # most text: one search
        return value
    if NOT_IN_XML.search(value):
        value = NOT_IN_XML.sub("", value)
    if MARKUP.search(value):
        value = MARKUP.sub(lambda match: MARKUP_ESCAPES[match.group()], value)
    return value


def column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def sheet_name(name: str, number: int) -> str:
    """The name of the `number`th sheet (1, 2…): "Lines", "Lines 2"; at most 31 characters,
    none of those Excel forbids in a sheet name."""
    name = re.sub(r"[\[\]:*?/\\]", "", NOT_IN_XML.sub("", name)).strip("' ") or "Sheet"
    suffix = f" {number}" if number > 1 else ""
    return name[: 31 - len(suffix)] + suffix


class _Sink:
    """A write-only stream that keeps what was written until it is taken. It has no `tell`
    or `seek`, so zipfile writes data descriptors and never goes back."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        if data:
            self.parts.append(bytes(data))
            self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        self.size = 0
        return data


class _Cells:
    """Turns one row of Python values into the XML of a <row>."""

    def __init__(self, columns: int, zone=None):
        self.letters = [column_letters(index) for index in range(columns)]
        self.zone = zone

    def row(self, number: int, values, *, style: int = PLAIN) -> str:
        r = str(number)
        cells = []
        for letter, value in zip(self.letters, values, strict=False):
            if value is None or value == "":
                continue
            reference = letter + r
            kind = type(value)
            if kind is str:
                cells.append(self.text(reference, value, style))
            elif kind is int or kind is Decimal or kind is float:
                cells.append(self.number(reference, value, style))
            elif kind is bool:
                cells.append(f'<c r="{reference}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, datetime.datetime):
                cells.append(self.moment(reference, value))
            elif isinstance(value, datetime.date):
                serial = (value - EXCEL_EPOCH.date()).days
                cells.append(f'<c r="{reference}" s="{DATE}"><v>{serial}</v></c>')
            elif isinstance(value, int | Decimal | float):
                cells.append(self.number(reference, value, style))
            else:
                cells.append(self.text(reference, str(value), style))
        return f'<row r="{r}">{"".join(cells)}</row>'

    @staticmethod
    def text(reference: str, value: str, style: int) -> str:
        if style == PLAIN and value.startswith(FORMULA_STARTS):
            style = QUOTED
        value = xml_text(value[:CELL_CHARACTERS])
        space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
        styled = f' s="{style}"' if style else ""
        return f'<c r="{reference}" t="inlineStr"{styled}><is><t{space}>{value}</t></is></c>'

    @classmethod
    def number(cls, reference: str, value, style: int) -> str:
        if isinstance(value, Decimal):
            if not value.is_finite():
                return cls.text(reference, str(value), style)
            shown = format(value, "f")
        elif isinstance(value, float):
            if not math.isfinite(value):
                return cls.text(reference, str(value), style)
            shown = repr(value)
        else:
            shown = str(int(value))
        styled = f' s="{style}"' if style else ""
        return f'<c r="{reference}"{styled}><v>{shown}</v></c>'

    def moment(self, reference: str, value: datetime.datetime) -> str:
        if value.utcoffset() is not None:
            value = value.astimezone(self.zone or timezone.get_current_timezone())
            value = value.replace(tzinfo=None)
        delta = value - EXCEL_EPOCH
        serial = delta.days + delta.seconds / 86400  # to the second
        return f'<c r="{reference}" s="{DATE_TIME}"><v>{serial!r}</v></c>'


def _sheet_start(header: list[str], cells: _Cells) -> str:
    # Wide enough for the column's title, as nobody knows the rows yet.
    widths = "".join(
        f'<col min="{index}" max="{index}" width="{min(max(len(str(title)) + 4, 12), 60)}" '
        'customWidth="1"/>'
        for index, title in enumerate(header, start=1)
    )
    frozen = (
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        "</sheetView></sheetViews>"
    )
    return (
        XML_DECLARATION
        + f'<worksheet xmlns="{MAIN}">{frozen}<cols>{widths}</cols><sheetData>'
        + cells.row(1, header, style=BOLD)
    )


SHEET_END = "</sheetData></worksheet>"


def _workbook(names: list[str]) -> str:
    sheets = "".join(
        f'<sheet name={quoteattr(name)} sheetId="{number}" r:id="rId{number}"/>'
        for number, name in enumerate(names, start=1)
    )
    return (
        XML_DECLARATION + f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
        f"<sheets>{sheets}</sheets></workbook>"
    )


def _workbook_relationships(sheets: int) -> str:
    links = "".join(
        f'<Relationship Id="rId{number}" Type="{RELATIONSHIPS}/worksheet" '
        f'Target="worksheets/sheet{number}.xml"/>'
        for number in range(1, sheets + 1)
    )
    styles = (
        f'<Relationship Id="rId{sheets + 1}" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>'
    )
    return (
        XML_DECLARATION
        + f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">{links}{styles}</Relationships>'
    )


def stream_xlsx(
    header: list[str],
    rows: Iterable,
    *,
    sheet: str = "Sheet",
    rows_per_sheet: int = EXCEL_ROWS - 1,
    sheet_bytes: int = SHEET_BYTES,
    compresslevel: int = 1,
    zone: datetime.tzinfo | None = None,
) -> Iterator[bytes]:
    """The bytes of an XLSX file with `header` in bold over `rows` (each a sequence of str,
    int, Decimal, float, bool, date, datetime or None), yielded in pieces of about 64 KiB as
    the rows come; aware times are shown in `zone` (the current time zone when the file is
    written). `rows_per_sheet` counts the rows under the header. Deflate level 1: the
    file is about a fifth larger than at the default level, and the rows go out faster."""
    if rows_per_sheet < 1:
        raise ValueError("A sheet holds at least one row under its header.")
    sink = _Sink()
    archive = zipfile.ZipFile(
        sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
    )
    archive.writestr("[Content_Types].xml", CONTENT_TYPES)
    archive.writestr("_rels/.rels", ROOT_RELATIONSHIPS)
    archive.writestr("xl/styles.xml", STYLES)
    cells = _Cells(len(header), zone)
    names: list[str] = []
    rows = iter(rows)
    pending = None
    while True:
        names.append(sheet_name(sheet, len(names) + 1))
        with archive.open(f"xl/worksheets/sheet{len(names)}.xml", "w") as part:
            written = part.write(_sheet_start(header, cells).encode())
            if pending is None:
                # The file's start goes out before the first row is read: the download begins
                # while the database is still working on the query.
                yield sink.take()
                pending = next(rows, END)
            number = 1
            # Every sheet gets at least one batch, however small `sheet_bytes` is.
            while (
                pending is not END
                and number <= rows_per_sheet
                and (number == 1 or written < sheet_bytes)
            ):
                batch = []
                while (
                    pending is not END and number <= rows_per_sheet and len(batch) < ROWS_PER_WRITE
                ):
                    number += 1
                    batch.append(cells.row(number, pending))
                    pending = next(rows, END)
                written += part.write("".join(batch).encode())
                if sink.size >= CHUNK_BYTES:
                    yield sink.take()
            part.write(SHEET_END.encode())
        if pending is END:
            break
    archive.writestr("xl/workbook.xml", _workbook(names))
    archive.writestr("xl/_rels/workbook.xml.rels", _workbook_relationships(len(names)))
    archive.close()
    yield sink.take()
