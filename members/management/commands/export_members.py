"""python manage.py export_members --club SLUG --format csv|xlsx FILE (R-MEM-6)."""

from members import exports
from members.filters import ordering
from members.models import Membership


class Command(exports.ExportCommand):
    help = "Export a club's memberships as CSV or XLSX in the federation extract format."
    sheet_title = "Medlemmer"
    counted = "memberships"

    def export(self, club):
        memberships = Membership.objects.filter(club=club).order_by(*ordering("name"))
        return exports.export_queryset(memberships)
