"""How long importing members from a previous system takes, and how much memory it needs.

    .venv/bin/python bench/import_members.py [--rows 10000] [--tracemalloc]

Builds a member file of `--rows` rows as CSV and as XLSX in a temporary folder, then on a fresh
SQLite database runs what the owner's upload and confirmation run (`loyalty.imports`): reading
the file, the dry run (everything written and rolled back) and the confirmed import. Then the
same CSV is imported again (every row already imported, nothing added), and the XLSX file, whose
rows are other members. The admin takes at most `loyalty.imports.MAX_ROWS` rows per file; the
benchmark lifts that limit. For each step it prints seconds, rows per second, SQL queries and the
process's peak memory so far (ru_maxrss); with `--tracemalloc` also the peak of Python's own
allocations in the step (slower: the timings then include tracing). A benchmark is not a test:
it fails only if it crashes or the ledger does not add up.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import resource
import secrets
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = [
    "name",
    "email",
    "phone",
    "birthday",
    "card_number",
    "opening_balance",
    "tier",
    "email_consent",
]
TIERS = ["", "", "Bronze", "Silver", "Gold"]


def member_rows(count: int, *, first: int) -> list[list[object]]:
    """Rows like a shop's export: every member a name and a printed card number; two in three
    an e-mail address (half of them agreeing to e-mails), a phone and a birthday; a tier for
    three in five. One row in a hundred has a mistyped card number."""
    from loyalty import cardnumbers

    numbers: set[str] = set()
    rows = []
    for index in range(first, first + count):
        number = cardnumbers.random_number()
        while number in numbers:
            number = cardnumbers.random_number()
        numbers.add(number)
        if index % 100 == 99:
            number = number[:-1] + str((int(number[-1]) + 1) % 10)
        with_email = index % 3 != 0
        rows.append(
            [
                f"Member {index}",
                f"member{index}@example.com" if with_email else "",
                f"+63 917 {index:07d}" if with_email else "",
                (datetime.date(1960, 1, 1) + datetime.timedelta(days=index % 15000)).isoformat()
                if with_email
                else "",
                f"{number[:4]} {number[4:8]} {number[8:]}",
                secrets.randbelow(3000),
                TIERS[index % len(TIERS)],
                "yes" if with_email and index % 2 else "no",
            ]
        )
    return rows


def write_csv(path: Path, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)


def write_xlsx(path: Path, rows) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def configure(workdir: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "suki.settings",
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "DEBUG": "true",
            "CACHE_URL": "locmemcache://suki-bench",
            "EMAIL_URL": "dummymail://",
            "MEDIA_ROOT": str(workdir / "media"),
            "LOG_LEVEL": "WARNING",
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def make_owner():
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import OWNER
    from loyalty.models import Program, Tier

    Program.current()
    for name, threshold in [("Bronze", 0), ("Silver", 500), ("Gold", 1500)]:
        Tier.objects.get_or_create(name=name, defaults={"threshold": threshold})
    owner = User.objects.create_user("owner@example.com", is_staff=True)
    owner.groups.add(Group.objects.get(name=OWNER))
    return owner


def peak_rss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Step:
    def __init__(self, name: str, rows: int, trace: bool):
        self.name, self.rows, self.trace = name, rows, trace

    def __enter__(self):
        from django.db import connection

        self.queries = 0

        def count(execute, sql, params, many, context):
            self.queries += 1
            return execute(sql, params, many, context)

        self.wrapper = connection.execute_wrapper(count)
        self.wrapper.__enter__()
        if self.trace:
            tracemalloc.start()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        elapsed = time.perf_counter() - self.started
        traced = ""
        if self.trace:
            traced = f"   Python peak {tracemalloc.get_traced_memory()[1] / 2**20:6.1f} MB"
            tracemalloc.stop()
        self.wrapper.__exit__(*exc)
        if exc[0] is None:
            rate = self.rows / elapsed if elapsed else 0
            print(
                f"{self.name:<28} {elapsed:7.2f} s  {rate:8,.0f} rows/s  "
                f"{self.queries:8,} queries  peak RSS {peak_rss_mb():6.1f} MB{traced}"
            )
        return False


def run(path: Path, owner, *, rows: int, trace: bool, again: bool = False) -> None:
    from loyalty import imports

    content = path.read_bytes()
    kind = path.suffix[1:].upper()
    with Step(f"{kind} read ({len(content) / 2**20:.1f} MB)", rows, trace):
        member_file = imports.read_members(content)
    if again:
        with Step(f"{kind} imported again", rows, trace):
            report = imports.run_import(member_file, staff=owner, dry_run=False)
        print(f"{'':<28} {len(report.already_imported):,} rows already imported, none added")
        return
    with Step(f"{kind} dry run", rows, trace):
        report = imports.run_import(member_file, staff=owner, dry_run=True)
    with Step(f"{kind} confirmed", rows, trace):
        report = imports.run_import(member_file, staff=owner, dry_run=False)
    print(
        f"{'':<28} {len(report.good):,} imported, {len(report.with_problems):,} rows with "
        f"problems, {len(report.already_imported):,} already imported"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--tracemalloc", action="store_true")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="suki-bench-import-") as folder:
        workdir = Path(folder)
        configure(workdir)
        from django.db import connection

        from loyalty.models import Card, PointTransaction
        from loyalty.selectors import ledger_mismatches

        owner = make_owner()
        csv_path, xlsx_path = workdir / "members.csv", workdir / "members.xlsx"
        write_csv(csv_path, member_rows(options.rows, first=0))
        write_xlsx(xlsx_path, member_rows(options.rows, first=options.rows))

        from loyalty import imports

        # The admin takes at most MAX_ROWS rows per file, so that each step fits in a request;
        # the benchmark measures bigger files too.
        limit, imports.MAX_ROWS = imports.MAX_ROWS, max(imports.MAX_ROWS, options.rows)
        print(
            f"database {connection.vendor}, {options.rows:,} rows per file "
            f"(the admin takes {limit:,} per file)"
        )
        run(csv_path, owner, rows=options.rows, trace=options.tracemalloc)
        run(csv_path, owner, rows=options.rows, trace=options.tracemalloc, again=True)
        run(xlsx_path, owner, rows=options.rows, trace=options.tracemalloc)

        broken = len(ledger_mismatches())
        print(
            f"afterwards: {Card.objects.count():,} cards, "
            f"{PointTransaction.objects.count():,} ledger lines, "
            f"ledger: {broken} cards do not add up"
        )
        if broken:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
