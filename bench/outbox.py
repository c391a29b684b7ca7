"""How fast the task worker delivers e-mails to a local SMTP server, and what queueing one costs.

    .venv/bin/python bench/outbox.py [--messages 500] [--database-url URL]

Queues `--messages` e-mails through `core.emails.send` (the path every member e-mail takes),
then runs one worker (`db_worker --batch`) against a real SMTP server on 127.0.0.1 and prints
e-mails per second, and the SQL queries that queueing one adds to a request. The target is at
least 50 e-mails per second; a slower machine prints a smaller number and the run still succeeds.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--database-url", default="")
    options = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="suki-bench-email-")
    os.environ["DATABASE_URL"] = options.database_url or f"sqlite:///{folder}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "suki.settings"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"

    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core import emails
    from core.tasks import batch_worker

    call_command("migrate", verbosity=0)

    class Inbox:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Inbox.count += 1
            return "250 OK"

    with CaptureQueriesContext(connection) as queries:
        emails.send("welcome", "bench@example.com", {})
    for number in range(options.messages - 1):
        emails.send("welcome", f"member{number}@example.com", {})

    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    worker = batch_worker("bench")
    started = time.perf_counter()
    worker.run()
    elapsed = time.perf_counter() - started
    controller.stop()

    rate = Inbox.count / elapsed if elapsed else 0
    print(f"database            {connection.vendor}")
    print(f"queries to queue    {len(queries)} per e-mail (outside a transaction)")
    print(f"delivered           {Inbox.count} of {options.messages} in {elapsed:.2f} s")
    print(f"e-mails per second  {rate:.0f}  (target 50: ratio {rate / 50:.1f})")


if __name__ == "__main__":
    main()
