"""The health check a load balancer asks before sending this instance requests.

It reports the database, the cache and the task queue in JSON, each within its own time limit,
and answers 503 only when this instance cannot serve: when the database is unreachable or hung.
A cache that is down (the site fails open without it) or a queue that is behind is reported, not
fatal."""

import concurrent.futures
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Count, Min
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

TIME_LIMIT_SECONDS = 2.0

# One thread per check, never reused by requests: a hung database can only hold this thread.
_checks = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _cache():
    key = "healthz:probe"
    cache.set(key, "ok", 10)
    # The fail-open cache answers None instead of raising when Redis is away.
    return "ok" if cache.get(key) == "ok" else "unavailable"


def _queue():
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    pending = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    figures = pending.aggregate(oldest=Min("enqueued_at"), count=Count("pk"))
    failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count()
    oldest = figures["oldest"]
    age = round((timezone.now() - oldest).total_seconds()) if oldest else 0
    return {"pending": figures["count"], "oldest_pending_seconds": age, "failed": failed}


def _within_limit(check, deadline):
    if "sqlite" in settings.DATABASES["default"]["ENGINE"]:
        # An embedded file cannot hang on a network; check it in this thread.
        return _guarded(check)
    future = _checks.submit(_in_own_connection, check)
    try:
        return future.result(timeout=max(deadline - time.monotonic(), 0.01))
    except concurrent.futures.TimeoutError:
        return "timeout"
    except DatabaseError:
        return "unavailable"
    except Exception:  # a check that breaks is reported, never a 500 from the health check
        return "error"


def _in_own_connection(check):
    try:
        return check()
    finally:
        connection.close()  # this thread's connection, never a request's


def _guarded(check):
    try:
        return check()
    except DatabaseError:
        return "unavailable"
    except Exception:
        return "error"


@never_cache
def healthz(request):
    deadline = time.monotonic() + TIME_LIMIT_SECONDS
    database = _within_limit(_database, deadline)
    report = {
        "database": database,
        "cache": _within_limit(_cache, deadline),
        "tasks": _within_limit(_queue, deadline) if database == "ok" else "unavailable",
    }
    serving = database == "ok"
    report = {"status": "ok" if serving else "error", **report}
    return JsonResponse(report, status=200 if serving else 503)
