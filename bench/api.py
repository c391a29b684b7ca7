"""How many purchases per second the till API records over HTTP, next to a bare REST view.

    .venv/bin/python bench/api.py [--seconds 5] [--warmup 2] [--threads 4] [--workers N]
                                  [--cards 50] [--cache-url URL] [--database-url URL]

Serves Suki for real: gunicorn with the project's gunicorn.conf.py (sync workers: 2, or 1 on
SQLite) on a free port of 127.0.0.1, production settings (DEBUG=false, persistent database
connections), a throwaway database as in bench/run.py. `--threads` client threads in this
process send requests with http.client (keep-alive, but sync workers close the connection
after each answer, as they do behind the proxy) for `--seconds` per target, after `--warmup`
seconds of the same, untimed:

- a bare REST framework GET view (no authentication, no permission), answering {"ok": true};
- a bare REST framework POST view with the API's own till-key authentication, scope permission
  and per-key throttle, echoing the purchase's JSON body: what any till request costs;
- POST /api/v1/cards/<number>/purchases without an Idempotency-Key, then with one, a new
  receipt number (and key) per request, round-robin over `--cards` cards.

It prints requests per second, each as a ratio to the bare views, the median and 99th
percentile answer times, and the SQL queries of one request (counted in-process with
django.test.Client, outside the timed loop). Afterwards it checks that the ledger adds up and
that there is one purchase line per 201 answer. The figures depend on the machine (the client
shares its cores with the server); the ratios are what to watch. A benchmark is not a test: a
slow machine prints smaller numbers and the run still succeeds; it fails if a request is not
answered as it should be or the ledger does not add up.

Also the urlconf of the served app (ROOT_URLCONF = "api", from bench/ on the path): the two
bare views, then Suki's own addresses.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import itertools
import json
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from _serve import HOST, Server
from run import BenchError, configure, figure, postgresql_database, sqlite_database

BARE_GET = "/bench/ok"
BARE_POST = "/bench/echo"
REQUEST_TIMEOUT = 30  # seconds a request may take, gunicorn's own timeout
RATE_LIMIT = 10_000_000  # requests per minute per key, so the throttle counts but never refuses
ITEMS = [{"name": "Cappuccino", "quantity": 2}, {"name": "Cinnamon bun", "quantity": 1}]


# The served app's urlconf: the bare views, built when a worker first resolves a URL. -------


def bare_urlpatterns() -> list:
    from django.urls import path
    from rest_framework.decorators import api_view, authentication_classes, permission_classes
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response

    from loyalty.api_base import requires
    from loyalty.models import Scope
    from suki import urls

    @api_view(["GET"])
    @authentication_classes([])
    @permission_classes([AllowAny])
    def bare_get(request):
        return Response({"ok": True})

    # The API's defaults (till-key authentication, per-key throttle), the purchase's scope.
    @api_view(["POST"])
    @permission_classes([requires(Scope.PURCHASES)])
    def bare_post(request):
        return Response(request.data)

    return [path(BARE_GET[1:], bare_get), path(BARE_POST[1:], bare_post), *urls.urlpatterns]


def __getattr__(name: str):
    """`urlpatterns` and the error handlers when Django imports this module as a urlconf;
    lazily, so that running the benchmark imports no Django before `configure()`."""
    if name == "urlpatterns":
        globals()["urlpatterns"] = patterns = bare_urlpatterns()
        return patterns
    if name.startswith("handler"):
        from suki import urls

        return getattr(urls, name)
    raise AttributeError(name)


# What is measured. ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    # From a request number (unique in the run): method, path, body, headers.
    request: Callable[[int], tuple[str, str, bytes | None, dict[str, str]]]
    expect: int  # the status every answer must have
    purchase: bool = False


@dataclass
class Load:
    """What the client threads saw for one target."""

    target: Target
    done: int = 0  # timed requests answered with the expected status
    seconds: float = 0.0
    client_cpu: float = 0.0  # CPU seconds of this process (the client) per second
    latencies: list[float] = field(default_factory=list)  # of those
    statuses: collections.Counter = field(default_factory=collections.Counter)  # with warmup
    unexpected: list[str] = field(default_factory=list)  # the first few wrong answers

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def targets(key: str, cards: list[str]) -> list[Target]:
    """The bare GET view first and the bare POST view second: the baselines."""
    auth = {"Authorization": f"Api-Key {key}", "Accept": "application/json"}
    # The proxy in front says the request came over HTTPS (SECURE_SSL_REDIRECT is on).
    proxy = {"X-Forwarded-Proto": "https"}
    json_body = {**auth, **proxy, "Content-Type": "application/json"}

    def sale(number: int) -> bytes:
        receipt = f"API-{number}"
        return json.dumps({"amount": "12.50", "receipt": receipt, "items": ITEMS}).encode()

    def purchases_path(number: int) -> str:
        return f"/api/v1/cards/{cards[number % len(cards)]}/purchases"

    return [
        Target("bare GET view", lambda n: ("GET", BARE_GET, None, proxy), 200),
        Target("bare POST view", lambda n: ("POST", BARE_POST, sale(n), json_body), 200),
        Target(
            "purchase",
            lambda n: ("POST", purchases_path(n), sale(n), json_body),
            201,
            purchase=True,
        ),
        Target(
            "purchase, Idempotency-Key",
            lambda n: (
                "POST",
                purchases_path(n),
                sale(n),
                {**json_body, "Idempotency-Key": f"bench-{n}"},
            ),
            201,
            purchase=True,
        ),
    ]


def hammer(
    target: Target, port: int, numbers: itertools.count, *, threads: int, seconds, warmup
) -> Load:
    """`threads` keep-alive connections sending `target` as fast as answers come: `warmup`
    seconds untimed, then `seconds` timed (every thread starts timing at the same moment)."""
    load = Load(target)
    lock = threading.Lock()
    timing = {}

    def start_timing():
        timing["cpu"] = time.process_time()
        timing["started"] = time.perf_counter()
        timing["deadline"] = timing["started"] + seconds

    ready = threading.Barrier(threads, action=start_timing, timeout=warmup + REQUEST_TIMEOUT + 10)
    finished = []
    failures = []

    def send(connection, statuses) -> bool:
        method, path, body, headers = target.request(next(numbers))
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            raise
        statuses[response.status] += 1
        if response.status != target.expect and len(load.unexpected) < 3:
            load.unexpected.append(f"{method} {path}: {response.status} {answer[:160]!r}")
        return response.status == target.expect

    def work():
        connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        statuses = collections.Counter()
        latencies = []
        try:
            warm_until = time.perf_counter() + warmup
            while time.perf_counter() < warm_until:
                send(connection, statuses)
            ready.wait()
            deadline = timing["deadline"]
            while True:
                sent = time.perf_counter()
                answered = send(connection, statuses)
                now = time.perf_counter()
                if answered:  # a refusal (a 503 from a locked database) is not a purchase
                    latencies.append(now - sent)
                if now >= deadline:
                    break
            with lock:
                finished.append(now)
        except Exception as error:  # noqa: BLE001 - reported below, the others stop too
            ready.abort()
            with lock:
                failures.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()
            with lock:
                load.statuses.update(statuses)
                load.latencies.extend(latencies)

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    give_up = time.monotonic() + warmup + seconds + 2 * REQUEST_TIMEOUT + 10
    for worker in workers:
        worker.join(timeout=max(0, give_up - time.monotonic()))
    ended = max(finished, default=time.perf_counter())
    if any(worker.is_alive() for worker in workers):
        raise BenchError(f"{target.name}: a client thread is still waiting for an answer")
    if failures:
        # The first that is not another thread's broken barrier says what went wrong.
        failures.sort(key=lambda failure: failure.startswith("BrokenBarrierError"))
        raise BenchError(f"{target.name}: {failures[0]}")
    load.done = len(load.latencies)
    load.seconds = ended - timing["started"]
    load.client_cpu = (time.process_time() - timing["cpu"]) / load.seconds
    return load


def count_queries(key: str, cards: list[str]) -> list[int]:
    """The SQL queries of one request to each target, in-process through django.test.Client,
    after one untimed request of the same (so the key's `last_used_at` is fresh)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(headers={"Authorization": f"Api-Key {key}"})
    numbers = itertools.count()
    counts = []

    def post(path: str, headers=None):
        number = next(numbers)
        body = {"amount": "12.50", "receipt": f"INPROC-{number}", "items": ITEMS}
        headers = {"Idempotency-Key": f"inproc-{number}"} if headers else {}
        return client.post(path, body, content_type="application/json", headers=headers)

    path = f"/api/v1/cards/{cards[0]}/purchases"
    requests = [
        (lambda: client.get(BARE_GET), 200),
        (lambda: post(BARE_POST), 200),
        (lambda: post(path), 201),
        (lambda: post(path, headers=True), 201),
    ]
    with override_settings(ROOT_URLCONF="api"):  # this file, from bench/ on the path
        for request, expect in requests:
            request()
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as queries:
                response = request()
            if response.status_code != expect:
                raise BenchError(
                    f"{response.request['PATH_INFO']} answered {response.status_code}, "
                    f"not {expect}: {response.content[:300]!r}"
                )
            counts.append(len(queries))
    return counts


# The data and the server. -----------------------------------------------------------------


def prepare(cards: int) -> tuple[str, list[str]]:
    """The demo tiers, branches and the Main Street till's key (every scope; its limit raised
    with `update()`, past the admin's 10,000 a minute, so the throttle still counts every
    request but never refuses one), and `cards` members' cards, each with a first purchase
    already (its bonus is not measured). All through the services."""
    from django.db import transaction

    from accounts.models import User
    from loyalty import demo, services
    from loyalty.models import Store, TillKey

    with transaction.atomic():
        staff = User.objects.create_user("staff@bench.invalid", is_staff=True)
        demo.seed_program(staff)
        key = demo.seed_till_key()
        TillKey.objects.filter(prefix=key.partition(".")[0]).update(requests_per_minute=RATE_LIMIT)
        store = Store.objects.get(name=demo.STORES[0])
        numbers = []
        for number in range(cards):
            member = User.objects.create_user(f"till{number}@bench.invalid", first_name="Till")
            card = services.issue_card(user=member)
            services.record_purchase(
                card, "8.00", reference=f"SEED-{number}", staff=staff, store=store
            )
            numbers.append(card.number)
    return key, numbers


# Running and reporting. -----------------------------------------------------------------


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def report(load: Load, queries: int, bare_get: Load, bare_post: Load | None) -> None:
    ratios = f"{load.rate / bare_get.rate:5.2f}× bare GET"
    if bare_post is not None:
        ratios += f"  {load.rate / bare_post.rate:5.2f}× bare POST"
    latencies = sorted(load.latencies) or [float("nan")]  # nothing answered as expected
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"  {load.target.name + ':':<27} {figure(load.rate):>6} req/s   {ratios:<30}"
        f"  {milliseconds(statistics.median(latencies)):>5} ms median, "
        f"{milliseconds(p99):>5} ms p99   {queries:>2} SQL queries   "
        f"client {load.client_cpu:.2f} CPU",
        flush=True,
    )


def check(loads: list[Load], server: Server) -> None:
    """Every answer as expected, one purchase line per 201, one key row per keyed answer, and
    a ledger that adds up."""
    from loyalty.models import IdempotentRequest, Kind, PointTransaction
    from loyalty.selectors import ledger_mismatches

    created = sum(load.statuses[201] for load in loads if load.target.purchase)
    lines = PointTransaction.objects.filter(kind=Kind.PURCHASE, reference__startswith="API-")
    keyed = IdempotentRequest.objects.filter(key__startswith="bench-").count()
    answered_with_key = sum(loads[3].statuses.values())
    mismatches = len(ledger_mismatches())
    print(
        f"Afterwards: {lines.count():,} purchase lines for {created:,} answers 201; "
        f"{keyed:,} Idempotency-Key rows for {answered_with_key:,} requests with a key; "
        f"ledger: {mismatches} cards do not add up",
        flush=True,
    )
    wrong = [
        f"{load.target.name}: {dict(load.statuses)} (expected {load.target.expect}); "
        + "; ".join(load.unexpected)
        for load in loads
        if set(load.statuses) != {load.target.expect}
    ]
    if wrong:
        logged = "".join(f"\n  {line}" for line in server.errors())
        raise BenchError(
            "Answers not as expected:\n  " + "\n  ".join(wrong) + "\nThe server logged:" + logged
        )
    if lines.count() != created or keyed != answered_with_key or mismatches:
        raise BenchError("The purchases recorded do not match the answers, or the ledger is off")


def database_version() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (one writer at a time)"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="time per target (5)")
    parser.add_argument("--warmup", type=float, default=2, help="untimed seconds first (2)")
    parser.add_argument("--threads", type=int, default=4, help="client connections (4)")
    parser.add_argument(
        "--workers",
        type=int,
        help="gunicorn sync workers (2; 1 on SQLite, where two workers writing at once "
        "get 'database is locked')",
    )
    parser.add_argument("--cards", type=int, default=50, help="cards the purchases go to (50)")
    parser.add_argument(
        "--cache-url",
        default="locmemcache://suki-bench",
        help="the cache the per-key throttle counts in, e.g. a Redis database of the "
        "benchmark's own (default: each worker's own memory; production uses Redis)",
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/; the benchmark "
        "creates a database of its own there and drops it afterwards (default: a temporary "
        "SQLite file)",
    )
    args = parser.parse_args(argv)

    # A kill stops the server and drops the database too, like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    workdir = Path(tempfile.mkdtemp(prefix="suki-bench-api-"))
    try:
        database = (
            postgresql_database(args.database_url)
            if args.database_url
            else sqlite_database(workdir)
        )
        with database as database_url:
            started = time.perf_counter()
            configure(database_url, workdir)
            key, cards = prepare(args.cards)
            queries = count_queries(key, cards)
            setup_seconds = time.perf_counter() - started

            import django
            import gunicorn
            import rest_framework
            from django.db import connection, connections

            workers = args.workers or (1 if connection.vendor == "sqlite" else 2)

            print(
                f"Suki till API over HTTP: Python {platform.python_version()}, Django "
                f"{django.get_version()}, REST framework {rest_framework.VERSION}, gunicorn "
                f"{gunicorn.__version__} (sync workers: {workers}, DEBUG=false), "
                f"{database_version()}, {os.cpu_count()} cores (load average "
                f"{os.getloadavg()[0]:.1f} before the run)"
            )
            print(
                f"{args.threads} client threads on {HOST}, {args.cards} cards; setup took "
                f"{setup_seconds:.1f} s; {args.warmup:g} s warmup and {args.seconds:g} s "
                "per target",
                flush=True,
            )
            connections.close_all()
            server = Server(
                workdir, workers=workers, cache_url=args.cache_url, urlconf="api", probe=BARE_GET
            )
            try:
                server.wait_until_up()
                numbers = itertools.count()
                loads = []
                for target, count in zip(targets(key, cards), queries, strict=True):
                    load = hammer(
                        target,
                        server.port,
                        numbers,
                        threads=args.threads,
                        seconds=args.seconds,
                        warmup=args.warmup,
                    )
                    loads.append(load)
                    report(load, count, loads[0], loads[1] if len(loads) > 1 else None)
            finally:
                server.stop()
            check(loads, server)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
