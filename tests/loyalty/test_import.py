"""Members imported from a previous system: a CSV or XLSX file is checked row by row in a dry
run that saves nothing, then exactly its good rows become printed cards with a claim PIN and an
opening balance; members who agreed get an invitation; the same file twice adds nothing."""

import datetime
import io

import openpyxl
import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from loyalty import cardnumbers, imports, services
from loyalty.exceptions import CardNumberTaken, EmailTaken, InvalidPoints, NotAllowed
from loyalty.imports import ImportFileError, Status
from loyalty.models import (
    Card,
    CardEvent,
    CardEventKind,
    Kind,
    PointTransaction,
    RetiredCardNumber,
    TierChange,
)
from tests.factories import UserFactory, make_card

HEADER = "name,email,phone,birthday,card_number,opening_balance,tier,email_consent"
IMPORT = reverse("admin:loyalty_card_import")
CONFIRM = reverse("admin:loyalty_card_import_confirm")
CARDS = reverse("admin:loyalty_card_changelist")


def number(body: str) -> str:
    """A valid card number: 11 digits and their check digit."""
    return body + cardnumbers.luhn_check_digit(body)


def mistyped(valid: str) -> str:
    return valid[:-1] + str((int(valid[-1]) + 1) % 10)


ANA = number("40000000001")
BEN = number("40000000002")
CARLA = number("40000000003")


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def member_file(*lines: str, header: str = HEADER):
    return imports.read_members(csv_bytes(*lines, header=header))


def dry_run(content: bytes, owner):
    return imports.run_import(imports.read_members(content), staff=owner, dry_run=True)


def confirm(content: bytes, owner):
    return imports.run_import(imports.read_members(content), staff=owner, dry_run=False)


def problems_by_row(report) -> dict[int, list[str]]:
    return {row.line: row.problems for row in report.with_problems}


def upload(client, content: bytes, name="members.csv"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, content)})


def saved_counts():
    return (Card.objects.count(), PointTransaction.objects.count(), DBTaskResult.objects.count())


@pytest.fixture
def registered(db):
    return UserFactory(email="registered@example.com")


@pytest.fixture
def counter_card(staff, tiers):
    """A walk-in's card issued at the counter, not imported."""
    return make_card(holder_name="Walk In", holder_email="walkin@example.com", physical=True)


@pytest.fixture
def mixed_file(registered, counter_card):
    """Rows 2 and 3 are good; every other row has one problem."""
    return csv_bytes(
        f"Ana Cruz,ana@example.com,+63 917 555 0101,1990-04-03,{ANA},250,Silver,yes",
        "Ben Reyes,,,03.11.1985,,40,,",
        f"Bad Digit,bad@example.com,,,{mistyped(BEN)},10,,",
        "Twice One,twice@example.com,,,,,,",
        "Twice Two,twice@example.com,,,,,,",
        "Unknown Tier,tier@example.com,,,,,Platinum,",
        "Negative,negative@example.com,,,,-5,,",
        "Member,registered@example.com,,,,,,",
        f"In Use,inuse@example.com,,,{counter_card.number},,,",
        "Future,future@example.com,,2999-01-01,,,,",
        "Letters,letters@example.com,call me,,,,,",
    )


def test_a_dry_run_with_good_and_bad_rows_saves_nothing_and_names_each_problem(
    owner, mixed_file, django_capture_on_commit_callbacks
):
    before = saved_counts()

    with django_capture_on_commit_callbacks(execute=True):
        report = dry_run(mixed_file, owner)

    assert saved_counts() == before
    assert mail.outbox == []
    assert [row.line for row in report.good] == [2, 3]
    assert all(row.status == Status.TO_IMPORT for row in report.good)
    problems = problems_by_row(report)
    assert problems == {
        4: ["card_number: the check digit does not match; a digit may be mistyped."],
        5: ["email: also on row 6."],
        6: ["email: also on row 5."],
        7: ["tier: there is no tier “Platinum”; the tiers are: Bronze, Silver, Gold."],
        8: ["opening_balance: cannot be negative."],
        9: ["email: belongs to a member who has an account."],
        10: ["card_number: is already the number of another card."],
        11: ["birthday: is in the future."],
        12: ["phone: contains letters."],
    }


def test_confirming_saves_exactly_the_good_rows_with_opening_balances_and_pins(
    owner, mixed_file, tiers
):
    cards_before = Card.objects.count()

    report = confirm(mixed_file, owner)

    assert [row.line for row in report.good] == [2, 3]
    assert Card.objects.count() == cards_before + 2
    ana = Card.objects.get(number=ANA)
    assert (ana.holder_name, ana.holder_email, ana.holder_phone) == (
        "Ana Cruz",
        "ana@example.com",
        "+63 917 555 0101",
    )
    assert ana.holder_birthday == datetime.date(1990, 4, 3)
    assert (ana.is_physical, ana.user, ana.balance, ana.tier) == (True, None, 250, tiers[1])
    assert ana.imported_at is not None and ana.issued_by == owner
    assert len(ana.claim_pin) == 6 and ana.claim_pin.isdigit()
    line = PointTransaction.objects.get(card=ana)
    assert (line.kind, line.points, line.balance_after, line.created_by) == (
        Kind.OPENING_BALANCE,
        250,
        250,
        owner,
    )
    assert TierChange.objects.get(card=ana).to_tier == tiers[1]
    assert list(ana.events.values_list("kind", "staff")) == [(CardEventKind.IMPORTED, owner.pk)]

    ben = Card.objects.get(holder_name="Ben Reyes")
    assert cardnumbers.is_valid(ben.number) and ben.number != ANA
    assert ben.holder_birthday == datetime.date(1985, 11, 3)
    assert ben.tier == tiers[0]  # no tier given: the one a new member gets
    # The opening balance takes the place of the sign-up bonus.
    assert list(ben.transactions.values_list("kind", "points")) == [(Kind.OPENING_BALANCE, 40)]


def test_check_ledger_proves_the_imported_balances(owner, mixed_file, capsys):
    confirm(mixed_file, owner)

    call_command("check_ledger")

    assert "Ledger adds up" in capsys.readouterr().out


def test_an_invitation_goes_only_to_rows_with_an_email_and_consent(
    owner, tiers, django_capture_on_commit_callbacks
):
    content = csv_bytes(
        f"Ana Cruz,ana@example.com,,,{ANA},250,,yes",
        f"Ben Reyes,ben@example.com,,,{BEN},10,,no",
        f"Carla Lim,,,,{CARLA},5,,yes",
        "Dina Sy,dina@example.com,,,,,,",
    )

    with django_capture_on_commit_callbacks(execute=True):
        confirm(content, owner)

    assert [message.to for message in mail.outbox] == [["ana@example.com"]]
    invitation = mail.outbox[0]
    ana = Card.objects.get(number=ANA)
    assert invitation.subject == (
        f"[{settings.BUSINESS_NAME}] Your {settings.BUSINESS_NAME} card is ready to claim online"
    )
    assert "Hello Ana Cruz," in invitation.body
    assert f"card {ana.formatted_number}, with 250 points" in invitation.body
    assert f"PIN: {ana.claim_pin}" in invitation.body
    assert f"{settings.SITE_URL}{reverse('claim_card')}" in invitation.body
    assert f"{settings.SITE_URL}{reverse('account_signup')}" in invitation.body
    html = next(body for body, kind in invitation.alternatives if kind == "text/html")
    assert f'<a href="{settings.SITE_URL}{reverse("claim_card")}">' in html


def test_the_same_file_twice_adds_nothing(owner, mixed_file, django_capture_on_commit_callbacks):
    extra = csv_bytes(
        f"Ana Cruz,ana@example.com,,,{ANA},250,,yes",
        "Ben Reyes,ben@example.com,,,,40,,yes",
        "Name Only,,0917 555 0199,,,5,,",
    )
    for content in (mixed_file, extra):
        with django_capture_on_commit_callbacks(execute=True):
            confirm(content, owner)
    before = saved_counts()
    sent = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        again = confirm(extra, owner)
        first_again = confirm(mixed_file, owner)

    assert saved_counts() == before
    assert len(mail.outbox) == sent
    assert again.good == [] and first_again.good == []
    assert [row.line for row in again.already_imported] == [2, 3, 4]
    assert [row.line for row in first_again.already_imported] == [2, 3]
    # The bad rows are still bad, not imported by the second run either.
    assert len(first_again.with_problems) == 9


def test_a_card_imported_then_replaced_at_the_counter_counts_as_imported(owner, staff, tiers):
    content = csv_bytes(f"Ana Cruz,ana@example.com,,,{ANA},250,,")
    confirm(content, owner)
    services.replace_card(Card.objects.get(number=ANA), staff=staff, reason="Lost")

    again = confirm(content, owner)

    assert RetiredCardNumber.objects.filter(number=ANA).exists()
    assert [row.status for row in again.rows] == [Status.ALREADY_IMPORTED]


def test_an_xlsx_workbook_imports_like_a_csv_file(owner, tiers):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Name", "E-mail", "Phone", "Birthday", "Card number", "Opening balance", "Tier"])
    sheet.append(["Ana Cruz", "ana@example.com", 639175550101, datetime.date(1990, 4, 3)])
    sheet["E2"], sheet["F2"], sheet["G2"] = int(ANA), 250, "gold"
    sheet.append(["Ben Reyes", None, None, "1985-11-03", f"{BEN[:4]} {BEN[4:8]} {BEN[8:]}", 40.0])
    sheet.append(["Bad", "bad@example.com", None, None, None, 12.5])
    buffer = io.BytesIO()
    workbook.save(buffer)

    report = confirm(buffer.getvalue(), owner)

    assert [row.line for row in report.good] == [2, 3]
    assert problems_by_row(report) == {4: ["opening_balance: write whole points, like 120."]}
    ana = Card.objects.get(number=ANA)
    assert (ana.balance, ana.tier, ana.holder_phone) == (250, tiers[2], "639175550101")
    assert ana.holder_birthday == datetime.date(1990, 4, 3)
    assert Card.objects.get(number=BEN).balance == 40


def test_semicolons_and_a_byte_order_mark_are_read(owner, tiers):
    content = "\ufeffName;Email;Opening balance\nAna Cruz;ana@example.com;7\n".encode()

    report = confirm(content, owner)

    assert [(row.name, row.email, row.opening_balance) for row in report.good] == [
        ("Ana Cruz", "ana@example.com", 7)
    ]


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ("Nul\x00Byte,,,,,,,", "name: contains a NUL byte or another control character."),
        (
            ",,,,\u0664\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0661,,,",
            "card_number: use the digits 0–9 only (spaces and dashes are fine).",
        ),
        (
            '"=HYPERLINK(""http://x"")",,,,,,,',
            "name: starts with “=” like a spreadsheet formula; remove it.",
        ),
        ("@SUM(A1),,,,,,,", "name: starts with “@” like a spreadsheet formula; remove it."),
        ("Long," + "a" * 250 + "@example.com,,,,,,", "email: is longer than 254 characters."),
        ("Slash,,,03/04/1990,,,,", "birthday: “03/04/1990” is not a date; write it as"),
        ("Bad,not-an-address,,,,,,", "email: “not-an-address” is not an e-mail address."),
        ("Short,,,,40001234567,,,", "card_number: has 11 digits, not 12. A spreadsheet may"),
        ("Text,,,,,lots,,", "opening_balance: “lots” is not a whole number of points"),
        ("Maybe,,,,,,,perhaps", "email_consent: write yes or no."),
        (",,0917 555 0101,,,,,", "name: a row needs a name, an e-mail address or a card number."),
    ],
)
def test_a_hostile_or_mistyped_cell_is_a_problem_of_its_row(owner, tiers, cells, problem):
    report = dry_run(csv_bytes(cells), owner)

    (row,) = report.rows
    assert row.status == Status.PROBLEM
    assert row.problems[0].startswith(problem)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\n\n  \n", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "This is not a CSV file in UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "This is an old Excel file (.xls)"),
        (b"PK\x03\x04 this is no zip", "This is not a CSV file in UTF-8"),
        (b"colour,size\nred,big\n", "The first row must name the columns"),
        (b"name,Name\nAna,Ana\n", "The column “name” is in the file twice."),
        (b'name\n"' + b"x" * 200_000 + b'"\n', "The file could not be read as CSV"),
    ],
)
def test_a_file_that_cannot_be_imported_says_why(content, message):
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        imports.read_members(content)


def test_a_file_over_the_limits_is_refused(monkeypatch):
    with pytest.raises(ImportFileError, match="larger than 5 MB"):
        imports.read_members(b"name\n" + b"x\n" * (imports.MAX_BYTES // 2))
    monkeypatch.setattr(imports, "MAX_ROWS", 3)
    with pytest.raises(ImportFileError, match="more than 3 members"):
        imports.read_members(csv_bytes("A,,,,,,,", "B,,,,,,,", "C,,,,,,,", "D,,,,,,,"))
    monkeypatch.setattr(imports, "MAX_UNPACKED_BYTES", 1000)
    workbook = openpyxl.Workbook()
    workbook.active.append(["name"])
    for index in range(200):
        workbook.active.append([f"Member {index}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(ImportFileError, match="holds too much data"):
        imports.read_members(buffer.getvalue())


def test_blank_rows_and_unknown_columns_are_left_out(owner, tiers):
    file = member_file("Ana Cruz,notes here", ",", "Ben Reyes,", header="name,notes")

    report = imports.run_import(file, staff=owner, dry_run=True)

    assert [(row.line, row.name) for row in report.good] == [(2, "Ana Cruz"), (4, "Ben Reyes")]
    assert report.ignored_columns == ["notes"]


def test_the_service_refuses_what_would_break_a_card_or_the_ledger(owner, staff, counter_card):
    with pytest.raises(NotAllowed):
        services.import_member(holder_name="Ana", staff=staff)
    with pytest.raises(InvalidPoints):
        services.import_member(holder_name="Ana", opening_balance=-1, staff=owner)
    with pytest.raises(CardNumberTaken):
        services.import_member(number=counter_card.number, staff=owner)
    with pytest.raises(EmailTaken):
        services.import_member(holder_email="WALKIN@example.com", staff=owner)
    assert not Card.objects.filter(imported_at__isnull=False).exists()


def test_a_claimed_imported_card_keeps_its_points_and_fills_the_profile(owner, outsider, tiers):
    confirm(csv_bytes(f"Otto O,otto-old@example.com,0917 555 0101,1980-02-01,{ANA},300,,"), owner)
    imported = Card.objects.get(number=ANA)

    claimed = services.claim_card(outsider, imported.formatted_number, imported.claim_pin)

    claimed.refresh_from_db()
    outsider.refresh_from_db()
    assert (claimed.pk, claimed.user, claimed.balance) == (imported.pk, outsider, 300)
    assert (outsider.phone, outsider.birthday) == ("0917 555 0101", datetime.date(1980, 2, 1))
    assert outsider.birthday_changed_at is not None


def queries_of_a_dry_run(owner, copies: int) -> int:
    lines = []
    for copy in range(copies):
        lines += [
            f"Ana {copy},ana{copy}@example.com,,,{number(f'4100000000{copy}')},250,Silver,yes",
            f"Ben {copy},ben{copy}@example.com,,,,40,,",
            f"Carla {copy},,,,{number(f'4200000000{copy}')},,,",
        ]
    file = imports.read_members(csv_bytes(*lines))
    with CaptureQueriesContext(connection) as queries:
        imports.run_import(file, staff=owner, dry_run=True)
    return len(queries)


def test_a_dry_run_costs_a_few_queries_for_the_file_and_a_dozen_per_row(owner, tiers, program):
    # The whole file: the owner role, the transaction, the tiers and four look-ups for all the
    # rows together (card numbers, retired numbers, cards and members with the addresses). Then
    # each row: a savepoint, the service's own checks (role, number and address) and writes
    # (card, ledger line and balance, tier change, card event, invitation). 3 rows: 41 queries,
    # and on PostgreSQL one more for the lock that keeps two imports from running at once.
    queries_of_a_dry_run(owner, 1)  # the webhook subscriptions are read once, then cached
    lock = 1 if connection.vendor == "postgresql" else 0
    assert queries_of_a_dry_run(owner, 1) == 41 + lock
    file_part = 9 + lock
    per_three_rows = 41 - 9
    assert queries_of_a_dry_run(owner, 3) == file_part + 3 * per_three_rows


def test_the_owner_uploads_checks_and_confirms_in_the_admin(
    owner_client, mixed_file, django_capture_on_commit_callbacks
):
    before = saved_counts()
    preview = upload(owner_client, mixed_file)

    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Dry run: nothing has been saved" in page
    assert "2 members will be imported." in page
    assert "9 rows have problems and are not imported." in page
    assert "tier: there is no tier “Platinum”" in page
    assert saved_counts() == before
    token = preview.context["confirm"].initial["upload"]

    with django_capture_on_commit_callbacks(execute=True):
        done = owner_client.post(CONFIRM, {"upload": token})

    assert done.status_code == 200
    assert "2 members imported." in done.content.decode()
    assert Card.objects.filter(imported_at__isnull=False).count() == 2
    listing = owner_client.get(CARDS + "?imported=yes").content.decode()
    assert "Ana Cruz" in listing and "Ben Reyes" in listing and "Walk In" not in listing

    # The same page sent again finds nothing waiting and imports nothing.
    again = owner_client.post(CONFIRM, {"upload": token}, follow=True)
    assert "no longer waiting to be imported" in again.content.decode()
    assert Card.objects.filter(imported_at__isnull=False).count() == 2


def test_a_forged_or_someone_elses_upload_imports_nothing(owner_client, owner, mixed_file):
    preview = upload(owner_client, mixed_file)
    token = preview.context["confirm"].initial["upload"]
    other_owner = UserFactory(is_staff=True, is_superuser=True)
    owner_client.force_login(other_owner)

    for forged in (token, token + "x", "nonsense"):
        response = owner_client.post(CONFIRM, {"upload": forged})
        assert response.status_code == 302
    assert not Card.objects.filter(imported_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "photo.csv", "not a CSV file in UTF-8"),
        (b"colour\nred\n", "members.csv", "The first row must name the columns"),
        (b"", "empty.csv", "The submitted file is empty."),
    ],
)
def test_a_bad_file_in_the_admin_gets_a_message_not_an_error(owner_client, content, name, message):
    response = upload(owner_client, content, name)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Card.objects.filter(imported_at__isnull=False).exists()


def test_an_oversized_upload_is_refused_in_the_admin(owner_client, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 100)

    response = upload(owner_client, csv_bytes(*["Ana Cruz,,,,,,,"] * 20))

    assert response.status_code == 200
    assert "Split it into smaller files." in response.content.decode()
    assert not Card.objects.filter(imported_at__isnull=False).exists()


def test_staff_who_are_not_owners_cannot_import(staff_client, mixed_file):
    assert staff_client.get(IMPORT).status_code == 403
    assert upload(staff_client, mixed_file).status_code == 403
    assert staff_client.post(CONFIRM, {"upload": "x"}).status_code == 403
    assert "Import members" not in staff_client.get(CARDS).content.decode()
    assert not Card.objects.filter(imported_at__isnull=False).exists()


def test_owners_find_the_import_on_the_cards_list(owner_client):
    page = owner_client.get(CARDS).content.decode()

    assert f'href="{IMPORT}"' in page
    assert owner_client.get(IMPORT).status_code == 200


def test_imported_cards_say_so_to_webhooks_and_count_as_brought_over(owner, tiers):
    from loyalty import events

    confirm(csv_bytes(f"Ana Cruz,,,,{ANA},250,,"), owner)

    card = Card.objects.get(number=ANA)
    assert events.member_joined(card)["joined"] == "import"
    assert CardEvent.objects.filter(card=card, kind=CardEventKind.IMPORTED).count() == 1


def test_the_example_file_in_the_docs_imports_without_problems(owner, tiers):
    content = (settings.BASE_DIR / "examples" / "members-import.csv").read_bytes()

    report = confirm(content, owner)

    assert [row.problems for row in report.rows] == [[]] * 5
    assert Card.objects.filter(imported_at__isnull=False).count() == 5
