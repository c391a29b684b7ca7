"""The program's rules as the pages show them: the program row, the tiers and the bonus days
still to come, read from the cache, since nearly every page shows them.

One cache entry holds all three. Saving or deleting any of them forgets it, at once and again
when the change commits, so a page read in between does not keep the old rules (the receivers
are in `loyalty.signals`). With Redis every instance sees a change at once; a process's own
memory cache (development, tests) may show old rules in other processes for up to `TIMEOUT`
seconds. When the cache is down, each call reads the database.

Only pages read from here. The services that decide points read the rows in their own
transaction, so a changed rule applies from the next purchase on, never from a cached copy."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from loyalty.models import BonusDay, Program, Tier

KEY = "loyalty:rules:1"  # a new number when what is kept changes shape
TIMEOUT = 60


@dataclass(frozen=True)
class Rules:
    program: Program
    tiers: list[Tier]  # lowest threshold first
    bonus_days: list[BonusDay]  # active and not over when read, with their minimum tier


def current() -> Rules:
    """The rules from the cache, else from the database (three queries) into the cache."""
    rules = cache.get(KEY)
    if rules is None:
        rules = Rules(
            program=Program.current(),
            tiers=list(Tier.objects.order_by("threshold")),
            bonus_days=list(
                BonusDay.objects.filter(
                    is_active=True, ends_on__gte=timezone.localdate()
                ).select_related("minimum_tier")
            ),
        )
        cache.set(KEY, rules, TIMEOUT)
    return rules


def forget() -> None:
    """Drop the cached rules now and again when the change commits."""
    cache.delete(KEY)
    transaction.on_commit(lambda: cache.delete(KEY))
