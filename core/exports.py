"""CSV downloads for the owner, streamed so a large export never sits in memory."""

import csv

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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

    def lines():
        yield "\ufeff"
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([spreadsheet_text(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
