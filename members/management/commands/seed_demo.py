import os

from django.core.management.base import BaseCommand
from django_scopes import scopes_disabled

from members.demo import DEMO_LOGINS, seed_demo
from members.models import Club


class Command(BaseCommand):
    help = "Create the demo clubs demo-a and demo-b with members, groups and admins (once)."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=300, help="members per club")

    def handle(self, members, **options):
        password = os.environ.get("DEMO_PASSWORD", "demo1234")
        with scopes_disabled():
            exists = Club.objects.filter(slug__in=["demo-a", "demo-b"]).exists()
        if exists:
            self.stdout.write("Demo data exists already; nothing to do.")
            logins = DEMO_LOGINS
        else:
            logins = seed_demo(members_per_club=members, password=password)
            self.stdout.write(self.style.SUCCESS("Demo clubs demo-a and demo-b created."))
        self.stdout.write(f"Log in at http://127.0.0.1:8000/ with password {password!r}:")
        for email, what in logins.items():
            self.stdout.write(f"  {email:24} {what}")
