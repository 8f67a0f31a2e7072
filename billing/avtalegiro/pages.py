"""What the AvtaleGiro pages and panels show (read only): the claims of a file, a
member's AvtaleGiro status for the member card, and a person's for Min side."""

from decimal import Decimal

import netsgiro
from django.db.models import Count, Q
from django_scopes import scope, scopes_disabled

from billing.models import AvtaleGiroMandate, Claim, ClaimFile
from members.models import Club, Membership, Person
from members.validators import format_bank_account

from .claims import ENCODING
from .mandates import AvtaleGiroError, mandate_kid


def file_claims(claim_file: ClaimFile) -> list[Claim]:
    """The claims a file claims, or, for a cancellation file, the claims it cancels (read
    back from the file itself: KID, amount and due date)."""
    with scope(club=claim_file.club_id):
        claims = Claim.objects.filter(club=claim_file.club_id).select_related(
            "invoice", "mandate__payer"
        )
        if claim_file.kind == ClaimFile.Kind.CLAIMS:
            return list(claims.filter(claim_file=claim_file).order_by("invoice__number"))
        with claim_file.file.open("rb") as fh:
            transmission = netsgiro.parse(fh.read().decode(ENCODING))
        wanted = Q(pk__in=[])
        for assignment in transmission.assignments:
            for t in assignment.transactions:
                amount = Decimal(t.amount_in_cents) / 100
                wanted |= Q(kid=t.kid, amount=amount, due_date=t.date)
        return list(claims.filter(wanted, cancelled_at__isnull=False).order_by("invoice__number"))


def claim_files(club: Club):
    with scope(club=club):
        return (
            ClaimFile.objects.filter(club=club)
            .order_by("-created_at", "-pk")
            .annotate(cancelled=Count("claims", filter=Q(claims__cancelled_at__isnull=False)))
        )


def card_context(club: Club, person: Person) -> dict:
    """The member card's AvtaleGiro panel: the person's mandates with the club (newest
    first) and the KID they would set AvtaleGiro up with."""
    with scope(club=club):
        mandates = list(
            AvtaleGiroMandate.objects.filter(club=club, payer=person).order_by(
                "status", "-created_at"
            )
        )
    active = next((m for m in mandates if m.status == AvtaleGiroMandate.Status.ACTIVE), None)
    return {"mandates": mandates, "active": active, "kid": _kid_or_none(club, person)}


def _kid_or_none(club: Club, person: Person) -> str | None:
    try:
        return mandate_kid(club, person)
    except AvtaleGiroError:
        return None


def min_side_rows(person: Person) -> list[dict]:
    """For Min side: each club where the person is a member or pays for someone, that
    accepts AvtaleGiro or holds a mandate of theirs: the mandate's status, and the KID and
    account to set it up with in the online bank. Named system code across clubs: only
    this person's own mandates and clubs."""
    with scopes_disabled():
        mandates = {
            m.club_id: m
            for m in AvtaleGiroMandate.objects.filter(payer=person).order_by("status", "pk")
        }
        member_of = Membership.objects.filter(
            person=person, status=Membership.Status.ACTIVE
        ).values("club_id")
        pays_in = person.paid_agreements.filter(cancelled_at__isnull=True).values("club_id")
        clubs = Club.objects.filter(
            Q(pk__in=member_of, accepts_avtalegiro=True)
            | Q(pk__in=pays_in, accepts_avtalegiro=True)
            | Q(pk__in=list(mandates))
        ).order_by("name")
        rows = []
        for club in clubs:
            mandate = mandates.get(club.pk)
            active = mandate is not None and mandate.status == AvtaleGiroMandate.Status.ACTIVE
            rows.append(
                {
                    "club": club,
                    "mandate": mandate,
                    "active": active,
                    "kid": mandate.kid if active else _kid_or_none(club, person),
                    "account": format_bank_account(club.bank_account),
                    "can_set_up": club.accepts_avtalegiro and bool(club.bank_account),
                }
            )
    return rows
