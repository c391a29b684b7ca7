"""gunicorn settings for Suki; each value can be overridden from the environment."""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# Sync workers behind a buffering proxy (see docs/deploy.md): the proxy takes slow uploads and
# slow readers, so a worker only ever waits on Suki itself.
worker_class = "sync"
# Longer than the database's connect, statement and lock timeouts, so a slow database gives the
# request its 503 page before gunicorn kills the worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
wsgi_app = "suki.wsgi:application"
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Each instance gets its own control socket (or none), so two instances on one host never
# talk to each other's arbiter.
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "") == ""
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]


def post_worker_init(worker):
    # A long download (the owner's exports) tells the arbiter it is alive as it streams;
    # otherwise `timeout` would end it halfway.
    from core import exports

    exports.keep_alive = worker.notify
