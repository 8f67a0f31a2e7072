"""AvtaleGiro mandates (R-BIL-7, R-ACT-6, DOMAIN.md §5): a payer's direct-debit agreement
with a club, registered and cancelled here, and what follows from it.

The mandate's KID
-----------------
The payer sets AvtaleGiro up in the online bank with the club's account and a KID that
identifies the *payer* at the club (not an invoice). Layout, in the club's KID length
``L`` (the bank checks one length): the digit ``9``, the payer's Person id zero-padded to
``L - 2`` digits, and a MOD10 check digit (``billing.kid.make_kid`` of the number
``9 × 10^(L-2) + person id``). Invoice KIDs are the invoice number padded to ``L - 1``
digits plus the check digit, so they start with ``9`` only after ``9 × 10^(L-2)``
invoices (90 million at the default length 9): the two never meet in practice, and
``register_mandate`` refuses a KID that an invoice of the club already has. A person
id too long for the club's length is refused with a clear message (ask the bank for a
longer KID).

Every claim of a mandate carries the mandate's KID (``Claim.kid``), so the OCR Giro
record of an AvtaleGiro debit carries it too: the OCR import matches such a record to
its invoice through the live ``Claim`` with that KID, amount and due date
(``billing.avtalegiro.claims.claim_for_debit``), not through ``Invoice.kid``.

The invoice's payment method follows the mandate: an invoice whose payer has an active
mandate when it is made is an AvtaleGiro invoice (no giro slip; the amount is debited on
the due date). Registering or cancelling a mandate also moves the payer's live
agreements between "invoice" and "AvtaleGiro", so the agreement pages say the same.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope

from billing.kid import KidError, make_kid
from billing.models import Agreement, AvtaleGiroMandate, Invoice
from members.models import Club, Person

PREFIX = 9  # the first digit of every mandate KID


class AvtaleGiroError(Exception):
    """A rule of AvtaleGiro said no; the message is for the user."""


def mandate_kid(club: Club, payer: Person | int) -> str:
    """The KID that identifies ``payer`` at ``club`` for AvtaleGiro (see module doc)."""
    person_id = payer if isinstance(payer, int) else payer.pk
    length = club.kid_length
    width = length - 2
    if width < 1 or len(str(person_id)) > width:
        raise AvtaleGiroError(
            _(
                "The club's KID length (%(length)s digits) is too short for an AvtaleGiro "
                "KID of this person; ask the bank for a longer KID."
            )
            % {"length": length}
        )
    try:
        return make_kid(PREFIX * 10**width + person_id, length)
    except KidError as exc:  # pragma: no cover - the width check above comes first
        raise AvtaleGiroError(str(exc)) from exc


def is_mandate_kid(kid: str, length: int) -> bool:
    """Whether ``kid`` has the layout of a mandate KID in a club of KID ``length``."""
    return len(kid) == length and kid.startswith(str(PREFIX))


def active_mandate(club: Club, payer: Person | int) -> AvtaleGiroMandate | None:
    person_id = payer if isinstance(payer, int) else payer.pk
    with scope(club=club):
        return AvtaleGiroMandate.objects.filter(
            club=club, payer_id=person_id, status=AvtaleGiroMandate.Status.ACTIVE
        ).first()


def mandated_payers(club: Club | int, payer_ids) -> set[int]:
    """Those of ``payer_ids`` who have an active mandate with ``club``."""
    with scope(club=club):
        return set(
            AvtaleGiroMandate.objects.filter(
                club=club, payer_id__in=list(payer_ids), status=AvtaleGiroMandate.Status.ACTIVE
            ).values_list("payer_id", flat=True)
        )


def register_mandate(
    club: Club,
    payer: Person,
    *,
    source: str,
    notify_by_bank: bool = True,
    bank_reference: str = "",
    max_amount=None,
    on: datetime | None = None,
) -> tuple[AvtaleGiroMandate, bool]:
    """The payer's active mandate with the club, made if missing: ``(mandate, created)``.
    A second call (or two at once) finds the first one, unchanged. The payer's live
    agreements become AvtaleGiro agreements."""
    kid = mandate_kid(club, payer)
    with scope(club=club):
        if Invoice.objects.filter(club=club, kid=kid).exists():
            raise AvtaleGiroError(
                _("The KID %(kid)s is an invoice's KID; this payer cannot get AvtaleGiro.")
                % {"kid": kid}
            )
        existing = active_mandate(club, payer)
        if existing is not None:
            return existing, False
        mandate = AvtaleGiroMandate(
            club=club,
            payer=payer,
            kid=kid,
            source=source,
            notify_by_bank=notify_by_bank,
            bank_reference=bank_reference[:40],
            max_amount=max_amount,
        )
        try:
            with transaction.atomic():
                mandate.save()
                if on is not None:
                    AvtaleGiroMandate.objects.filter(pk=mandate.pk).update(created_at=on)
                follow_mandate(club, [payer.pk], active=True)
        except IntegrityError:  # made meanwhile by another call
            return active_mandate(club, payer), False
    return mandate, True


def cancel_mandate(mandate: AvtaleGiroMandate) -> AvtaleGiroMandate:
    """End the mandate (the payer stopped it, or the admin records that they did). The
    payer's live AvtaleGiro agreements go back to invoice; invoices made from now carry a
    giro. Claims already sent to Nets stay as they are: the payer's bank refuses a debit
    without a mandate, and the OCR import reports it. Cancelling twice keeps the first."""
    with scope(club=mandate.club_id), transaction.atomic():
        locked = AvtaleGiroMandate.objects.select_for_update().get(pk=mandate.pk)
        if locked.status == AvtaleGiroMandate.Status.CANCELLED:
            return locked
        locked.status = AvtaleGiroMandate.Status.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["status", "cancelled_at"])
        follow_mandate(locked.club_id, [locked.payer_id], active=False)
    return locked


def follow_mandate(club: Club | int, payer_ids, *, active: bool) -> int:
    """Move the payers' live agreements to AvtaleGiro (``active``) or back to invoice.
    Card agreements keep their method. Returns how many moved."""
    methods = Agreement.PaymentMethod
    old, new = (methods.INVOICE, methods.AVTALEGIRO)[:: 1 if active else -1]
    with scope(club=club):
        return Agreement.objects.filter(
            club=club,
            payer_id__in_array=list(payer_ids),
            cancelled_at__isnull=True,
            payment_method=old,
        ).update(payment_method=new)


def club_mandates(club: Club):
    """The club's mandates, active first, for the status page."""
    with scope(club=club):
        return (
            AvtaleGiroMandate.objects.filter(club=club)
            .select_related("payer")
            .order_by("status", "payer__last_name", "payer__first_name", "pk")
        )
