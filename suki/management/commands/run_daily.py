"""The daily run: birthdays, expiry warnings, expiry, tier review, voucher expiry and
complaint escalation. Idempotent; catches up missed days in order.

Like the admin site, this command is project-level: it calls every app's services."""

import datetime
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.utils import timezone

from loyalty import services
from loyalty.models import DailyRun
from rewards import services as reward_services
from surveys import services as survey_services

MAX_CATCH_UP_DAYS = 366


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
            try:
                with transaction.atomic():
                    DailyRun.objects.update_or_create(day=day, defaults={"summary": summary})
            except IntegrityError:  # another machine finished the same day at the same moment
                pass
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
        summary = {
            "birthdays": services.award_birthday_bonuses(day, progress=self._progress("birthdays")),
            "expiry warnings": services.send_expiry_warnings(
                day, progress=self._progress("expiry warnings")
            ),
            "cards expired": services.expire_inactive_points(day),
        }
        warned, moved = services.review_tiers(day, progress=self._progress("tier review"))
        summary.update(
            {
                "tier warnings": warned,
                "tiers lowered": moved,
                "vouchers expired": reward_services.expire_vouchers(now),
                "complaints escalated": survey_services.escalate_overdue(now),
            }
        )
        return summary

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
