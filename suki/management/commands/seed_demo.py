"""Demo data for trying Suki locally: safe to run again, it only adds what is missing."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from accounts.roles import OWNER, STAFF
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
        with transaction.atomic():
            owner, staff, member = [self.person(*row) for row in PEOPLE]
            demo.seed_program(staff)
            demo.seed_members(member, staff)
            walk_in = demo.seed_walk_in(staff)
            reward_demo.seed_rewards()
            reward_demo.seed_vouchers(staff)
            survey_demo.seed_surveys()
            survey_demo.seed_complaints(staff, owner)
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in with:"))
        for email, _first, _last, role in PEOPLE:
            where = "/admin/" if role else "/accounts/login/"
            self.stdout.write(
                f"  {role or 'Member':<7} {email:<22} password {DEMO_PASSWORD:<16} at "
                f"http://127.0.0.1:8000{where}"
            )
        if walk_in.claim_pin:
            self.stdout.write(
                f"  A printed card to claim online: number {walk_in.number}, "
                f"PIN {walk_in.claim_pin} (at /portal/claim/ after signing up)"
            )

    def person(self, email, first_name, last_name, role):
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"first_name": first_name, "last_name": last_name, "is_staff": bool(role)},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            if role:
                user.groups.add(Group.objects.get(name=role))
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user
