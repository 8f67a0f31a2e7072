from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from members import services


class Command(BaseCommand):
    help = "Create a club (tenant), optionally with its first club admin."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="short name used in addresses, e.g. ullern-turn")
        parser.add_argument("--name", required=True, help="the club's official name")
        parser.add_argument("--org-number", default="", help="organisation number (9 digits)")
        parser.add_argument("--admin-email", default="", help="e-mail of the first club admin")

    def handle(self, slug, name, org_number, admin_email, **options):
        org = "".join(ch for ch in org_number if ch.isdigit())
        try:
            club = services.create_club(slug, name, org_number=org, admin_email=admin_email)
        except services.MembersError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(f"The club was not created: {problems}") from exc
        self.stdout.write(self.style.SUCCESS(f"Created club {club.slug} ({club.name})."))
        if admin_email:
            self.stdout.write(
                f"{admin_email} is club admin. If they have no password yet, they set one with "
                "'Forgot password' on the login page."
            )
