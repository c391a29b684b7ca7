"""Real threads racing against PostgreSQL, for the rules that must hold under concurrency."""

import threading

import pytest
from django.db import connection

# SQLite serialises every write, so a race there proves nothing; these tests need row locks.
postgresql_only = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite has no row locks; run with DATABASE_URL=postgres://... to test concurrency",
    ),
    pytest.mark.django_db(transaction=True),
]


def all_at_once(count, work):
    """Run work(index) in `count` threads released together; return each result or error."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            connection.ensure_connection()  # connect first, so the calls themselves collide
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread met
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


def of_type(results, kind):
    return [result for result in results if isinstance(result, kind)]
