"""A real HTTP receiver on 127.0.0.1, and endpoints pointing at it."""

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.tasks import free_port
from webhooks.models import Endpoint, Event


class Receiver:
    """What a real webhook receiver got, and what it answers (200 unless told otherwise)."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}/hooks"
        self.requests: list[tuple[dict, str]] = []
        self.status = 200
        self.answer = b"ok"
        self.extra_headers: dict[str, str] = {}

    def bodies(self) -> list[str]:
        return [body for _headers, body in self.requests]


@contextmanager
def receiving(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length).decode()
            # Header names are case-insensitive; keep them lower-case to look them up.
            headers = {name.lower(): value for name, value in self.headers.items()}
            receiver.requests.append((headers, body))
            self.send_response(receiver.status)
            for name, value in receiver.extra_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(receiver.answer)))
            self.end_headers()
            self.wfile.write(receiver.answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def receiver():
    """A receiver on a free port, down until a test starts it with `receiving(receiver)`."""
    return Receiver(free_port())


@pytest.fixture
def endpoint(db, receiver):
    """An active endpoint at the receiver, subscribed to recorded purchases."""
    return Endpoint.objects.create(
        url=receiver.url, description="Till system", events=[Event.PURCHASE_RECORDED]
    )
