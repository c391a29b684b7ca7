"""The owner's exports: members with their consents and ledger lines, by period and branch, as
CSV and XLSX, streamed.

The shop, with today 20 November 2026 (Helsinki):

- Maria Reyes joined 5 Oct, agreed to marketing e-mails on 6 Oct; bought at Ubud on 20 Oct
  (U-1, 8.00) and at Kallio on 3 Nov (K-1, 12.50).
- Otto Outsider joined 2 Nov; bought at Ubud on 4 Nov (U-2, 20.00).
- Aino Mäkinen's printed card was enrolled at the counter on 10 Nov and never claimed.
- Putu Wijaya signed up on 11 Nov (a digital card) and claimed a printed card enrolled on
  1 Nov: the digital card is replaced, its points moved over.
- Erkki's card was closed on 12 Nov, his account erased.
"""

import csv
import datetime
import io
import runpy
import zipfile
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import consent
from accounts.models import ConsentSource
from core import exports
from core.exports import csv_download, xlsx_download
from core.xlsx import stream_xlsx
from loyalty import services
from loyalty.models import Card, CardStatus, Store, TillKey
from tests.factories import UserFactory, make_card

URL = "/admin/exports/"
MEMBER_HEADER = [
    "card number",
    "status",
    "name",
    "e-mail",
    "phone",
    "birthday",
    "language",
    "tier",
    "balance",
    "joined",
    "last activity",
    "claimed",
    "marketing e-mails",
    "purchase receipts by e-mail",
    "consent last changed",
]
LEDGER_HEADER = [
    "when",
    "card number",
    "kind",
    "points",
    "balance after",
    "amount",
    "receipt number",
    "branch",
    "note",
    "recorded by",
]
# Session, user, the owner check, and the rows in one query; a branch adds its lookup.
EXPORT_QUERIES = 4


def at(month, day, hour=10, minute=0):
    zone = timezone.get_current_timezone()
    return timezone.make_aware(datetime.datetime(2026, month, day, hour, minute), zone)


NOW = at(11, 20, 12)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def branches(db):
    return Store.objects.create(name="Kallio"), Store.objects.create(name="Ubud")


def purchase(card, amount, when, staff, reference, store, **kwargs):
    with time_machine.travel(when, tick=False):
        return services.record_purchase(
            card, Decimal(amount), reference=reference, staff=staff, store=store, **kwargs
        ).line


@pytest.fixture
def shop(tiers, staff, member, outsider, branches):
    kallio, ubud = branches
    member.phone = "+358 40 123 4567"
    member.birthday = datetime.date(1990, 5, 17)
    member.language = "fi"
    member.save()
    with time_machine.travel(at(10, 5), tick=False):
        maria = make_card(member)
    with time_machine.travel(at(10, 6, 9, 30), tick=False):
        consent.set_consent(member, "marketing", True, source=ConsentSource.PROFILE)
    purchase(maria, "8.00", at(10, 20), staff, "U-1", ubud)
    purchase(maria, "12.50", at(11, 3, 14, 15), staff, "K-1", kallio)
    with time_machine.travel(at(11, 2), tick=False):
        otto = make_card(outsider)
    purchase(otto, "20.00", at(11, 4), staff, "U-2", ubud)
    with time_machine.travel(at(11, 10), tick=False):
        aino = services.issue_card(
            holder_name="Aino Mäkinen", holder_email="aino@example.com", staff=staff, physical=True
        )
    with time_machine.travel(at(11, 1), tick=False):
        printed = services.issue_card(holder_name="Putu", staff=staff, physical=True)
    putu_user = UserFactory(
        first_name="Putu", last_name="Wijaya", email="putu@example.com", password=None
    )
    with time_machine.travel(at(11, 11), tick=False):
        digital = make_card(putu_user)
        putu = services.claim_card(putu_user, printed.number, printed.claim_pin)
    erkki_user = UserFactory(
        first_name="Erkki", last_name="Esimerkki", email="erkki@example.com", password=None
    )
    with time_machine.travel(at(10, 1), tick=False):
        erkki = make_card(erkki_user)
    # What erasure leaves, with the old name still on the account: the export must not use it.
    Card.objects.filter(pk=erkki.pk).update(status=CardStatus.CLOSED, holder_name="Erkki")
    erkki_user.erased_at = at(11, 12)
    erkki_user.save()
    return {
        "maria": maria,
        "otto": otto,
        "aino": aino,
        "putu": putu,
        "digital": digital,
        "erkki": erkki,
        "kallio": kallio,
        "ubud": ubud,
    }


def export(client, what, file_format="csv", **filters):
    response = client.get(URL, {"what": what, "format": file_format, **filters})
    assert response.status_code == 200, response.content[:500]
    assert isinstance(response, StreamingHttpResponse)
    return response


def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = b"".join(response.streaming_content)
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def read_xlsx(response):
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def by_card(rows, header):
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}


def test_members_csv_has_one_row_per_card_with_consent_flags(owner_client, shop):
    rows = read_csv(export(owner_client, "members"))

    assert rows[0] == MEMBER_HEADER
    members = by_card(rows, MEMBER_HEADER)
    numbers = {key: card.formatted_number for key, card in shop.items() if isinstance(card, Card)}
    assert set(members) == {numbers[key] for key in ["maria", "otto", "aino", "putu", "erkki"]}
    maria = members[numbers["maria"]]
    assert maria == {
        "card number": numbers["maria"],
        "status": "active",
        "name": "Maria Reyes",
        "e-mail": "member@example.com",
        # A leading "+" would start a formula in a spreadsheet: the CSV quotes it.
        "phone": "'+358 40 123 4567",
        "birthday": "1990-05-17",
        "language": "Finnish",
        "tier": "Bronze",
        "balance": "95",  # 50 welcome, 25 first purchase, 8 and 12
        "joined": "2026-10-05 10:00:00",
        "last activity": "2026-11-03 14:15:00",
        "claimed": "yes",
        "marketing e-mails": "yes",
        "purchase receipts by e-mail": "no",
        "consent last changed": "2026-10-06 09:30:00",
    }
    otto = members[numbers["otto"]]
    assert (otto["name"], otto["marketing e-mails"], otto["consent last changed"]) == (
        "Otto Outsider",
        "no",
        "",
    )


def test_unclaimed_claimed_and_erased_cards(owner_client, shop):
    members = by_card(read_csv(export(owner_client, "members")), MEMBER_HEADER)

    aino = members[shop["aino"].formatted_number]
    assert (aino["name"], aino["e-mail"], aino["claimed"], aino["language"]) == (
        "Aino Mäkinen",
        "aino@example.com",
        "no",
        "",
    )
    putu = members[shop["putu"].formatted_number]
    # Enrolled at the counter on 1 Nov, signed up on 11 Nov: a member since 1 Nov.
    assert (putu["name"], putu["claimed"], putu["joined"]) == (
        "Putu Wijaya",
        "yes",
        "2026-11-01 10:00:00",
    )
    assert shop["digital"].formatted_number not in members
    erkki = members[shop["erkki"].formatted_number]
    assert erkki["status"] == "closed"
    assert [erkki[column] for column in ["name", "e-mail", "phone", "birthday"]] == [""] * 4
    assert erkki["joined"] == "2026-10-01 10:00:00"


def test_members_by_joining_day_and_branch(owner_client, shop):
    joined = by_card(
        read_csv(export(owner_client, "members", start="2026-11-01", end="2026-11-10")),
        MEMBER_HEADER,
    )
    assert set(joined) == {shop[key].formatted_number for key in ["otto", "aino", "putu"]}

    at_ubud = by_card(
        read_csv(export(owner_client, "members", branch=shop["ubud"].pk)), MEMBER_HEADER
    )
    assert set(at_ubud) == {shop[key].formatted_number for key in ["maria", "otto"]}

    # A branch with dates: joined in those days and a line at the branch in them.
    new_at_ubud = by_card(
        read_csv(
            export(
                owner_client,
                "members",
                branch=shop["ubud"].pk,
                start="2026-11-01",
                end="2026-11-20",
            )
        ),
        MEMBER_HEADER,
    )
    assert set(new_at_ubud) == {shop["otto"].formatted_number}


def test_members_xlsx_keeps_numbers_and_dates(owner_client, shop):
    book = read_xlsx(export(owner_client, "members", "xlsx"))

    assert book.sheetnames == ["Members"]
    sheet = book["Members"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == MEMBER_HEADER
    assert sheet["A1"].font.b
    maria = by_card(rows, MEMBER_HEADER)[shop["maria"].formatted_number]
    assert maria["balance"] == 95
    assert maria["phone"] == "+358 40 123 4567"
    assert maria["birthday"] == datetime.datetime(1990, 5, 17)
    assert maria["joined"] == datetime.datetime(2026, 10, 5, 10, 0)
    assert maria["consent last changed"] == datetime.datetime(2026, 10, 6, 9, 30)
    assert (maria["name"], maria["marketing e-mails"]) == ("Maria Reyes", "yes")
    assert len(rows) == 1 + 5


def test_ledger_csv_by_period_and_branch(owner_client, shop, staff):
    rows = read_csv(export(owner_client, "ledger", start="2026-11-01", end="2026-11-30"))

    assert rows[0] == LEDGER_HEADER
    assert [row[6] for row in rows[1:] if row[2] == "Purchase"] == ["K-1", "U-2"]
    assert all(row[0] >= "2026-11-01" for row in rows[1:])
    kallio = next(row for row in rows if row[6] == "K-1")
    assert kallio == [
        "2026-11-03 14:15:00",
        shop["maria"].formatted_number,
        "Purchase",
        "12",
        kallio[4],
        "12.50",
        "K-1",
        "Kallio",
        "",
        "staff@example.com",
    ]
    moved = [row for row in rows if row[2] == "Moved between cards"]
    assert {row[9] for row in moved} == {"member"}

    at_kallio = read_csv(
        export(
            owner_client, "ledger", start="2026-10-01", end="2026-11-30", branch=shop["kallio"].pk
        )
    )
    assert [row[6] for row in at_kallio[1:]] == ["K-1"]


def test_ledger_names_the_till_key_that_recorded_a_line(owner_client, shop):
    key, _text = TillKey.objects.create_key(name="Front till", store=shop["kallio"])
    purchase(shop["otto"], "5.00", at(11, 15), None, "T-1", shop["kallio"], till_key=key)

    rows = read_csv(export(owner_client, "ledger", start="2026-11-15", end="2026-11-15"))

    assert [(row[6], row[9]) for row in rows[1:]] == [("T-1", "Front till")]


def test_ledger_xlsx_keeps_points_amounts_and_times(owner_client, shop):
    book = read_xlsx(export(owner_client, "ledger", "xlsx", start="2026-11-03", end="2026-11-03"))

    rows = list(book["Lines"].iter_rows(values_only=True))
    assert list(rows[0]) == LEDGER_HEADER
    (line,) = rows[1:]
    assert line[:4] == (
        datetime.datetime(2026, 11, 3, 14, 15),
        shop["maria"].formatted_number,
        "Purchase",
        12,
    )
    assert (line[5], line[6], line[7]) == (12.5, "K-1", "Kallio")


def test_file_names_say_what_when_and_where(owner_client, shop):
    response = export(
        owner_client,
        "ledger",
        "xlsx",
        start="2026-11-01",
        end="2026-11-20",
        branch=shop["kallio"].pk,
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="ledger-2026-11-01-2026-11-20-kallio.xlsx"'
    )
    assert export(owner_client, "members")["Content-Disposition"] == (
        'attachment; filename="members.csv"'
    )


def test_the_page_offers_both_exports_with_this_month_for_the_ledger(owner_client, shop):
    response = owner_client.get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="2026-11-01"' in page and 'value="2026-11-20"' in page
    assert page.count("Download XLSX") == 2
    assert 'id="id_members_branch"' in page and 'id="id_ledger_branch"' in page


def test_the_dashboard_links_to_the_exports(owner_client, shop):
    assert reverse("admin:exports") in owner_client.get(reverse("admin:index")).content.decode()


def test_staff_cannot_export(staff_client, shop):
    assert staff_client.get(URL).status_code == 403
    response = staff_client.get(URL, {"what": "members", "format": "csv"})
    assert response.status_code == 403
    assert "member@example.com" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, shop):
    response = client.get(URL, {"what": "members", "format": "csv"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_members_cannot_export(member_client, shop):
    response = member_client.get(URL, {"what": "members", "format": "csv"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def many(size, staff, store):
    for number in range(size):
        user = UserFactory(password=None)  # no password to hash: quicker
        consent.set_consent(user, "marketing", True, source=ConsentSource.SIGNUP)
        card = make_card(user)
        purchase(card, "3.00", at(11, 5), staff, f"R-{number}", store)


@pytest.mark.parametrize("size", [3, 30])
@pytest.mark.parametrize(("what", "file_format"), [("members", "csv"), ("ledger", "xlsx")])
def test_queries_do_not_grow_with_the_rows(
    owner_client, tiers, staff, branches, django_assert_num_queries, size, what, file_format
):
    many(size, staff, branches[0])
    filters = {"start": "2026-11-01", "end": "2026-11-20", "branch": branches[0].pk}

    with django_assert_num_queries(EXPORT_QUERIES + 1):
        response = owner_client.get(URL, {"what": what, "format": file_format, **filters})
        content = b"".join(response.streaming_content)

    assert content


def test_the_view_reads_no_row_before_the_download_is_read(owner_client, shop):
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get(
            URL, {"what": "ledger", "format": "csv", "start": "2026-11-01", "end": "2026-11-20"}
        )
    assert isinstance(response, StreamingHttpResponse)
    assert not any("loyalty_pointtransaction" in query["sql"] for query in queries)

    chunks = iter(response.streaming_content)
    assert next(chunks).decode("utf-8-sig").startswith("when,card number")
    assert b"K-1" in b"".join(chunks)


class Counted:
    """Rows that count how many were taken."""

    def __init__(self, total):
        self.total = total
        self.taken = 0

    def __iter__(self):
        for number in range(self.total):
            self.taken += 1
            yield [number, f"row {number}", Decimal("1.50"), at(11, 1)]


@pytest.mark.parametrize("download", [csv_download, xlsx_download])
def test_downloads_send_rows_before_reading_them_all(download):
    rows = Counted(50_000)
    response = download("file", ["number", "text", "amount", "when"], rows)

    assert isinstance(response, StreamingHttpResponse)
    taken_at_each_chunk = [rows.taken for _chunk in response.streaming_content]
    assert taken_at_each_chunk[0] == 0
    assert 0 < taken_at_each_chunk[2] < 10_000
    assert len(taken_at_each_chunk) > 10
    assert rows.taken == 50_000


@pytest.mark.parametrize("download", [csv_download, xlsx_download])
def test_a_long_download_tells_the_web_server_it_is_alive(monkeypatch, download):
    beats = []
    monkeypatch.setattr(exports, "keep_alive", lambda: beats.append(1))

    chunks = list(download("file", ["number", "text"], Counted(50_000)).streaming_content)

    assert len(beats) == len(chunks) > 5


def test_gunicorn_workers_keep_long_downloads_alive(monkeypatch):
    config = runpy.run_path(str(Path(settings.BASE_DIR) / "gunicorn.conf.py"))
    worker = SimpleNamespace(notify=lambda: None)
    monkeypatch.setattr(exports, "keep_alive", None)

    config["post_worker_init"](worker)

    assert exports.keep_alive is worker.notify


def test_xlsx_rows_past_the_sheet_limit_go_on_new_sheets_with_the_header():
    rows = ([number, f"line {number}"] for number in range(1, 8))
    data = b"".join(stream_xlsx(["number", "text"], rows, sheet="Lines", rows_per_sheet=3))

    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Lines", "Lines 2", "Lines 3"]
    sheets = [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]
    assert sheets == [
        [("number", "text"), (1, "line 1"), (2, "line 2"), (3, "line 3")],
        [("number", "text"), (4, "line 4"), (5, "line 5"), (6, "line 6")],
        [("number", "text"), (7, "line 7")],
    ]


def test_a_sheet_full_of_bytes_continues_on_the_next():
    rows = ([number, "x" * 100] for number in range(1, 1001))
    data = b"".join(stream_xlsx(["number", "text"], rows, sheet="Lines", sheet_bytes=20_000))

    book = openpyxl.load_workbook(io.BytesIO(data))
    assert len(book.sheetnames) > 1
    numbers = [row[0] for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    assert [number for number in numbers if number != "number"] == list(range(1, 1001))
    assert numbers.count("number") == len(book.sheetnames)


def test_an_empty_xlsx_still_opens_with_its_header():
    book = openpyxl.load_workbook(io.BytesIO(b"".join(stream_xlsx(["when"], []))))

    assert [list(row) for row in book.active.iter_rows(values_only=True)] == [["when"]]


HOSTILE = '=HYPERLINK("http://evil.example","click")'


def test_hostile_text_is_kept_as_text(owner_client, shop, member):
    member.first_name = HOSTILE
    member.last_name = "Mäkinen-Wijayakusuma 😀\x07"
    member.save()

    members = by_card(read_csv(export(owner_client, "members")), MEMBER_HEADER)
    maria = members[shop["maria"].formatted_number]
    assert maria["name"] == "'" + HOSTILE + " Mäkinen-Wijayakusuma 😀\x07"

    response = export(owner_client, "members", "xlsx")
    data = b"".join(response.streaming_content)
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "\x07" not in sheet_xml
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Members"]
    cell = next(row[2] for row in sheet.iter_rows(min_row=2) if row[2].value.startswith("="))
    assert cell.value == HOSTILE + " Mäkinen-Wijayakusuma 😀"
    assert cell.data_type == "s"
    assert cell.quotePrefix


def test_nul_and_control_characters_never_break_a_file():
    row = ["a\x00b\x1fc", "Äänekoski & <Ubud>", " spaced ", "Terima kasih\r\nKiitos", -5]
    header = ["one", "two", "three", "four", "five"]

    data = b"".join(stream_xlsx(header, [row]))
    values = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert values[1] == ("abc", "Äänekoski & <Ubud>", " spaced ", "Terima kasih\r\nKiitos", -5)

    content = b"".join(csv_download("file.csv", header, [row]).streaming_content)
    assert b"\x00" not in content
    assert list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1] == [
        "ab\x1fc",
        "Äänekoski & <Ubud>",
        " spaced ",
        "Terima kasih\r\nKiitos",
        "-5",
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"what": "ledger", "start": "2026-11-10", "end": "2026-11-01"},
            "The period ends before it starts.",
        ),
        ({"what": "ledger", "start": "", "end": ""}, "Give the first and the last day"),
        (
            {"what": "ledger", "start": "1999-12-31", "end": "2026-11-01"},
            "Choose dates between 2000-01-01 and 2027-11-21.",
        ),
        (
            {"what": "ledger", "start": "2026-11-01", "end": "9999-12-31"},
            "Choose dates between 2000-01-01 and 2027-11-21.",
        ),
        ({"what": "members", "start": "99999-01-01"}, "Enter a valid date."),
        ({"what": "members", "branch": "424242"}, "Select a valid choice."),
        ({"what": "members", "branch": "abc"}, "Select a valid choice."),
        ({"what": "members", "branch": "99999999999999999999"}, "Select a valid choice."),
        ({"what": "everything"}, "Select a valid choice."),
        ({"what": "members", "format": "pdf"}, "Select a valid choice."),
    ],
)
def test_bad_input_gets_a_message_and_no_file(owner, branches, query, message):
    client = Client(raise_request_exception=False)
    client.force_login(owner)

    response = client.get(URL, {"format": "csv", **query})

    assert response.status_code == 200
    assert not isinstance(response, StreamingHttpResponse)
    page = response.content.decode()
    assert message in page
    assert 'class="errornote" role="alert"' in page


def test_a_nul_byte_in_the_form_is_refused(owner, db):
    client = Client(raise_request_exception=False)
    client.force_login(owner)

    response = client.get(URL, {"what": "members", "format": "csv", "start": "2026\x00"})

    assert response.status_code == 400
