"""How the owner's exports stream: two million ledger lines as CSV and XLSX, in flat memory.

    .venv/bin/python bench/exports.py [--lines 2000000] [--database-url URL]

It fills a throwaway database (a temporary SQLite file by default; with --database-url, a new
database on that PostgreSQL server, as bench/run.py does) with --lines ledger lines over the
past year on --lines/20 members' cards (members and cards by bulk_create, the lines by
executemany in batches: bulk_create's SQL without a model object per line). Then it downloads
the ledger export of the whole year and the members export, each as CSV and as XLSX, through
django.test.Client as an owner (the whole middleware stack, as bench/run.py), reading the
response's streaming content chunk by chunk. It prints seconds (and the process's CPU
seconds, which a busy machine inflates less), rows per second, bytes, the time to the first
rows, and the process's peak memory (VmHWM) before the download, at 10% of the rows and at
the end: the peak must not grow with the rows. Each download runs in a fresh Python process
of its own, so the peak is that download's, not the loading's. A benchmark is not a test: it
fails only if a download is not 200, has the wrong number of rows, or the ledger does not
add up.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from decimal import Decimal
from pathlib import Path
from unittest import mock

from run import BenchError, configure, postgresql_database, sqlite_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LINES_PER_MEMBER = 20
BATCH = 10_000
OWNER_EMAIL = "owner@bench.invalid"
FIRST_NAMES = ["Maria", "Aino", "Wayan", "Juan", "Siti", "Väinö", "Ni Luh", "José", "Öykü"]
LAST_NAMES = ["Reyes", "Mäkinen", "Wijaya", "Santos", "Rahayu", "Järvinen", "Dela Cruz"]
FORMATS = ("csv", "xlsx")


def megabytes(kilobytes: int) -> str:
    return f"{kilobytes / 1024:,.0f} MB"


def peak_memory() -> int:
    """The process's peak resident memory in KiB: VmHWM where Linux has it (ru_maxrss would
    count the parent's memory at the fork that started this process), else ru_maxrss."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@contextlib.contextmanager
def written_as_given(*fields):
    """Let bulk_create keep the `created_at` it is given instead of the time now."""
    with contextlib.ExitStack() as stack:
        for field in fields:
            stack.enter_context(mock.patch.object(field, "auto_now_add", False))
        yield


# The data. ---------------------------------------------------------------------------------


class Lines:
    """Ledger lines inserted as bulk_create inserts them (every column, its default where a
    line does not say), in batches through `executemany`, without making a model object per
    line: bulk_create took 36 s per 200,000 lines on the development machine, six minutes for
    two million."""

    def __init__(self):
        from django.db import connection

        from loyalty.models import PointTransaction

        self.connection = connection
        fields = [
            field for field in PointTransaction._meta.concrete_fields if not field.primary_key
        ]
        self.template = [
            field.get_db_prep_save(field.get_default(), connection) for field in fields
        ]
        self.position = {field.attname: index for index, field in enumerate(fields)}
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        table = quote(PointTransaction._meta.db_table)
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
        self.batch = []

    def add(self, **values) -> None:
        operations = self.connection.ops
        values["created_at"] = operations.adapt_datetimefield_value(values["created_at"])
        if "amount" in values:
            values["amount"] = operations.adapt_decimalfield_value(values["amount"], 10, 2)
        row = list(self.template)
        for name, value in values.items():
            row[self.position[name]] = value
        self.batch.append(row)
        if len(self.batch) == BATCH:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            with self.connection.cursor() as cursor:
                cursor.executemany(self.sql, self.batch)
        self.batch = []


def fill(lines: int) -> dict:
    """An owner, a staff member, the demo tiers and branches, lines // 20 members joined
    evenly over the past year (one in 50 an unclaimed printed card, one in 3 agreeing to
    marketing e-mails), and `lines` ledger lines in time order: each card's welcome bonus when
    it joins, then purchases at random branches (one line in 10 a redemption when the balance
    allows). Balances are the running sums; the cards' balances are set from their last line."""
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.db.models import OuterRef, Subquery, Sum
    from django.utils import timezone

    from accounts.models import ConsentChange, User
    from loyalty import cardnumbers, demo
    from loyalty.models import Card, Kind, PointTransaction, Store, Tier

    generator = random.Random(2026)
    members = max(lines // LINES_PER_MEMBER, 1)
    now = timezone.now()
    start = now - datetime.timedelta(days=365)
    year = now - start
    with transaction.atomic():
        staff = User.objects.create_user("staff@bench.invalid", is_staff=True)
        owner = User.objects.create_user(OWNER_EMAIL, is_staff=True)
        owner.groups.add(Group.objects.get(name="Owner"))
        demo.seed_program(staff)
        stores = list(Store.objects.values_list("pk", flat=True))
        tier = Tier.objects.order_by("threshold").first()
        joined = [start + year * number / members for number in range(members)]
        users = [
            User(
                email=f"member{number}@bench.invalid",
                password="!",
                first_name=generator.choice(FIRST_NAMES),
                last_name=generator.choice(LAST_NAMES),
                phone=f"+358 40 {number:07d}",
                birthday=datetime.date(1960 + number % 40, 1 + number % 12, 1 + number % 28),
                language=["en", "fil", "fi", "id"][number % 4],
                marketing_consent=number % 3 == 0,
                receipt_emails=number % 5 == 0,
                date_joined=joined[number],
            )
            for number in range(members)
        ]
        User.objects.bulk_create(users, batch_size=2000)
        ids = dict(User.objects.filter(email__endswith="@bench.invalid").values_list("email", "pk"))
        user_ids = [ids[f"member{number}@bench.invalid"] for number in range(members)]
        ConsentChange.objects.bulk_create(
            (
                ConsentChange(user_id=user_ids[number], mailing_list="marketing", given=True,
                              source="signup")
                for number in range(0, members, 3)
            ),
            batch_size=2000,
        )  # fmt: skip
        card_fields = [Card._meta.get_field("created_at")]
        with written_as_given(*card_fields):
            Card.objects.bulk_create(
                (
                    Card(
                        number=f"9{number:010d}" + cardnumbers.luhn_check_digit(f"9{number:010d}"),
                        user_id=None if number % 50 == 49 else user_ids[number],
                        holder_name="Holder" if number % 50 == 49 else "",
                        is_physical=number % 50 == 49,
                        tier=tier,
                        created_at=joined[number],
                        claimed_at=None if number % 50 == 49 else joined[number],
                    )
                    for number in range(members)
                ),
                batch_size=2000,
            )
        card_ids = list(
            Card.objects.filter(number__startswith="9")
            .order_by("number")
            .values_list("pk", flat=True)
        )
        balances = [0] * members
        step = year / max(lines - members, 1)

        written = Lines()

        def signup(card):
            balances[card] = 50
            written.add(
                card_id=card_ids[card], kind=Kind.SIGNUP_BONUS, points=50, balance_after=50,
                created_at=joined[card],
            )  # fmt: skip

        started = time.perf_counter()
        joined_so_far = 0
        for number in range(lines - members):
            moment = start + step * number
            while joined_so_far < members and joined[joined_so_far] <= moment:
                signup(joined_so_far)
                joined_so_far += 1
            card = generator.randrange(joined_so_far)
            if number % 10 == 9 and balances[card] >= 120:
                balances[card] -= 120
                written.add(
                    card_id=card_ids[card], kind=Kind.REDEMPTION, points=-120,
                    balance_after=balances[card], note="Cinnamon bun", created_at=moment,
                )  # fmt: skip
                continue
            cents = generator.randrange(350, 4800)
            balances[card] += cents // 100
            written.add(
                card_id=card_ids[card], kind=Kind.PURCHASE, points=cents // 100,
                balance_after=balances[card], amount=Decimal(cents) / 100,
                reference=f"R-{number}", store_id=stores[number % len(stores)],
                created_by_id=staff.pk, created_at=moment,
            )  # fmt: skip
        for card in range(joined_so_far, members):  # the last to join, after the last sale
            signup(card)
        written.flush()
        loading = time.perf_counter() - started
        last = PointTransaction.objects.filter(card=OuterRef("pk")).order_by("-created_at", "-id")
        Card.objects.update(
            balance=Subquery(last.values("balance_after")[:1]),
            last_activity_at=Subquery(last.values("created_at")[:1]),
        )
    cards = Card.objects.aggregate(total=Sum("balance"))["total"]
    ledger_total = PointTransaction.objects.aggregate(total=Sum("points"))["total"]
    if cards != ledger_total:
        raise BenchError(f"the ledger does not add up: {ledger_total} in lines, {cards} on cards")
    return {
        "lines": PointTransaction.objects.count(),
        "members": Card.objects.count(),
        "loading": loading,
        "first_day": timezone.localdate(start),
    }


# One download, in a process of its own. ----------------------------------------------------


def download(what: str, file_format: str, first_day: str, expected: int) -> None:
    """Fetch one export as the owner and print its figures (run in a child process)."""
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from suki import exports

    taken = 0
    makers = {"members": "member_rows", "ledger": "ledger_rows"}
    original = getattr(exports, makers[what])

    def counted(*args, **kwargs):
        nonlocal taken
        for row in original(*args, **kwargs):
            taken += 1
            yield row

    client = Client()
    client.force_login(User.objects.get(email=OWNER_EMAIL))
    query = {"what": what, "format": file_format}
    if what == "ledger":  # the whole year; the members export takes everyone
        query.update(start=first_day, end=timezone.localdate().isoformat())
    before = peak_memory()
    at_tenth = None
    size = 0
    newlines = 0
    first_byte = None
    path = Path(os.environ["SUKI_BENCH_WORKDIR"]) / f"{what}.{file_format}"
    with mock.patch.object(exports, makers[what], counted), path.open("wb") as output:
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get("/admin/exports/", query)
        if response.status_code != 200 or not response.streaming:
            raise BenchError(f"{what} {file_format}: {response.status_code}, not a 200 stream")
        for chunk in response.streaming_content:
            if first_byte is None and taken:
                first_byte = time.perf_counter() - started
            size += len(chunk)
            newlines += chunk.count(b"\n")
            output.write(chunk)
            if at_tenth is None and taken >= expected / 10:
                at_tenth = peak_memory()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = peak_memory()
    rows = newlines - 1 if file_format == "csv" else count_xlsx_rows(path)
    if taken != expected or rows != expected:
        raise BenchError(f"{what} {file_format}: {rows} rows written, {expected} expected")
    print(
        f"  {what + ' ' + file_format.upper() + ':':<14} {seconds:6.1f} s (CPU {cpu:5.1f} s)  "
        f"{expected / seconds:9,.0f} rows/s  {size / 1e6:7,.1f} MB  "
        f"first rows after {first_byte or 0:.2f} s   peak memory {megabytes(before)} before, "
        f"{megabytes(at_tenth or peak)} at 10%, {megabytes(peak)} at the end",
        flush=True,
    )


def count_xlsx_rows(path: Path) -> int:
    """The rows under the header rows, read back from the worksheets' XML, part by part."""
    rows = 0
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                with archive.open(name) as part:
                    tail = b""
                    while piece := part.read(1 << 20):
                        rows += (tail + piece).count(b"</row>")
                        tail = piece[-5:]
                rows -= 1
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000, help="ledger lines (2000000)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/ (default: a "
        "temporary SQLite file)",
    )
    parser.add_argument("--download", nargs=4, help=argparse.SUPPRESS)  # the child's work
    args = parser.parse_args(argv)

    if args.download:
        configure(os.environ["SUKI_BENCH_DATABASE_URL"], Path(os.environ["SUKI_BENCH_WORKDIR"]))
        what, file_format, first_day, expected = args.download
        download(what, file_format, first_day, int(expected))
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="suki-bench-"))
    try:
        database = (
            postgresql_database(args.database_url)
            if args.database_url
            else sqlite_database(workdir)
        )
        with database as database_url:
            started = time.perf_counter()
            configure(database_url, workdir)
            filled = fill(args.lines)
            setup = time.perf_counter() - started

            import django
            from django.db import connection, connections

            print(
                f"Suki exports: Python {platform.python_version()}, Django "
                f"{django.get_version()}, {connection.vendor}, {os.cpu_count()} cores"
            )
            print(
                f"{filled['lines']:,} ledger lines on {filled['members']:,} cards; "
                f"writing the lines took {filled['loading']:.0f} s, the whole setup "
                f"{setup:.0f} s",
                flush=True,
            )
            connections.close_all()
            environment = {
                **os.environ,
                "SUKI_BENCH_DATABASE_URL": database_url,
                "SUKI_BENCH_WORKDIR": str(workdir),
            }
            expected = {"ledger": filled["lines"], "members": filled["members"]}
            for what in ("ledger", "members"):
                for file_format in FORMATS:
                    subprocess.run(
                        [
                            sys.executable,
                            __file__,
                            "--download",
                            what,
                            file_format,
                            filled["first_day"].isoformat(),
                            str(expected[what]),
                        ],
                        env=environment,
                        check=True,
                    )
                    (workdir / f"{what}.{file_format}").unlink()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
