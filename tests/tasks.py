"""Running the task queue inside a test: the real database backend, the real worker loop."""

import socket
from contextlib import contextmanager
from unittest import mock

from aiosmtpd.controller import Controller
from django_tasks_db.management.commands import db_worker

from core.tasks import batch_worker


def run_task(result_id) -> None:
    """Deliver one queued task if it is due, as the worker would pick it up."""
    from django_tasks_db.models import DBTaskResult

    result = DBTaskResult.objects.ready().filter(pk=result_id).first()
    if result is not None:
        result.claim("tests")
        batch_worker("tests").run_task(result)


def run_queued_tasks() -> None:
    """Deliver every task that is due, as `manage.py db_worker --batch` would, in this thread."""
    worker = batch_worker("tests")
    # The worker closes stale connections between tasks; inside a test's transaction that would
    # close the test's own connection.
    with mock.patch.object(db_worker, "close_old_connections", lambda: None):
        worker.run()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What a real SMTP server received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"

    def recipients(self):
        return [address for envelope in self.messages for address in envelope.rcpt_tos]


@contextmanager
def smtp_server(port: int):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
