"""Serving Suki for real, for the benchmarks that measure over HTTP (bench/api.py,
bench/http_pages.py): gunicorn with the project's gunicorn.conf.py and production settings
(DEBUG=false), on a free port of 127.0.0.1, against the benchmark's throwaway database."""

from __future__ import annotations

import collections
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from run import BenchError

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
HOST = "127.0.0.1"
SETTINGS_MODULE = "suki_bench_serve_settings"  # written to the work folder by write_settings()
BOOT_TIMEOUT = 60  # seconds gunicorn may take to answer its first request


def write_settings(workdir: Path, *, urlconf: str) -> str:
    """The served settings: Suki's production settings with the benchmark's urlconf (a module
    in bench/) and plain static storage, since a throwaway run does no collectstatic. Returns
    the module's name; the work folder goes on the path of whoever imports it."""
    (workdir / f"{SETTINGS_MODULE}.py").write_text(
        "import os\n\n"
        "from suki.settings import *  # noqa: F403\n\n"
        f"ROOT_URLCONF = {urlconf!r}  # bench/{urlconf}.py: its bare views, then Suki's addresses\n"
        "# No collectstatic for a throwaway run: pages link the app folders' files, which\n"
        "# WhiteNoise finds there (no staticfiles/ folder to look in).\n"
        'STORAGES["staticfiles"] = '
        '{"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}\n'
        "STATIC_ROOT = None\n"
        "WHITENOISE_USE_FINDERS = True\n"
        "# The benchmark's own keys in a shared Redis, removed afterwards.\n"
        'CACHES["default"]["KEY_PREFIX"] = os.environ.get("SUKI_BENCH_CACHE_PREFIX", "")\n'
    )
    return SETTINGS_MODULE


def production_environment(workdir: Path, *, cache_url: str, secret_key: str) -> dict[str, str]:
    """What the server's environment adds to the caller's (configure()'s database, e-mail and
    media settings): production settings, the benchmark's urlconf and cache."""
    return {
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "PYTHONPATH": os.pathsep.join([str(workdir), str(BENCH), str(ROOT)]),
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": HOST,
        "CACHE_URL": cache_url,
        "LOG_LEVEL": "WARNING",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with the project's gunicorn.conf.py, bound to a free port of 127.0.0.1.

    `urlconf` is the served urlconf (a module in bench/); `probe` a path of it that answers 200
    to a plain GET, asked until the server is up; `environment` is added to the server's."""

    def __init__(
        self,
        workdir: Path,
        *,
        workers: int,
        cache_url: str,
        urlconf: str,
        probe: str,
        environment: dict[str, str] | None = None,
    ):
        write_settings(workdir, urlconf=urlconf)
        self.port = free_port()
        self.probe = probe
        self.log = workdir / "gunicorn.log"
        env = {
            **os.environ,
            **production_environment(
                workdir, cache_url=cache_url, secret_key=secrets.token_urlsafe(50)
            ),
            **(environment or {}),
        }
        env.pop("GUNICORN_CONTROL_SOCKET", None)
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(workers),
            # No worker restarts in the middle of a target, no access log line per request.
            "--max-requests",
            "0",
            "--access-logfile",
            os.devnull,
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + BOOT_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise BenchError(f"gunicorn stopped (exit {code}):\n{self.tail()}")
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=5)
                connection.request("GET", self.probe, headers={"X-Forwarded-Proto": "https"})
                response = connection.getresponse()
                response.read()
                connection.close()
                if response.status == 200:
                    return
                raise BenchError(f"GET {self.probe} answered {response.status}:\n{self.tail()}")
            except (OSError, http.client.HTTPException):
                time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer within {BOOT_TIMEOUT} s:\n{self.tail()}")

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def errors(self) -> list[str]:
        """The exceptions in the server's log (the last line of each traceback), most often
        first, with how many times each came."""
        pattern = re.compile(r"^[\w.]+(Error|Exception): ")
        lines = self.log.read_text(errors="replace").splitlines()
        found = collections.Counter(line for line in lines if pattern.match(line))
        return [f"{count} × {line[:200]}" for line, count in found.most_common(3)]

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: the workers finish and exit
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
