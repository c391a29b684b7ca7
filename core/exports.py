"""CSV and XLSX downloads for the owner, streamed so a large export never sits in memory."""

import csv
import datetime

from django.http import StreamingHttpResponse
from django.utils import timezone

from core import xlsx

CHUNK_CHARACTERS = 64 * 1024

# Set in each gunicorn worker by gunicorn.conf.py. A sync worker tells its arbiter it is alive
# only between requests and is killed after `timeout` quiet seconds, so a download of two
# million lines (about a minute) says so with every piece it sends.
keep_alive = None

FORMULA_STARTS = xlsx.FORMULA_STARTS


def spreadsheet_text(value):
    """Text as a spreadsheet should show it. Much of it was typed by customers (survey answers
    from a public link, e-mail addresses); a cell starting "=" would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


class _Echo:
    def write(self, value):
        return value


def csv_download(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """UTF-8 with a byte order mark: without it Excel reads the file in the computer's old
    code page and shows "MÃ¤kinen" and "â‚¬"."""
    writer = csv.writer(_Echo())
    zone = timezone.get_current_timezone()  # the request's, read before the rows stream

    def lines():
        # The header at once, so the download starts before the first row is read; then
        # pieces of about 64 KiB rather than a write per row.
        yield "\ufeff" + writer.writerow(header)
        piece, size = [], 0
        for row in rows:
            line = writer.writerow([csv_cell(cell, zone) for cell in row])
            piece.append(line)
            size += len(line)
            if size >= CHUNK_CHARACTERS:
                yield "".join(piece)
                piece, size = [], 0
        if piece:
            yield "".join(piece)

    response = StreamingHttpResponse(_alive(lines()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_cell(value, zone=None):
    """A cell as CSV should hold it: text as `spreadsheet_text` and without NUL (which ends
    a cell early in some readers), dates and times as ISO text, times in `zone` (the current
    time zone) to the second. The commonest kinds are tested first: it runs for every cell."""
    kind = type(value)
    if kind is str:
        return spreadsheet_text(value.replace("\0", "") if "\0" in value else value)
    if kind is int or value is None:
        return value
    if isinstance(value, datetime.datetime):
        if value.utcoffset() is not None:
            value = value.astimezone(zone or timezone.get_current_timezone())
        return value.replace(tzinfo=None, microsecond=0).isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return spreadsheet_text(value)


def xlsx_download(
    filename: str,
    header: list[str],
    rows,
    *,
    sheet: str = "Sheet",
    rows_per_sheet: int = xlsx.EXCEL_ROWS - 1,
) -> StreamingHttpResponse:
    """The same rows as an Excel workbook (core.xlsx): numbers stay numbers, dates are dates,
    text is never a formula; past Excel's 1,048,576 rows the rest go on "<sheet> 2"…"""
    content = xlsx.stream_xlsx(
        header,
        rows,
        sheet=sheet,
        rows_per_sheet=rows_per_sheet,
        zone=timezone.get_current_timezone(),
    )
    response = StreamingHttpResponse(_alive(content), content_type=xlsx.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _alive(pieces):
    try:
        for piece in pieces:
            if keep_alive is not None:
                keep_alive()
            yield piece
    finally:
        # A download stopped halfway closes the rows' database cursor now.
        pieces.close()
