"""How fast Suki serves its pages and runs its services, against a throwaway database.

    .venv/bin/python bench/run.py [--seconds 3] [--history 1000] [--members 2000]
                                  [--database-url URL]

Every target runs in-process through django.test.Client (the whole middleware stack, no
network) with a member logged in, and is compared with a view that only returns "ok". The
figures depend on the machine; the ratios are what to watch. A benchmark is not a test: a
slow machine prints smaller numbers and the run still succeeds.

To add a benchmark, add an entry to BENCHMARKS. If it needs data (rewards, a survey), create
that data in `prepare()` through the services, so it is as real as the shop's. A job that
runs once over every member (the daily run) is an entry in JOBS instead, reported in members
per second.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import itertools
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# `python bench/run.py` puts bench/ on the path, not the project.
sys.path.insert(0, str(ROOT))

BENCH_URLCONF = "suki_bench_urls"


# What is measured. ----------------------------------------------------------------------


@dataclass
class Bench:
    """What the benchmarks work with, made by `prepare()`."""

    client: object  # django.test.Client, logged in as the member
    member: object
    card: object  # the member's card, with --history ledger lines
    staff: object
    counter_card: object  # another member's card for services that write
    owner_client: object = None  # django.test.Client, logged in as an owner (the admin)
    reward: object = None  # a cheap, unlimited reward the counter card redeems
    survey: object = None  # a survey with --responses answers
    receipts: Iterator[int] = field(default_factory=itertools.count)


@dataclass(frozen=True)
class Benchmark:
    name: str
    run: Callable[[Bench], object]  # one request or one call
    unit: str = "req/s"


class BenchError(RuntimeError):
    pass


def page(url: str) -> Callable[[Bench], object]:
    def get(bench: Bench):
        response = bench.client.get(url)
        if response.status_code != 200:
            raise BenchError(f"GET {url} answered {response.status_code}, not 200")
        return response

    return get


def record_purchase(bench: Bench):
    from loyalty import services

    recorded = services.record_purchase(
        bench.counter_card,
        Decimal("12.50"),
        reference=f"BENCH-{next(bench.receipts)}",
        staff=bench.staff,
    )
    if not recorded.created:
        raise BenchError("record_purchase found a fresh receipt already recorded")
    return recorded


def redeem(bench: Bench):
    from rewards import services

    return services.redeem(bench.counter_card, bench.reward)


def survey_results(bench: Bench):
    url = f"/admin/surveys/survey/{bench.survey.pk}/results/"
    response = bench.owner_client.get(url)
    if response.status_code != 200:
        raise BenchError(f"GET {url} answered {response.status_code}, not 200")
    return response


# The first entry is the baseline every other figure is compared with.
BENCHMARKS = [
    Benchmark("trivial view", page("/bench/trivial/")),
    Benchmark("portal home", page("/portal/")),
    Benchmark("history page", page("/portal/history/")),
    Benchmark("record_purchase", record_purchase, unit="calls/s"),
    Benchmark("reward catalog", page("/rewards/")),
    Benchmark("redeem", redeem, unit="calls/s"),
    Benchmark("survey results", survey_results),
]

CATALOG_REWARDS = 200
SURVEY_RESPONSES = 5000


def prepare_rewards_and_survey(bench: Bench) -> None:
    """200 rewards in the catalog, and a survey with 5,000 responses for the results page."""
    import random

    from django.contrib.auth.models import Group
    from django.test import Client

    from accounts.models import User
    from loyalty import services as loyalty_services
    from loyalty.models import Kind
    from rewards.models import Reward, RewardKind
    from surveys.models import Answer, Choice, Question, QuestionKind, Response, Survey

    Reward.objects.bulk_create(
        Reward(name=f"Reward {n}", kind=RewardKind.FREE_ITEM, points_cost=100 + n * 10)
        for n in range(CATALOG_REWARDS)
    )
    bench.reward = Reward.objects.create(
        name="Bench coffee", kind=RewardKind.FREE_ITEM, points_cost=10
    )
    loyalty_services.award_bonus(bench.counter_card, Kind.GOODWILL, 10_000_000, note="bench")
    survey = Survey.objects.create(title="Bench visit survey")
    nps = Question.objects.create(survey=survey, order=1, kind=QuestionKind.NPS, text="Recommend?")
    csat = Question.objects.create(
        survey=survey, order=2, kind=QuestionKind.CSAT, text="Satisfied?"
    )
    pick = Question.objects.create(survey=survey, order=3, kind=QuestionKind.SINGLE, text="Had?")
    text = Question.objects.create(
        survey=survey, order=4, kind=QuestionKind.LONG_TEXT, text="More?"
    )
    choices = [Choice.objects.create(question=pick, label=label) for label in ["Coffee", "Tea"]]
    generator = random.Random(5)
    responses = Response.objects.bulk_create(
        Response(survey=survey) for _ in range(SURVEY_RESPONSES)
    )
    answers = []
    for response in responses:
        answers += [
            Answer(response=response, question=nps, number=generator.randint(0, 10)),
            Answer(response=response, question=csat, number=generator.randint(1, 5)),
            Answer(response=response, question=text, text="Lovely coffee, long queue."),
        ]
    Answer.objects.bulk_create(answers, batch_size=2000)
    picked = Answer.objects.bulk_create(
        (Answer(response=response, question=pick) for response in responses), batch_size=2000
    )
    Answer.choices.through.objects.bulk_create(
        (
            Answer.choices.through(answer_id=a.pk, choice_id=generator.choice(choices).pk)
            for a in picked
        ),
        batch_size=2000,
    )
    bench.survey = survey
    owner = User.objects.create_user("owner@bench.invalid", is_staff=True)
    owner.groups.add(Group.objects.get(name="Owner"))
    bench.owner_client = Client()
    bench.owner_client.force_login(owner)


# Jobs over every member, run once. ----------------------------------------------------------

# One member in DUE_EVERY has each kind of work due today; the rest have nothing to do.
DUE_EVERY = 50


@dataclass(frozen=True)
class Job:
    name: str
    prepare: Callable[[Bench, int], dict[str, int]]  # makes the members; returns what is due
    run: Callable[[], dict[str, int]]  # one run over everyone; returns its summary
    unit: str = "members/s"


def prepare_daily_run(bench: Bench, members: int) -> dict[str, int]:
    """`members` members with cards. Most have nothing to do today: no points, a birthday later
    in the year or none, the lowest tier. They are bulk-created with a zero balance and no
    ledger lines, which adds up. The few with work due get real lines through the services,
    with the clock set back: birthdays today, points that expire today, points that expire
    within the warning days, and a Silver tier reached 13 months ago and not earned since."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from loyalty import cardnumbers, demo, services
    from loyalty.models import Card, Kind, Program, Tier

    program = Program.current()
    today = timezone.localdate()
    now = timezone.now()
    birthday_today = datetime.date(1992, today.month, today.day)  # 1992: 29 February exists
    later_this_year = (
        datetime.date(1992, 12, 31) if today < today.replace(month=12, day=31) else None
    )
    year_ago = now - datetime.timedelta(days=365 + 31)
    warning_due = now - datetime.timedelta(days=365 - program.expiry_warning_days // 2)
    silver = Tier.objects.filter(threshold__gt=0).order_by("threshold").first()
    lowest = Tier.objects.order_by("threshold").first()

    def kind_of(number):
        return number % DUE_EVERY

    users = [
        User(
            email=f"daily{number}@bench.invalid",
            password="!",  # unusable, like a member who never set one
            first_name="Member",
            birthday=birthday_today if kind_of(number) == 1 else later_this_year,
        )
        for number in range(members)
    ]
    with transaction.atomic():
        User.objects.bulk_create(users, batch_size=1000)
        ids = dict(
            User.objects.filter(
                email__endswith="@bench.invalid", email__startswith="daily"
            ).values_list("email", "pk")
        )
        cards = []
        for number in range(members):
            body = f"9{number:010d}"  # the member's number, so its kind can be read back
            cards.append(
                Card(
                    number=body + cardnumbers.luhn_check_digit(body),
                    user_id=ids[f"daily{number}@bench.invalid"],
                    tier=lowest,
                    claimed_at=now,
                )
            )
        Card.objects.bulk_create(cards, batch_size=1000)
        due = {"birthdays": 0, "points expiring": 0, "expiry warnings": 0, "tiers to review": 0}
        bench_cards = Card.objects.filter(user__email__startswith="daily", number__startswith="9")
        for card in bench_cards.order_by("number").iterator():
            kind = kind_of(int(card.number[1:-1]))
            if kind == 1:
                due["birthdays"] += 1
            elif kind == 2:
                with demo.clock_at(year_ago):
                    services.award_bonus(card, Kind.GOODWILL, 80, note="Bench")
                due["points expiring"] += 1
            elif kind == 3:
                with demo.clock_at(warning_due):
                    services.award_bonus(card, Kind.GOODWILL, 80, note="Bench")
                due["expiry warnings"] += 1
            elif kind == 4 and silver is not None:
                with demo.clock_at(year_ago):
                    services.award_bonus(card, Kind.GOODWILL, silver.threshold, note="Bench")
                services.spend_points(card, 10, note="Bench")  # active, so nothing expires
                due["tiers to review"] += 1
    return due


def daily_run() -> dict[str, int]:
    from django.core.management import call_command
    from django.utils import timezone

    from loyalty.models import DailyRun

    call_command("run_daily", "--only", stdout=io.StringIO())
    return DailyRun.objects.get(day=timezone.localdate()).summary


JOBS = [Job("daily run", prepare_daily_run, daily_run)]


def trivial_view(request):
    from django.http import HttpResponse

    return HttpResponse("ok")


# The throwaway database. ----------------------------------------------------------------


@contextlib.contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    yield f"sqlite:///{workdir / 'bench.sqlite3'}"


@contextlib.contextmanager
def postgresql_database(server_url: str) -> Iterator[str]:
    """A database of its own on the server in `server_url`, created and dropped through the
    `postgres` maintenance database, so no existing database is touched."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(server_url)
    name = f"suki_bench_{secrets.token_hex(4)}"
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def configure(database_url: str, workdir: Path) -> None:
    # Set before Django reads settings; they win over the caller's environment and .env.
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "suki.settings",
            "DATABASE_URL": database_url,
            "DEBUG": "true",
            "ALLOWED_HOSTS": "testserver",
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

    from django.urls import path

    from suki import urls

    urlconf = types.ModuleType(BENCH_URLCONF)
    urlconf.urlpatterns = [path("bench/trivial/", trivial_view), *urls.urlpatterns]
    sys.modules[BENCH_URLCONF] = urlconf


def prepare(history: int) -> Bench:
    """A program with tiers, a member whose card holds `history` ledger lines spread over the
    past year, and a second card for the services that write. All through the services."""
    from django.db import transaction
    from django.db.models import Sum
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from loyalty import demo, services
    from loyalty.models import PointTransaction, Store

    # One transaction for the setup, so the file database does not sync after every purchase.
    with transaction.atomic():
        staff = User.objects.create_user("staff@bench.invalid", is_staff=True)
        demo.seed_program(staff)
        stores = [Store.objects.get_or_create(name=name)[0] for name in demo.STORES]
        member = User.objects.create_user("member@bench.invalid", first_name="Maria")
        now = timezone.now()
        start = now - datetime.timedelta(days=365)
        with demo.clock_at(start):
            card = services.issue_card(user=member)
        step = (now - start) / max(history, 1)
        lines = PointTransaction.objects.filter(card=card).count()
        for number in itertools.count(1):
            if lines >= history:
                break
            with demo.clock_at(start + step * number):
                services.record_purchase(
                    card,
                    Decimal(350 + number * 37 % 4450) / 100,
                    reference=f"R-{number:06d}",
                    staff=staff,
                    store=stores[number % len(stores)],
                )
            lines = PointTransaction.objects.filter(card=card).count()
        counter_member = User.objects.create_user("counter@bench.invalid")
        counter_card = services.issue_card(user=counter_member)

    card.refresh_from_db()
    total = PointTransaction.objects.filter(card=card).aggregate(total=Sum("points"))["total"]
    if total != card.balance:
        raise BenchError(f"ledger does not add up: {total} in lines, {card.balance} on the card")
    client = Client()
    client.force_login(member)
    bench = Bench(client=client, member=member, card=card, staff=staff, counter_card=counter_card)
    with transaction.atomic():
        prepare_rewards_and_survey(bench)
    return bench


# Running and reporting. -----------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    benchmark: Benchmark
    rate: float
    queries: int


def measure(benchmark: Benchmark, bench: Bench, *, seconds: float, warmup: int) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        benchmark.run(bench)
    # With DEBUG on the log is capped (9,000); after the setup it is full and would not grow.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        benchmark.run(bench)
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        benchmark.run(bench)
        done += 1
        now = time.perf_counter()
        if now >= deadline:
            break
    return Result(benchmark, done / (now - started), len(queries))


def figure(rate: float) -> str:
    return f"{rate:,.0f}" if rate >= 100 else f"{rate:.1f}"


WIDTH = max(len(entry.name) for entry in [*BENCHMARKS, *JOBS]) + 1


def report(result: Result, baseline: Result) -> None:
    print(
        f"  {result.benchmark.name + ':':<{WIDTH}} "
        f"{figure(result.rate):>8} {result.benchmark.unit:<7} "
        f"= {result.rate / baseline.rate:5.2f}× {baseline.benchmark.name}   "
        f"{result.queries:>3} SQL queries",
        flush=True,
    )


def run_job(job: Job, bench: Bench, *, members: int) -> None:
    """Prepare the members, run the job once, and print members per second and queries."""
    from django.db import connection

    from loyalty.models import Card
    from loyalty.selectors import ledger_mismatches

    started = time.perf_counter()
    due = job.prepare(bench, members)
    setup_seconds = time.perf_counter() - started
    processed = Card.objects.count()
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    # Counted by a wrapper: the DEBUG query log keeps only the last 9,000.
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        summary = job.run()
        seconds = time.perf_counter() - started
    if ledger_mismatches(limit=1):
        raise BenchError(f"{job.name}: the ledger does not add up afterwards")
    print(
        f"{job.name.capitalize()} over {processed:,} members: "
        + ", ".join(f"{count} {what}" for what, count in due.items())
        + f", the rest nothing to do; setup took {setup_seconds:.1f} s",
        flush=True,
    )
    print(
        f"  {job.name + ':':<{WIDTH}} {figure(processed / seconds):>8} {job.unit:<9} "
        f"= {seconds:.2f} s for everyone   {queries:,} SQL queries",
        flush=True,
    )
    print("  did: " + ", ".join(f"{name} {done}" for name, done in summary.items()), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3, help="time per target (3)")
    parser.add_argument(
        "--history", type=int, default=1000, help="ledger lines on the member's card (1000)"
    )
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs first (5)")
    parser.add_argument(
        "--members",
        type=int,
        default=2000,
        help="members for the daily run (2000; the shop plans for 100000)",
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/; the benchmark "
        "creates a database of its own there and drops it afterwards (default: a temporary "
        "SQLite file)",
    )
    args = parser.parse_args(argv)

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
            bench = prepare(args.history)
            setup_seconds = time.perf_counter() - started

            import django
            from django.conf import settings
            from django.db import connection
            from django.test.utils import override_settings

            lines = bench.card.transactions.count()
            print(
                f"Suki benchmarks: Python {platform.python_version()}, Django "
                f"{django.get_version()}, {connection.vendor}, DEBUG={settings.DEBUG}"
            )
            print(
                f"Member's card: {lines} ledger lines, {bench.card.balance} points; "
                f"setup took {setup_seconds:.1f} s; {args.seconds:g} s per target"
            )
            with override_settings(ROOT_URLCONF=BENCH_URLCONF):
                baseline = None
                for benchmark in BENCHMARKS:
                    result = measure(benchmark, bench, seconds=args.seconds, warmup=args.warmup)
                    baseline = baseline or result
                    report(result, baseline)
            for job in JOBS:
                run_job(job, bench, members=args.members)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
