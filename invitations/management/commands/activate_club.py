"""``python manage.py activate_club SLUG`` (R-ACT-1): send the verification e-mails of a
migrated club and list the pending members who have no e-mail address."""

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from comms.rendering import absolute_url
from invitations import services
from members.models import Club


class Command(BaseCommand):
    help = (
        "Activate a club: every pending membership with an e-mail address (own, or a "
        "guardian's) gets one verification e-mail. Safe to run again: nobody is asked twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the club's short name")

    def handle(self, *args, slug, **options):
        club = Club.objects.filter(slug=slug).first()
        if club is None:
            raise CommandError(f"No club with the short name {slug!r}.")
        result = services.activate_club(club)
        out = self.stdout
        out.write(f"{club.name}: {result.queued} verification e-mails queued.")
        if result.asked_before:
            out.write(
                f"{result.asked_before} pending members were asked before and were not asked "
                "again (send them a new link from the activation page)."
            )
        if not result.without_email:
            out.write("Every pending member has an e-mail address.")
            return
        out.write(f"Pending members without an e-mail address ({len(result.without_email)}):")
        for m in result.without_email:
            url = absolute_url(reverse("members:card", args=[club.slug, m.pk]))
            number = m.member_number or "-"
            out.write(f"  {number:<10} {m.person.full_name:<40} {url}")
