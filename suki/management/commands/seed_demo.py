"""Demo data for trying Suki locally: safe to run again, it only adds what is missing."""

import datetime

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone, translation
from django_tasks.signals import task_enqueued
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from accounts.roles import OWNER, STAFF
from core import pagecache
from loyalty import demo
from rewards import demo as reward_demo
from surveys import demo as survey_demo

DEMO_PASSWORD = "suki-demo-2026"  # noqa: S105 - printed on screen for local demos

PEOPLE = [
    # e-mail, first name, last name, role
    ("owner@example.com", "Olivia", "Santos", OWNER),
    ("staff@example.com", "Sami", "Virtanen", STAFF),
    ("member@example.com", "Maria", "Reyes", None),
]


class Command(BaseCommand):
    help = "Load demo people and data (idempotent) and print the logins."

    def handle(self, *args, **options):
        queued = []

        def remember(sender, task_result, **kwargs):
            queued.append(task_result.id)

        # The demo's history happened in the past: its e-mails are not sent today.
        task_enqueued.connect(remember, dispatch_uid="seed_demo.remember")
        try:
            self.seed()
            DBTaskResult.objects.filter(pk__in=queued).delete()
            # Some of the demo's texts are filled in by updates, which save() never sees.
            pagecache.forget()
        finally:
            task_enqueued.disconnect(dispatch_uid="seed_demo.remember")

    def seed(self):
        # The demo's texts are written in English first, whatever language the shell is in.
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            owner, staff, member = [self.person(*row) for row in PEOPLE]
            demo.seed_program(staff)
            with demo.clock_at(timezone.now() - datetime.timedelta(days=demo.HISTORY_DAYS)):
                reward_demo.seed_rewards()
                reward_demo.seed_stamp_card()
            reward_demo.translate_rewards()
            if not demo.history_exists(member):
                # Every app's events on one timeline, so each member's history is in time order.
                timeline = demo.Timeline()
                members, visits = demo.plan_members(timeline, member, staff)
                reward_demo.plan_vouchers(timeline, staff, visits)
                survey_demo.plan_surveys(timeline, visits, staff)
                survey_demo.plan_complaints(timeline, members, staff, owner, visits)
                timeline.run()
            survey_demo.translate_surveys()
            walk_in = demo.seed_walk_in(staff)
            till_key = demo.seed_till_key()
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in with:"))
        for email, _first, _last, role in PEOPLE:
            where = "/admin/" if role else "/accounts/login/"
            self.stdout.write(
                f"  {role or 'Member':<7} {email:<22} password {DEMO_PASSWORD:<16} at "
                f"http://127.0.0.1:8000{where}"
            )
        self.stdout.write(
            f"  The Main Street till's API key: {till_key} "
            "(docs at http://127.0.0.1:8000/api/docs/, try examples/till.py)"
        )
        if walk_in.claim_pin:
            self.stdout.write(
                f"  A printed card to claim online: number {walk_in.number}, "
                f"PIN {walk_in.claim_pin} (at /portal/claim/ after signing up)"
            )

    def person(self, email, first_name, last_name, role):
        defaults = {"first_name": first_name, "last_name": last_name, "is_staff": bool(role)}
        if role:  # the owner and staff were there before the first member
            defaults["date_joined"] = timezone.now() - datetime.timedelta(
                days=demo.HISTORY_DAYS + 30
            )
        user, created = User.objects.get_or_create(email=email, defaults=defaults)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            if role:
                user.groups.add(Group.objects.get(name=role))
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user
