"""How the counter's search, the admin lists and the nightly jobs grow with the shop.

    .venv/bin/python bench/scale.py [--sizes 20000 2000000] [--runs 10] [--warmup 3]
                                    [--months 6] [--no-daily] [--database-url URL]

For each size (ledger lines; one member per 20 lines, so 1,000 and 100,000 members) it builds
bench/dashboard.py's shop in a throwaway PostgreSQL database and measures, as an owner through
django.test.Client (the whole middleware stack, one connection, DEBUG=True as in run.py):

- the counter's search (GET /admin/counter/?query=…) for a member's whole name, e-mail and
  phone number: the median of `--runs` requests and their SQL queries. Target: at most twice
  the time at 100 times the members.
- the admin lists of the ledger, cards, redemptions, survey responses and complaints, each
  plain (the first page in its default order) and with a filter. Target: at most three times
  the time at 100 times the lines, with the same queries.
- `manage.py check_ledger`: seconds and queries (one aggregated pass over the ledger).
- `manage.py run_daily --only` with the clock moved `--months` on (time-machine), so the
  points of every member who has not come since then expire today, among the other work due:
  members per second, each step's seconds, the queries, and the ledger checked afterwards.

It prints a table of both sizes and their ratios. A benchmark is not a test: it fails only if it
crashes, a page does not answer as expected or the ledger does not add up.
"""

from __future__ import annotations

import argparse
import datetime
import io
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from dashboard import (
    DEFAULT_SERVER,
    DEFAULT_SIZES,
    SURNAME_ENDS,
    SURNAME_STARTS,
    Size,
    bench_database,
    build,
    check,
    owner_client,
    seed_base,
    use_database,
)
from run import BenchError

SEARCH_TARGET = 2
LIST_TARGET = 3
SEARCHED_MEMBER = 711  # in the generated shop at every size from 20,000 lines up


@dataclass
class Timing:
    milliseconds: float
    queries: int


@dataclass
class SizeResult:
    pages: dict[str, Timing] = field(default_factory=dict)
    check_seconds: float = 0.0
    check_queries: int = 0
    daily: str = ""


def searched_member() -> dict[str, str]:
    """What staff type at the counter to find member number SEARCHED_MEMBER of the generated
    shop: the whole name, the e-mail as far as the @, the phone's last seven digits."""
    from loyalty import demo

    n = SEARCHED_MEMBER
    first = demo.MEMBERS[n % len(demo.MEMBERS)][0]
    last = SURNAME_STARTS[n * 17 % 40] + SURNAME_ENDS[n // 40 % 40]
    digits = f"{n:07d}"
    return {
        "search: whole name": f"{first} {last}",
        "search: e-mail": f"member{n}@",
        "search: phone": f"{digits[:3]} {digits[3:]}",
    }


def pages() -> dict[str, tuple[str, tuple[int, ...]]]:
    """name: (address, the statuses it may answer) of every page timed."""
    from urllib.parse import urlencode

    from django.urls import reverse

    from loyalty.models import Store, Tier
    from surveys.models import Survey

    store = Store.objects.order_by("pk").first()
    gold = Tier.objects.order_by("-threshold").first()
    survey = Survey.objects.order_by("pk").first()
    counter = reverse("admin:counter")
    # One card goes straight to it (302); at 100,000 members a whole name is shared by a few,
    # who are listed (200), as staff would see them.
    found = {
        name: (f"{counter}?{urlencode({'query': text})}", (200, 302))
        for name, text in searched_member().items()
    }
    lists = {
        "ledger": ("loyalty/pointtransaction", f"kind__exact=expiry&store__id__exact={store.pk}"),
        "cards": ("loyalty/card", f"tier__id__exact={gold.pk}"),
        "redemptions": ("rewards/redemption", "status__exact=issued"),
        "responses": ("surveys/response", f"survey__id__exact={survey.pk}"),
        "complaints": ("surveys/complaint", "status__exact=new"),
    }
    for name, (path, query) in lists.items():
        found[f"{name} list"] = (f"/admin/{path}/", (200,))
        found[f"{name} list, filtered"] = (f"/admin/{path}/?{query}", (200,))
    year = datetime.date.today().year
    found["ledger list, one year"] = (
        f"/admin/loyalty/pointtransaction/?created_at__year={year}",
        (200,),
    )
    return found


def measure(client, url: str, statuses: tuple[int, ...], *, runs: int, warmup: int) -> Timing:
    from django.db import connection

    def get():
        response = client.get(url)
        if response.status_code not in statuses:
            raise BenchError(f"GET {url} answered {response.status_code}, not {statuses}")

    for _ in range(warmup):
        get()
    counts: list[int] = []

    def count(execute, sql, params, many, context):
        counts[-1] += 1
        return execute(sql, params, many, context)

    seconds = []
    with connection.execute_wrapper(count):
        for _ in range(runs):
            counts.append(0)
            started = time.perf_counter()
            get()
            seconds.append(time.perf_counter() - started)
    if len(set(counts)) > 1:
        print(f"  note: {url} ran {sorted(set(counts))} queries on different requests")
    return Timing(statistics.median(seconds) * 1000, counts[0])


def counting(work) -> tuple[float, int]:
    """Seconds and SQL queries of `work()`."""
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        work()
        return time.perf_counter() - started, queries


def check_ledger() -> tuple[float, int]:
    from django.core.management import call_command
    from django.db import connection, transaction

    def work():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 0")
            call_command("check_ledger", stdout=io.StringIO(), stderr=io.StringIO())

    return counting(work)


def daily_run(months: int) -> str:
    """run_daily for one day, `months` after today, with the clock there: what was due, what it
    did, how long each step took."""
    import time_machine
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Q
    from django.test.utils import override_settings
    from django.utils import timezone

    from core.dates import shift_months
    from loyalty.models import Card, DailyRun, Program
    from suki.management.commands import run_daily

    moment = shift_months(timezone.now(), months)
    day = timezone.localtime(moment).date()
    program = Program.current()
    start_of_day = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    cutoff = shift_months(start_of_day, -program.expiry_months)
    cards = Card.objects.aggregate(
        cards=Count("pk"),
        expiring=Count("pk", filter=Q(balance__gt=0, last_activity_at__lt=cutoff)),
    )
    steps: dict[str, float] = {}
    original_step = run_daily.Command._step

    def timed_step(self, step_day, name, work, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original_step(self, step_day, name, work, *args, **kwargs)
        finally:
            steps[name] = steps.get(name, 0) + time.perf_counter() - started

    run_daily.Command._step = timed_step
    out, errors = io.StringIO(), io.StringIO()
    try:
        with (
            override_settings(DEBUG=False),
            time_machine.travel(moment, tick=True),
            connection.cursor() as cursor,
        ):
            cursor.execute("SET statement_timeout = 0")
            seconds, queries = counting(
                lambda: call_command("run_daily", "--only", stdout=out, stderr=errors)
            )
            cursor.execute("RESET statement_timeout")
    finally:
        run_daily.Command._step = original_step
    if errors.getvalue().strip():
        raise BenchError(f"run_daily reported failures:\n{errors.getvalue()}")
    summary = DailyRun.objects.get(day=day).summary
    done = ", ".join(f"{name} {count:,}" for name, count in summary.items() if count)
    slowest = sorted(steps.items(), key=lambda item: -item[1])[:5]
    return (
        f"run_daily for {day} ({months} months on): {cards['cards']:,} members, "
        f"{cards['expiring']:,} with points expiring; {seconds:.1f} s = "
        f"{cards['cards'] / seconds:,.0f} members/s, {queries:,} queries\n"
        f"    did: {done or 'nothing'}\n"
        "    slowest steps: " + ", ".join(f"{name} {value:.1f} s" for name, value in slowest)
    )


def run_size(size: Size, server: str, workdir: Path, args, *, first: bool) -> SizeResult:
    result = SizeResult()
    with bench_database(server) as database_url:
        started = time.perf_counter()
        use_database(database_url, workdir)
        if first:
            header(args)
        base = seed_base()
        build(size, base, verbose=False)
        check(size)
        print(
            f"{size} ({size.members:,} members): built in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        client = owner_client(base)
        for name, (url, statuses) in pages().items():
            timing = measure(client, url, statuses, runs=args.runs, warmup=args.warmup)
            result.pages[name] = timing
            print(f"  {name + ':':<30} {timing.milliseconds:8.1f} ms  {timing.queries:>3} queries")
        result.check_seconds, result.check_queries = check_ledger()
        print(
            f"  check_ledger: {result.check_seconds:.2f} s, {result.check_queries} queries",
            flush=True,
        )
        if args.daily:
            result.daily = daily_run(args.months)
            print("  " + result.daily, flush=True)
            seconds, _queries = check_ledger()
            print(f"  check_ledger afterwards: adds up ({seconds:.2f} s)", flush=True)
    return result


def header(args) -> None:
    import django
    from django.db import connection

    version = connection.cursor().connection.info.server_version
    print(
        f"Suki at scale: Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {version // 10000}.{version % 10000}; median of {args.runs} requests after "
        f"{args.warmup} untimed",
        flush=True,
    )


def summarise(results: dict[Size, SizeResult], sizes: list[Size]) -> None:
    small, large = sizes[0], sizes[-1]
    print()
    print(f"{'':<30} {str(small):>20} {str(large):>24}   ratio  target")
    met = True
    for name, timing in results[small].pages.items():
        big = results[large].pages[name]
        ratio = big.milliseconds / timing.milliseconds
        target = SEARCH_TARGET if name.startswith("search") else LIST_TARGET
        # A list runs no more queries at the larger size (a small table is counted exactly, a
        # large one estimated: one fewer). A search may find one card at the smaller size (a
        # redirect) and namesakes at the larger (a list, one query more).
        same = name.startswith("search") or big.queries <= timing.queries
        ok = ratio <= target and same
        met = met and ok
        print(
            f"{name:<30} {timing.milliseconds:9.1f} ms ({timing.queries:>2} q) "
            f"{big.milliseconds:11.1f} ms ({big.queries:>2} q)   {ratio:5.1f}  ≤ {target}"
            f"{'' if ok else '  NOT met'}"
        )
    few, many = results[small], results[large]
    print(
        f"{'check_ledger':<30} {few.check_seconds:10.2f} s ({few.check_queries} q) "
        f"{many.check_seconds:12.2f} s ({many.check_queries} q)   "
        f"{many.check_seconds / max(few.check_seconds, 1e-9):5.0f}"
    )
    if large != small:
        print(f"Targets {'met' if met else 'NOT met'} (the ratios, and no list with more queries).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--runs", type=int, default=10, help="timed requests, median (10)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (3)")
    parser.add_argument(
        "--months", type=int, default=6, help="how far on the daily run's day is (6)"
    )
    parser.add_argument(
        "--no-daily", dest="daily", action="store_false", help="leave out the daily run"
    )
    parser.add_argument("--database-url", default=DEFAULT_SERVER)
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        parser.error("the shop is generated in PostgreSQL's SQL: pass a PostgreSQL server")
    sizes = [Size(lines) for lines in sorted(set(args.sizes))]
    if min(size.members for size in sizes) <= SEARCHED_MEMBER:
        parser.error(f"the smallest size needs more than {SEARCHED_MEMBER * 20:,} lines")

    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="suki-bench-scale-"))
    results: dict[Size, SizeResult] = {}
    try:
        for number, size in enumerate(sizes):
            results[size] = run_size(size, args.database_url, workdir, args, first=number == 0)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    summarise(results, sizes)
    print(f"Whole run: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted; the bench databases are dropped.", file=sys.stderr)
        sys.exit(130)
