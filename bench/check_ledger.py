"""How long `check_ledger` takes over a large ledger: one aggregated pass against a sum per card.

    .venv/bin/python bench/check_ledger.py [--cards 100000] [--lines 2000000]
        [--database-url postgres://postgres@127.0.0.1:5432/]

On a new PostgreSQL database of its own (created and dropped through the `postgres`
maintenance database), writes `--cards` cards and `--lines` ledger lines straight in SQL (each
card gets the same number of lines, so every balance adds up; the real services would take
hours for two million lines), then times `ledger_mismatches` (what `check_ledger` runs) and,
for comparison, the same check as correlated subqueries per card (how it was written before).
It prints seconds for each and their ratio. A benchmark is not a test: it fails only if it
crashes or finds a card that does not add up.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

from run import BenchError, configure, postgresql_database

CARDS_SQL = """
INSERT INTO loyalty_card (number, status, is_physical, holder_name, holder_email, claim_pin,
    failed_claims, balance, created_at, holder_email_consent, holder_phone)
SELECT lpad(g::text, 12, '0'), 'active', false, '', '', '', 0, %(per_card)s * 10, now(), false, ''
FROM generate_series(1, %(cards)s) g
"""
LINES_SQL = """
INSERT INTO loyalty_pointtransaction (kind, points, balance_after, reference, note, tier_name,
    bonus_points, bonus_day_name, created_at, card_id)
SELECT 'adjustment', 10, 10 * ((g - 1) / %(cards)s + 1), '', '', '', 0, '', now(), c.id
FROM generate_series(1, %(lines)s) g
JOIN loyalty_card c ON c.number = lpad((((g - 1) %% %(cards)s) + 1)::text, 12, '0')
"""


def per_card_check():
    """The check as it was: a sum, a last line and an existence test per card."""
    from django.db.models import Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
    from django.db.models.functions import Coalesce

    from loyalty.models import Card, PointTransaction

    lines = PointTransaction.objects.filter(card=OuterRef("pk"))
    totals = lines.values("card").annotate(total=Sum("points")).values("total")
    cards = Card.objects.annotate(
        ledger_total=Coalesce(Subquery(totals, output_field=IntegerField()), Value(0)),
        last_balance_after=Subquery(lines.order_by("-id").values("balance_after")[:1]),
        has_lines=Exists(lines),
    ).filter(
        ~Q(balance=F("ledger_total")) | (Q(has_lines=True) & ~Q(balance=F("last_balance_after")))
    )
    return list(cards.order_by("pk")[:100])


def timed(function, repeat: int = 2) -> tuple[float, int]:
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        found = function()
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return best, len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/")
    options = parser.parse_args()
    if options.lines % options.cards:
        raise BenchError("--lines must be a multiple of --cards")
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        database_url = stack.enter_context(postgresql_database(options.database_url))
        configure(database_url, workdir)
        from django.db import connection

        from loyalty.selectors import ledger_mismatches

        numbers = {
            "cards": options.cards,
            "lines": options.lines,
            "per_card": options.lines // options.cards,
        }
        start = time.perf_counter()
        with connection.cursor() as cursor:
            # The site's statement timeout is for requests; this load and check take longer.
            cursor.execute("SET statement_timeout = 0")
            cursor.execute(CARDS_SQL, numbers)
            cursor.execute(LINES_SQL, numbers)
            cursor.execute("ANALYZE")
        print(
            f"{options.lines:,} ledger lines on {options.cards:,} cards "
            f"(PostgreSQL, written in {time.perf_counter() - start:.0f} s)"
        )
        now, found_now = timed(lambda: ledger_mismatches(limit=100))
        before, found_before = timed(per_card_check)
        if found_now or found_before:
            raise BenchError("the ledger does not add up")
        print(f"  check_ledger, one aggregated pass:   {now:6.2f} s")
        print(f"  the same check, a sum per card:      {before:6.2f} s")
        print(f"  ratio (per card ÷ one pass):         {before / now:6.1f}×")


if __name__ == "__main__":
    main()
