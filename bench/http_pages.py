"""How fast Suki serves its pages over HTTP, next to a bare view with the same logged-in session.

    .venv/bin/python bench/http_pages.py [--seconds 5] [--warmup 2] [--rounds 2]
                                         [--connections 4] [--workers 2] [--cache-url URL]
                                         [--conn-max-age SECONDS] [--database-url URL]

Serves Suki for real, as bench/api.py does (bench/_serve.py): gunicorn with the project's
gunicorn.conf.py (2 sync workers), production settings (DEBUG=false, persistent database
connections, the cached template loader, sessions read from Redis), on PostgreSQL, with the demo
shop (`manage.py seed_demo`) in a throwaway database. wrk (Debian's package: apt-get install
wrk) loads each target for `--seconds` after `--warmup` seconds untimed:

- a bare view (returns "ok") without a session, and the same view with the demo member's
  logged-in session (the session and the member are loaded, as on every member page);
- the member home (/portal/), the points history (/portal/history/), the reward catalog
  (/rewards/) as the demo member, and the public home (/) as a visitor.

It prints requests per second, each page as a ratio to the bare view with the session (the
targets: at least 0.5 for the member pages, 0.7 for the public home), the median and 99th
percentile answer times, the SQL queries of one request (counted in-process with
django.test.Client under the same settings) and the share of a core wrk used. Every answer must
be 200; a redirect (a lost session) fails the run. `--rounds` repeats every target, so each ratio
is measured more than once in the same run. The figures depend on the machine, and wrk shares
its cores with the server: compare the ratios.

Also the urlconf of the served app (ROOT_URLCONF = "http_pages", from bench/ on the path): the
bare view, then Suki's own addresses.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _serve import HOST, Server, production_environment, write_settings
from run import BenchError, figure, postgresql_database

BARE = "/bench/ok"
URLCONF = "http_pages"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_CACHE = "redis://127.0.0.1:6379/0"
MEMBER = "member@example.com"  # the demo's member, with a year of history
MEMBER_TARGET = 0.5
PUBLIC_TARGET = 0.7

# wrk's script: count the answers by status and print one JSON line at the end.
WRK_SCRIPT = """
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  good, bad, first_bad = 0, 0, 0
end
function response(status, headers, body)
  if status == 200 then
    good = good + 1
  else
    bad = bad + 1
    if first_bad == 0 then first_bad = status end
  end
end
function done(summary, latency, requests)
  local good, bad, first_bad = 0, 0, 0
  for _, thread in ipairs(threads) do
    good = good + thread:get("good")
    bad = bad + thread:get("bad")
    if first_bad == 0 then first_bad = thread:get("first_bad") end
  end
  local errors = summary.errors
  io.write(string.format(
    'SUKI {"duration_us": %d, "good": %d, "bad": %d, "first_bad": %d, "p50_us": %d, ' ..
    '"p99_us": %d, "errors": %d}\\n',
    summary.duration, good, bad, first_bad, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.timeout))
end
"""


# The served app's urlconf: the bare view, built when a worker first resolves a URL. --------


def bare_view(request):
    from django.http import HttpResponse

    return HttpResponse("ok", content_type="text/plain")


def __getattr__(name: str):
    """`urlpatterns` and the error handlers when Django imports this module as a urlconf;
    lazily, so that running the benchmark imports no Django before it is configured."""
    if name == "urlpatterns":
        from django.urls import path

        from suki import urls

        globals()["urlpatterns"] = patterns = [path(BARE[1:], bare_view), *urls.urlpatterns]
        return patterns
    if name.startswith("handler"):
        from suki import urls

        return getattr(urls, name)
    raise AttributeError(name)


# What is measured. ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    member: bool  # sent with the member's session cookie
    target: float | None = None  # the ratio to the bare view with the session to reach


TARGETS = [
    Target("bare view, no session", BARE, member=False),
    Target("bare view, member's session", BARE, member=True),
    Target("member home", "/portal/", member=True, target=MEMBER_TARGET),
    Target("points history", "/portal/history/", member=True, target=MEMBER_TARGET),
    Target("reward catalog", "/rewards/", member=True, target=MEMBER_TARGET),
    Target("public home", "/", member=False, target=PUBLIC_TARGET),
]
SESSION_BASELINE = 1  # the entry every page is compared with


@dataclass
class Load:
    target: Target
    rate: float
    p50: float  # seconds
    p99: float
    client_cpu: float  # wrk's CPU seconds per second


# The data, the settings and the counts. --------------------------------------------------


def configure(database_url: str, workdir: Path, *, cache_url: str, secret_key: str) -> None:
    """This process gets the server's settings (production, the same secret key, cache and
    urlconf), so the queries counted here are the served ones."""
    settings_module = write_settings(workdir, urlconf=URLCONF)
    sys.path.insert(0, str(workdir))
    os.environ.update(
        {
            **production_environment(workdir, cache_url=cache_url, secret_key=secret_key),
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DATABASE_URL": database_url,
            "ALLOWED_HOSTS": f"{HOST},testserver",
            "EMAIL_URL": "dummymail://",
            "MEDIA_ROOT": str(workdir / "media"),
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def prepare() -> tuple[str, str]:
    """The demo shop, and a logged-in session of its member: (session cookie, a description)."""
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import User
    from loyalty.models import PointTransaction
    from rewards.models import Reward

    call_command("seed_demo", stdout=io.StringIO())
    member = User.objects.get(email=MEMBER)
    client = Client()
    client.force_login(member)
    cookie = f"{client.cookies['sessionid'].key}={client.cookies['sessionid'].value}"
    lines = PointTransaction.objects.filter(card__user=member).count()
    rewards = Reward.objects.filter(is_active=True).count()
    return cookie, f"{MEMBER} with {lines} ledger lines, {rewards} rewards on offer"


def count_queries(cookie: str) -> list[int]:
    """The SQL queries of one request to each target, in-process through django.test.Client
    with the same session cookie, after two untimed requests of the same (the first may make
    the member's survey invitation, which the next renders): the page as the load sees it."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    name, _equals, value = cookie.partition("=")
    counts = []
    for target in TARGETS:
        client = Client(headers={"X-Forwarded-Proto": "https"})
        if target.member:
            client.cookies[name] = value
        client.get(target.path)
        client.get(target.path)
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(target.path)
        if response.status_code != 200:
            raise BenchError(f"GET {target.path} answered {response.status_code}, not 200")
        counts.append(len(queries))
    return counts


# Running wrk. ----------------------------------------------------------------------------


def wrk_version() -> str:
    found = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"wrk (\S+)", found.stdout + found.stderr)
    return f"wrk {match.group(1)}" if match else "wrk"


def hammer(target: Target, server: Server, cookie: str, script: Path, args) -> Load:
    headers = ["-H", "X-Forwarded-Proto: https"]  # the proxy says so; the app redirects otherwise
    if target.member:
        headers += ["-H", f"Cookie: {cookie}"]
    base = ["wrk", "-t", "1", "-c", str(args.connections), "--timeout", "10s", *headers]
    url = server.url(target.path)
    if args.warmup > 0:
        subprocess.run(
            [*base, "-d", f"{args.warmup:g}s", url], capture_output=True, check=True, timeout=120
        )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    found = subprocess.run(
        [*base, "-d", f"{args.seconds:g}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=False,
        timeout=args.seconds + 120,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in found.stdout.splitlines() if x.startswith("SUKI ")), None)
    if found.returncode != 0 or line is None:
        raise BenchError(f"wrk failed on {target.path}:\n{found.stdout}{found.stderr}")
    result = json.loads(line[5:])
    seconds = result["duration_us"] / 1e6
    if result["bad"] or result["errors"]:
        logged = "".join(f"\n  {entry}" for entry in server.errors())
        raise BenchError(
            f"{target.name}: {result['bad']} answers were not 200 (the first: "
            f"{result['first_bad']}), {result['errors']} socket errors. The server logged:" + logged
        )
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return Load(
        target,
        rate=result["good"] / seconds,
        p50=result["p50_us"] / 1e6,
        p99=result["p99_us"] / 1e6,
        client_cpu=cpu / seconds,
    )


def report(load: Load, queries: int, loads: list[Load]) -> None:
    line = f"  {load.target.name + ':':<29} {figure(load.rate):>7} req/s"
    if len(loads) > SESSION_BASELINE and load is not loads[SESSION_BASELINE]:
        ratio = load.rate / loads[SESSION_BASELINE].rate
        line += f"   {ratio:5.2f}× bare view with session"
        if load.target.target is not None:
            line += f" (target {load.target.target:.1f})"
    else:
        line += " " * 44
    print(
        f"{line:<86} {queries:>3} SQL queries   {load.p50 * 1000:6.1f} ms median, "
        f"{load.p99 * 1000:6.1f} ms p99   wrk {load.client_cpu:.2f} CPU",
        flush=True,
    )


def describe_settings(args) -> str:
    from django.conf import settings

    database = settings.DATABASES["default"]
    age = database.get("CONN_MAX_AGE", 0)
    connections = (
        "a new database connection per request"
        if not age
        else f"persistent connections (CONN_MAX_AGE {age}, health checks "
        f"{'on' if database.get('CONN_HEALTH_CHECKS') else 'off'})"
    )
    sessions = settings.SESSION_ENGINE.rsplit(".", 1)[-1]
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return f"{connections}, sessions {sessions}, cache {cache}"


def database_version() -> str:
    from django.db import connection

    version = connection.cursor().connection.info.server_version
    return f"PostgreSQL {version // 10000}.{version % 10000}"


def forget_cache_keys(cache_url: str, prefix: str) -> None:
    """Remove the benchmark's keys from a shared Redis (only those, by their prefix)."""
    if not cache_url.startswith(("redis://", "rediss://")):
        return
    import redis

    try:
        client = redis.Redis.from_url(cache_url, socket_timeout=2)
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
    except redis.exceptions.RedisError as error:
        print(f"Could not remove the benchmark's keys from {cache_url}: {error}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="timed seconds per target (5)")
    parser.add_argument("--warmup", type=float, default=2, help="untimed seconds first (2)")
    parser.add_argument("--rounds", type=int, default=2, help="times every target runs (2)")
    parser.add_argument("--connections", type=int, default=4, help="wrk's connections (4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument(
        "--cache-url",
        default=DEFAULT_CACHE,
        help=f"the cache the server uses (default {DEFAULT_CACHE}: Redis as in production, the "
        "benchmark's keys under a prefix of their own, removed afterwards; "
        "locmemcache:// for each worker's own memory, where sessions stay in the database)",
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        help="seconds the server keeps a database connection (default: the production "
        "setting; 0 opens one per request)",
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_SERVER,
        help=f"a PostgreSQL server (default {DEFAULT_SERVER}); a database of its own is created "
        "there and dropped afterwards",
    )
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        parser.error("the pages are measured on PostgreSQL, as in production")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian, Ubuntu: apt-get install wrk)")
    if args.rounds < 1 or args.seconds <= 0:
        parser.error("--rounds and --seconds must be positive")

    # A kill stops the server and drops the database too, like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    workdir = Path(tempfile.mkdtemp(prefix="suki-bench-http-"))
    prefix = f"suki-bench-{secrets.token_hex(4)}"
    os.environ["SUKI_BENCH_CACHE_PREFIX"] = prefix
    if args.conn_max_age is not None:
        os.environ["CONN_MAX_AGE"] = str(args.conn_max_age)
    secret_key = secrets.token_urlsafe(50)
    load_before = os.getloadavg()[0]
    try:
        with postgresql_database(args.database_url) as database_url:
            started = time.perf_counter()
            configure(database_url, workdir, cache_url=args.cache_url, secret_key=secret_key)
            cookie, shop = prepare()
            queries = count_queries(cookie)
            setup_seconds = time.perf_counter() - started

            import django
            import gunicorn
            from django.db import connections

            print(
                f"Suki pages over HTTP: Python {platform.python_version()}, Django "
                f"{django.get_version()}, gunicorn {gunicorn.__version__} ({args.workers} sync "
                f"workers, DEBUG=false), {database_version()}, {describe_settings(args)}; "
                f"{os.cpu_count()} cores (load average {load_before:.1f} before the run)"
            )
            print(
                f"{wrk_version()}: 1 thread, {args.connections} connections, {args.warmup:g} s "
                f"warmup and {args.seconds:g} s per target; the demo shop: {shop}; setup took "
                f"{setup_seconds:.0f} s",
                flush=True,
            )
            connections.close_all()
            script = workdir / "count.lua"
            script.write_text(WRK_SCRIPT)
            server = Server(
                workdir,
                workers=args.workers,
                cache_url=args.cache_url,
                urlconf=URLCONF,
                probe=BARE,
                environment={"SECRET_KEY": secret_key, "ALLOWED_HOSTS": f"{HOST},testserver"},
            )
            rounds: list[list[Load]] = []
            try:
                server.wait_until_up()
                for number in range(1, args.rounds + 1):
                    print(f"Round {number} (load average {os.getloadavg()[0]:.1f}):", flush=True)
                    loads: list[Load] = []
                    for target, count in zip(TARGETS, queries, strict=True):
                        loads.append(hammer(target, server, cookie, script, args))
                        report(loads[-1], count, loads)
                    rounds.append(loads)
            finally:
                server.stop()
            summarise(rounds)
    finally:
        forget_cache_keys(args.cache_url, prefix)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def summarise(rounds: list[list[Load]]) -> None:
    print("Ratios to the bare view with the member's session, by round:")
    met = True
    for index, target in enumerate(TARGETS):
        if target.target is None:
            continue
        ratios = [loads[index].rate / loads[SESSION_BASELINE].rate for loads in rounds]
        reached = min(ratios) >= target.target
        met = met and reached
        print(
            f"  {target.name + ':':<29} "
            + ", ".join(f"{ratio:.2f}" for ratio in ratios)
            + f"   target {target.target:.1f}: {'met' if reached else 'NOT met'}"
        )
    print(f"Every target {'met' if met else 'NOT met'} in every round.")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted; the bench database is dropped.", file=sys.stderr)
        sys.exit(130)
