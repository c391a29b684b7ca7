"""The daily run: birthdays, expiry warnings, expiry, tier review, voucher expiry,
complaint escalation, warning and erasure of long-inactive members and the dashboard's figures
to the end of yesterday. Idempotent; catches up missed days in order.

Like the admin site, this command is project-level: it calls every app's services."""

import datetime
import logging
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from loyalty import services, stamps
from loyalty.models import DailyRun
from rewards import services as reward_services
from suki import dashboard, privacy
from surveys import services as survey_services
from webhooks import services as webhook_services

MAX_CATCH_UP_DAYS = 366

logger = logging.getLogger("suki.daily")


class Command(BaseCommand):
    help = "Run the daily jobs for today, or up to --date, catching up missed days in order."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run up to this day (YYYY-MM-DD); default today.")
        parser.add_argument(
            "--only", action="store_true", help="Run just the given day, not the missed ones."
        )

    def handle(self, *args, **options):
        target = self._target(options["date"])
        for day in self._days(target, only=options["only"]):
            summary = self.run_day(day)
            self.stdout.write(
                f"{day}: " + ", ".join(f"{name} {count}" for name, count in summary.items())
            )
            services.record_daily_run(day, summary=summary)
        # The dashboard's rollup, once, for the last day: missed days need no figures of their own.
        periods = self._step(target, "dashboard figures", dashboard.write_snapshots, target)
        self.stdout.write(f"Dashboard figures worked out for {periods} periods.")
        self.stdout.write(self.style.SUCCESS("Daily run finished."))

    def _target(self, text):
        if not text:
            return timezone.localdate()
        try:
            return datetime.date.fromisoformat(text)
        except ValueError as error:
            raise CommandError("Give the date as YYYY-MM-DD, for example 2026-12-01.") from error

    def _days(self, target, *, only):
        last = DailyRun.objects.filter(day__lt=target).order_by("-day").first()
        if only or last is None:
            return [target]
        first = max(
            last.day + datetime.timedelta(days=1),
            target - datetime.timedelta(days=MAX_CATCH_UP_DAYS),
        )
        return [first + datetime.timedelta(days=n) for n in range((target - first).days + 1)]

    def run_day(self, day):
        now = min(
            timezone.make_aware(datetime.datetime.combine(day, datetime.time.max)), timezone.now()
        )
        step = self._step
        summary = {
            "birthdays": step(
                day,
                "birthdays",
                services.award_birthday_bonuses,
                day,
                progress=self._progress("birthdays"),
            ),
            "expiry warnings": step(
                day,
                "expiry warnings",
                services.send_expiry_warnings,
                day,
                progress=self._progress("expiry warnings"),
            ),
            "cards expired": step(
                day,
                "expiry",
                services.expire_inactive_points,
                day,
                progress=self._progress("expiry"),
            ),
        }
        warned, moved = step(
            day,
            "tier review",
            services.review_tiers,
            day,
            progress=self._progress("tier review"),
            failed=(0, 0),
        )
        summary.update(
            {
                "tier warnings": warned,
                "tiers lowered": moved,
                "vouchers expired": step(
                    day, "voucher expiry", reward_services.expire_vouchers, now
                ),
                "complaints escalated": step(
                    day, "complaint escalation", survey_services.escalate_overdue, now
                ),
                "till answers forgotten": step(
                    day, "idempotency clean-up", services.forget_idempotent_requests, now
                ),
                "webhook deliveries forgotten": step(
                    day, "webhook log clean-up", webhook_services.prune_deliveries, now
                ),
                "stamp cards expired": step(day, "stamp expiry", stamps.expire_stamps, now),
                "inactive members erased": step(
                    day,
                    "retention erasure",
                    privacy.erase_inactive_members,
                    day,
                    progress=self._progress("retention erasure"),
                ),
                "inactive members warned": step(
                    day,
                    "retention warnings",
                    privacy.warn_inactive_members,
                    day,
                    progress=self._progress("retention warnings"),
                ),
            }
        )
        return summary

    def _step(self, day, name, work, *args, failed=0, **kwargs):
        """One step of the day. A step that fails is logged and reported, and the others still
        run: every step also catches up on what an earlier day left undone, so the next run
        does its work."""
        try:
            return work(*args, **kwargs)
        except Exception as error:
            logger.exception("Daily run %s: the %s step failed", day, name)
            self.stderr.write(f"{day}: {name} failed ({error}); the next run tries again.")
            return failed

    def _progress(self, name):
        """A one-line progress bar on a terminal, for runs over many members."""
        if not sys.stdout.isatty():
            return None
        done = {"count": 0}

        def advance(count):
            done["count"] += count
            self.stdout.write(f"\r  {name}: {done['count']} members checked", ending="")
            self.stdout.flush()

        return advance
