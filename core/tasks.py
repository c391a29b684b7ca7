"""Background work that must survive outages: retries with growing delays.

Side effects (e-mails, webhook deliveries) are tasks on the database queue (`django-tasks` with
`django-tasks-db`), enqueued in the transaction of the change that causes them: a rolled-back
change leaves no task, a committed one is never lost. A task that finds its far end down asks
for another attempt with `retry_later`; after the retry window it fails for good and the owner
sees it in the admin, where it can be sent again."""

import datetime
import logging

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger("suki.tasks")

FIRST_DELAY = datetime.timedelta(seconds=30)
LONGEST_DELAY = datetime.timedelta(hours=1)


class DeliveryFailed(Exception):
    """The far end kept refusing for the whole retry window: the task fails for good."""


def retry_delay(attempt: int) -> datetime.timedelta:
    """30 s, 1 min, 2 min, 4 min … doubling after each failed attempt, at most an hour."""
    return min(FIRST_DELAY * 2 ** max(attempt - 1, 0), LONGEST_DELAY)


def retry_later(task, kwargs: dict, *, error: Exception) -> datetime.datetime:
    """Enqueue the next attempt of `task` with `kwargs` (which carry `attempt` and `first_tried`,
    an ISO time) after a growing delay; raise DeliveryFailed once the retry window is over."""
    attempt = kwargs.get("attempt", 1)
    first_tried = kwargs.get("first_tried") or timezone.now().isoformat()
    window = datetime.timedelta(hours=settings.TASK_RETRY_HOURS)
    run_after = timezone.now() + retry_delay(attempt)
    if run_after > datetime.datetime.fromisoformat(first_tried) + window:
        raise DeliveryFailed(f"Gave up after {attempt} attempts: {error}") from error
    logger.warning("Attempt %s of %s failed (%s); next at %s", attempt, task.name, error, run_after)
    task.using(run_after=run_after).enqueue(
        **{**kwargs, "attempt": attempt + 1, "first_tried": first_tried}
    )
    return run_after


def batch_worker(worker_id: str):
    """A worker that delivers every task that is due, then stops (`db_worker --batch`)."""
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
