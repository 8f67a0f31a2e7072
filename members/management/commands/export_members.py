"""python manage.py export_members --club SLUG --format csv|xlsx FILE (R-MEM-6)."""

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope, scopes_disabled

from members import exports
from members.filters import ordering
from members.models import Club, Membership


class Command(BaseCommand):
    help = "Export a club's memberships as CSV or XLSX in the federation extract format."

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write")
        parser.add_argument("--club", required=True, help="the club's short name (slug)")
        parser.add_argument("--format", choices=["csv", "xlsx"], default=None)

    def handle(self, file, club, format, **options):
        fmt = format or ("xlsx" if file.lower().endswith(".xlsx") else "csv")
        with scopes_disabled():
            target = Club.objects.filter(slug=club).first()
        if target is None:
            raise CommandError(f"There is no club '{club}'.")
        with scope(club=target):
            memberships = Membership.objects.filter(club=target).order_by(*ordering("name"))
            header, data = exports.export_queryset(memberships)
            exports.write_file(file, fmt, header, data, title="Medlemmer")
            count = memberships.count()
        self.stdout.write(self.style.SUCCESS(f"{count} memberships written to {file}."))
