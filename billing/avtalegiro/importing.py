"""Mandates from the migration extract (R-BIL-7, shared/data/README.md): a member row
whose ``Betalingsmåte`` is ``AvtaleGiro`` means the person who pays for that member
(``billing.services.payer_for``: the household's payer, a child's guardian, or the
member) has an active AvtaleGiro agreement with the club. It is made with source
"migrated" and ``notify_by_bank`` True: the extract has no column for the notification
choice, and the bank's notice is AvtaleGiro's usual one; the admin changes it on the
AvtaleGiro page.

Called by the import when a batch is done (``mandates_for_members``, with the members
the run linked to such rows) and again after a review row is resolved
(``mandates_from_import``, which reads the batch's rows through ``batch.rows``, so billing
never imports migration: the layers). Idempotent: a payer with an active mandate keeps
it."""

from django.db import connection
from django_scopes import scope

from billing import services
from billing.models import AvtaleGiroMandate, Invoice

from .mandates import AvtaleGiroError, follow_mandate, mandate_kid

LINKED = ("new", "matched", "merged")  # ImportRow outcomes that have a person
AVTALEGIRO = "avtalegiro"  # the normalised Betalingsmåte


def mandates_from_import(batch, person_ids=None) -> int:
    """Active mandates for the payers of the batch's AvtaleGiro rows (only of
    ``person_ids`` when given). Returns how many were made."""
    club = batch.club
    rows = batch.rows.filter(
        sheet="members",
        outcome__in=LINKED,
        person__isnull=False,
        values__payment_method=AVTALEGIRO,
    )
    if person_ids is not None:
        rows = rows.filter(person_id__in_array=list(person_ids))
    return mandates_for_members(club, set(rows.values_list("person_id", flat=True)))


def mandates_for_members(club, members: set[int]) -> int:
    """Active mandates for the payers of ``members``, persons whose import row says
    AvtaleGiro. Returns how many were made."""
    if not members:
        return 0
    with scope(club=club):
        payers = services.payer_ids_for(club, members)
        mandated = set(
            AvtaleGiroMandate.objects.filter(
                club=club, payer_id__in_array=payers, status=AvtaleGiroMandate.Status.ACTIVE
            ).values_list("payer_id", flat=True)
        )
        drafts = {}
        for payer_id in sorted(payers - mandated):
            try:
                drafts[payer_id] = mandate_kid(club, payer_id)
            except AvtaleGiroError:
                continue  # the KID length is too short: the status page shows no mandate
        taken = set(
            Invoice.objects.filter(club=club, kid__in_array=drafts.values()).values_list(
                "kid", flat=True
            )
        )
        before = len(mandated)
        _insert_migrated(club, [(p, k) for p, k in drafts.items() if k not in taken])
        follow_mandate(club, payers, active=True)
        after = AvtaleGiroMandate.objects.filter(
            club=club, payer_id__in_array=payers, status=AvtaleGiroMandate.Status.ACTIVE
        ).count()
    return after - before


def _insert_migrated(club, payer_kids: list[tuple[int, str]]) -> None:
    """New migrated mandates; one that meets an active one (same payer or KID) is left
    out. On PostgreSQL one ``INSERT … SELECT FROM unnest`` (an import makes tens of
    thousands), elsewhere ``bulk_create``."""
    if not payer_kids:
        return
    if connection.vendor != "postgresql":
        AvtaleGiroMandate.objects.bulk_create(
            [
                AvtaleGiroMandate(
                    club=club,
                    payer_id=payer_id,
                    kid=kid,
                    source=AvtaleGiroMandate.Source.MIGRATED,
                    notify_by_bank=True,
                )
                for payer_id, kid in payer_kids
            ],
            ignore_conflicts=True,
        )
        return
    table = AvtaleGiroMandate._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (club_id, payer_id, kid, status, bank_reference,"  # noqa: S608
            " notify_by_bank, source, created_at)"
            " SELECT %s, payer, kid, %s, '', true, %s, now()"
            " FROM unnest(%s::bigint[], %s::text[]) AS t(payer, kid)"
            " ON CONFLICT DO NOTHING",
            [
                club.pk,
                AvtaleGiroMandate.Status.ACTIVE,
                AvtaleGiroMandate.Source.MIGRATED,
                [payer_id for payer_id, _kid in payer_kids],
                [kid for _payer_id, kid in payer_kids],
            ],
        )


def remove_migrated(person_ids) -> int:
    """The import rollback: migrated mandates of these persons that claimed nothing."""
    deleted, _by_model = AvtaleGiroMandate.objects.filter(
        payer_id__in_array=list(person_ids),
        source=AvtaleGiroMandate.Source.MIGRATED,
        claims__isnull=True,
    ).delete()
    return deleted
