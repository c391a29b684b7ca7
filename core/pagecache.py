"""Whole member pages kept in the cache, under a key made of everything they show.

A member page (the member home, the points history, the reward catalog) costs a few
milliseconds of queries and template rendering each time; most requests for it find nothing
changed since the last one. Here such a page is rendered once and kept, under a key that holds:

- the page's own state, read from the database in one query of scalar subqueries on every
  request (`state`): for a member, their cards' rows, the newest ledger and stamp line, their
  vouchers by status, their survey invitations and complaints; whatever the page shows that a
  service can change. A change commits, the next request reads another state, and the page is
  rendered again. No signal or service has to remember to forget a page.
- the shop's content version (`content_version`), a token in the cache that saving or
  deleting a reward, tier, bonus day, survey, stamp card or the program replaces (`forget`),
  at once and again when the change commits, as `loyalty.rules` does for its rules;
- the path and the query parameters the page reads, the active language, the member (their
  id, names, e-mail and staff flag) and today's date, so that what depends on the day (bonus
  days, expiry dates) moves on at midnight; a kept page also lasts at most `TIMEOUT` seconds,
  which bounds what depends on the hour (a voucher's last minutes).

Nothing is kept for a request with a message to show, a query parameter the page does not
read, or while the cache is down (no content version: every request renders, as without this
module). The CSRF token differs per browser, so a kept page holds `MARKER` where the token goes
and each answer puts the requesting browser's own token there.

A page the same for everyone (the public home) has no state to read: it is kept for a short
time, and the shop's content version still makes it new at once.

Pages that a member reads right after changing something (a voucher, the profile) are not kept.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation

CONTENT_KEY = "suki:content-version"
PAGE_PREFIX = "suki:page:3:"  # a new number when what a page's key holds changes
TIMEOUT = 300
MARKER = "csrf0placeholder0" + "0" * 47  # as long as a real token, which is random letters


@dataclass(frozen=True)
class Part:
    """One scalar subquery of a page's state, with its parameters."""

    sql: str
    params: tuple = ()


def state(parts: Iterable[Part]) -> tuple:
    """The values of `parts`, in one query."""
    parts = list(parts)
    sql = "SELECT " + ", ".join(f"({part.sql})" for part in parts)
    params = [value for part in parts for value in part.params]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and settings.DATABASE_PREPARED_STATEMENTS:
            _execute_prepared(cursor, sql, params)
        else:
            cursor.execute(sql, params)
        return tuple(cursor.fetchone())


# The statements each PostgreSQL connection has prepared, by the connection (a connection
# that closes takes its statements with it).
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _execute_prepared(cursor, sql: str, params: list) -> None:
    """Run `sql` as a statement the connection prepares the first time it meets it, so that
    PostgreSQL plans a page's state query once per connection rather than on every request
    (planning its subqueries costs more than running them). The first time, the statement is
    prepared and run in one round trip, so the page runs one query either way. A prepared
    statement outlives a rolled-back transaction, so the set of names stays true."""
    name = "suki_state_" + hashlib.sha256(sql.encode()).hexdigest()[:20]
    known = _prepared.setdefault(connection.connection, set())
    run = f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
    if name in known:
        cursor.execute(run, params)
        return
    numbers = iter(range(1, len(params) + 1))
    numbered = re.sub("%s", lambda match: f"${next(numbers)}", sql)
    cursor.execute(f"PREPARE {name} AS {numbered}; {run}", params)
    cursor.nextset()
    known.add(name)


def joined(select: str, table: str, where: str, order: str) -> str:
    """A subquery joining each row's `select` (a text expression) with commas, in `order`:
    exact, where a sum of several rows could hide two changes that cancel out."""
    if connection.vendor == "postgresql":
        return f"SELECT string_agg({select}, ',' ORDER BY {order}) FROM {table} WHERE {where}"
    return (
        f"SELECT group_concat(row, ',') FROM "
        f"(SELECT {select} AS row FROM {table} WHERE {where} ORDER BY {order})"
    )


def text(column: str) -> str:
    """A column as text, empty when NULL, for `joined`."""
    return f"COALESCE(CAST({column} AS TEXT), '')"


def counts_by(column: str, values: Iterable[str]) -> str:
    """One number that holds how many rows have each of `values` in `column`, each count in
    its own digits (as many as fit a 64-bit integer): a row moving from one value to another
    changes it."""
    values = list(values)
    base = 10 ** (18 // len(values))
    cases = " ".join(f"WHEN '{value}' THEN {base**index}" for index, value in enumerate(values))
    return f"COALESCE(SUM(CASE {column} {cases} ELSE 0 END), 0)"


def content_version() -> str | None:
    """The shop's content version; None while the cache does not answer."""
    version = cache.get(CONTENT_KEY)
    if version is None:
        version = secrets.token_hex(8)
        if not cache.add(CONTENT_KEY, version, None):
            version = cache.get(CONTENT_KEY)  # another request set one first, or no cache
    return version


def forget() -> None:
    """The shop's content changed: every kept page is old, now and when the change commits
    (a page rendered in between may have read the rows before the change)."""
    cache.delete(CONTENT_KEY)
    transaction.on_commit(lambda: cache.delete(CONTENT_KEY))


def page(
    request: HttpRequest,
    build: Callable[[], tuple[str, dict]],
    *,
    parts: Iterable[Part] = (),
    params: Iterable[str] = (),
    timeout: int = TIMEOUT,
) -> HttpResponse:
    """The template `build()` names, rendered with the context it gives, or the kept copy.

    `parts` make the page's state (see the module's text); `params` are the query parameters
    the page reads (any other keeps the request out of the cache). A page without parts is
    kept for `timeout` seconds, whatever changes meanwhile except the shop's content."""
    key = _key(request, list(parts), set(params))
    if key is None:
        return render(request, *build())
    # The content version and the kept copy in one round trip; the copy names the version it
    # was rendered under.
    found = cache.get_many([CONTENT_KEY, key])
    version = found.get(CONTENT_KEY) or content_version()
    if version is None:  # the cache does not answer
        return render(request, *build())
    kept = found.get(key)
    if kept is not None and kept[0] == version:
        html = kept[1]
    else:
        template, context = build()
        html = render_to_string(template, {**context, "csrf_token": MARKER}, request)
        cache.set(key, (version, html), timeout)
    return HttpResponse(html.replace(MARKER, get_token(request)))


def _key(request: HttpRequest, parts: list[Part], params: set[str]) -> str | None:
    if request.method != "GET" or not set(request.GET) <= params or len(get_messages(request)):
        return None
    user = request.user
    who = (user.pk, user.first_name, user.last_name, user.email, user.is_staff) if user.pk else ()
    what = (
        request.path,
        sorted(request.GET.lists()),
        translation.get_language(),
        who,
        timezone.localdate().isoformat(),
        state(parts) if parts else (),
    )
    return PAGE_PREFIX + hashlib.sha256(repr(what).encode()).hexdigest()
