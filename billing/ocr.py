"""OCR Giro import (R-BIL-7, DOMAIN.md §5): the file Nets delivers with every incoming
payment that carried a KID, read with ``netsgiro``, each transaction recorded as a
``Payment`` and matched to its invoice.

* ``import_ocr(club, data, name)`` reads the whole file first (``read_transmission``:
  a line that is not an OCR record is refused, naming the line), then writes it in one
  transaction: a broken file records nothing. The same file twice is refused by its
  checksum (``PaymentFile``, unique per club).
* Each OCR Giro transaction becomes a payment (provider ``ocr``, reference
  ``transmission:assignment:transaction`` — Nets numbers transactions per assignment,
  so the assignment is part of the id). A transaction recorded before, from a file that
  overlaps this one, is counted as a duplicate and not recorded twice
  (``payment_reference_once``).
* Matching: an AvtaleGiro debit (transaction type 15) carries the payer's mandate KID,
  so it is matched through its live claim (``billing.avtalegiro.claim_for_debit``: KID,
  amount and due date; a debit settled a few banking days after the due date finds its
  claim too); any other payment by the invoice's KID. A KID that matches nothing stays
  without invoice on the unmatched list for a person to place (``assign_payment``).
  The invoice's status follows in one place (``billing.services.settle_status``): paid
  in full → paid; less → still open with the rest; more → paid, with a negative open
  amount (``balance``). A reversed payment (sign ``-``) is recorded as a negative one.
* AvtaleGiro agreement records (assignment type 24, Nets' "avtaler") register or cancel
  the payer's mandate (``billing.avtalegiro``). A payer's bank that *rejects* a debit is
  not reported in these files: netsgiro's OCR format has no record for it (a rejected
  debit simply never appears as a payment, and the invoice stays open).
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import netsgiro
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scope
from netsgiro import records as nets_records

from billing import avtalegiro, services
from billing.models import AvtaleGiroMandate, Claim, Invoice, Payment, PaymentFile
from billing.queries import OPEN_STATUSES
from members.models import Club, Membership, Person

PROVIDER = "ocr"
RECORD_LENGTH = 80
MAX_FILE_SIZE = 20 * 1024 * 1024
DEBIT_SETTLE_DAYS = 7  # an AvtaleGiro debit is settled on its due date or soon after
NO_ACCOUNT = "0" * 11
AVTALEGIRO_DEBIT = netsgiro.TransactionType.FROM_AVTALEGIRO
REGISTRATION = netsgiro.AvtaleGiroRegistrationType
RECORD_TYPES = {f"{record_type:02d}" for record_type in netsgiro.RecordType}


class OcrError(Exception):
    """The file cannot be imported, or a payment cannot be placed; the message says why
    in plain words."""


class AlreadyImported(OcrError):
    def __init__(self, payment_file: PaymentFile):
        self.payment_file = payment_file
        when = timezone.localtime(payment_file.imported_at)
        super().__init__(
            _("This file was already imported on %(date)s (%(name)s); nothing was recorded.")
            % {"date": when.strftime("%d.%m.%Y %H:%M"), "name": payment_file.name}
        )


@dataclass
class MandateChanges:
    """What the file's AvtaleGiro agreement records did (not stored: shown after the
    import)."""

    registered: int = 0
    updated: int = 0
    cancelled: int = 0
    unknown: list[str] = field(default_factory=list)  # KIDs nobody in the club has

    def __bool__(self) -> bool:
        return bool(self.registered or self.updated or self.cancelled or self.unknown)


# --- reading -------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text: UTF-8 when it is, else Latin-1 (Nets' own encoding)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("iso-8859-1")


def read_transmission(data: bytes) -> netsgiro.Transmission:
    """The file parsed by netsgiro, or ``OcrError`` saying which line is wrong and why."""
    if not data.strip():
        raise OcrError(_("The file is empty."))
    if len(data) > MAX_FILE_SIZE:
        raise OcrError(_("The file is larger than 20 MB; an OCR file is much smaller."))
    lines = decode(data).strip().splitlines()
    records = [_read_record(number, line) for number, line in enumerate(lines, 1)]
    try:
        transmission = netsgiro.Transmission.from_records(records)
    except (AssertionError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise OcrError(
            _(
                "The lines are not in the order of an OCR file (transmission start, "
                "assignments with their transactions, transmission end). Is the file "
                "complete? (%(detail)s)"
            )
            % {"detail": str(exc) or type(exc).__name__}
        ) from exc
    for assignment in transmission.assignments:
        if assignment.service_code == netsgiro.ServiceCode.AVTALEGIRO and assignment.type in (
            netsgiro.AssignmentType.TRANSACTIONS,
            netsgiro.AssignmentType.AVTALEGIRO_CANCELLATIONS,
        ):
            raise OcrError(
                _(
                    "This is an AvtaleGiro claim file (sent to Nets), not an OCR file from "
                    "Nets with payments."
                )
            )
    return transmission


def _read_record(number: int, line: str):
    def wrong(reason: str) -> OcrError:
        return OcrError(
            _("Line %(line)s is not a record of an OCR Giro file: %(reason)s")
            % {"line": number, "reason": reason}
        )

    if len(line) != RECORD_LENGTH:
        raise wrong(
            _("it has %(count)s characters, and every line of an OCR file has 80.")
            % {"count": len(line)}
        )
    if not line.startswith("NY"):
        raise wrong(_("it does not start with NY."))
    if line[6:8] not in RECORD_TYPES:
        raise wrong(_("the record type %(type)s is unknown.") % {"type": line[6:8]})
    try:
        (record,) = nets_records.parse(line)
    except (ValueError, TypeError, KeyError) as exc:
        raise wrong(_("a field has the wrong format (%(detail)s).") % {"detail": exc}) from exc
    return record


# --- importing -----------------------------------------------------------------------


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def import_ocr(club: Club, data: bytes, name: str, by=None) -> PaymentFile:
    """Import an OCR Giro file for ``club`` (see module doc): the ``PaymentFile`` with
    its counts; ``.mandates`` (``MandateChanges``) says what its agreement records did.
    Raises ``AlreadyImported`` for a file imported before, ``OcrError`` for a file that
    is not an OCR file; either way nothing is recorded."""
    digest = checksum(data)
    with scope(club=club):
        earlier = PaymentFile.objects.filter(club=club, sha256=digest).first()
        if earlier is not None:
            raise AlreadyImported(earlier)
        transmission = read_transmission(data)
        _check_accounts(club, transmission)
        try:
            with transaction.atomic():
                payment_file = PaymentFile.objects.create(
                    club=club,
                    name=name[:255],
                    sha256=digest,
                    imported_by=by if by is not None and by.is_authenticated else None,
                )
                mandates = _record(club, payment_file, transmission)
                payment_file.file.save(f"{digest[:16]}.txt", ContentFile(data), save=False)
                payment_file.save()
        except IntegrityError:  # the same file, imported meanwhile by another request
            earlier = PaymentFile.objects.filter(club=club, sha256=digest).first()
            if earlier is None:
                raise
            raise AlreadyImported(earlier) from None
    payment_file.mandates = mandates
    return payment_file


def _check_accounts(club: Club, transmission: netsgiro.Transmission) -> None:
    """A file for another receiving account (another club's) is refused: its KIDs would
    find this club's invoices with the same numbers."""
    accounts = {club.bank_account} if club.bank_account else set()
    with scope(club=club):
        accounts |= set(
            Invoice.objects.filter(club=club)
            .exclude(seller_account="")
            .values_list("seller_account", flat=True)
            .distinct()
        )
    for assignment in transmission.assignments:
        is_payments = assignment.service_code == netsgiro.ServiceCode.OCR_GIRO
        if accounts and is_payments and assignment.account not in accounts:
            raise OcrError(
                _(
                    "The payments in this file were paid to account %(account)s, which is "
                    "not the club's account. Is it another club's file?"
                )
                % {"account": _format_account(assignment.account)}
            )


def _format_account(account: str) -> str:
    return f"{account[:4]}.{account[4:6]}.{account[6:]}" if len(account) == 11 else account


def _record(club: Club, payment_file: PaymentFile, transmission) -> MandateChanges:
    mandates = MandateChanges()
    counts = {"matched": 0, "unmatched": 0, "duplicates": 0}
    transactions, total = 0, Decimal("0.00")
    invoices = _invoices_by_kid(club, transmission)
    for assignment in transmission.assignments:
        if assignment.service_code == netsgiro.ServiceCode.AVTALEGIRO:
            for agreement in assignment.transactions:
                _apply_agreement(club, agreement, mandates)
            continue
        for item in assignment.transactions:
            amount = Decimal(item.amount_in_cents) / 100
            if item.sign == "-":
                amount = -amount
            transactions += 1
            total += amount
            kid = (item.kid or "").strip()
            is_debit = item.type == AVTALEGIRO_DEBIT
            invoice = _debit_invoice(club, kid, amount, item.date) if is_debit else None
            invoice = invoice or invoices.get(kid)
            _payment, created = services.record_payment(
                invoice,
                club=club,
                amount=amount,
                method=Payment.Method.AVTALEGIRO if is_debit else Payment.Method.OCR,
                paid_on=item.date,
                provider=PROVIDER,
                reference=f"{transmission.number}:{assignment.number}:{item.number}",
                kid=kid,
                payment_file=payment_file,
                payer_account=_payer_account(item),
            )
            if not created:
                counts["duplicates"] += 1
            else:
                counts["matched" if invoice else "unmatched"] += 1
    payment_file.transactions = transactions
    payment_file.total = total
    for key, value in counts.items():
        setattr(payment_file, key, value)
    return mandates


def _payer_account(item: netsgiro.Transaction) -> str:
    account = item.debit_account or ""
    return "" if account == NO_ACCOUNT else account


def _invoices_by_kid(club: Club, transmission) -> dict[str, Invoice]:
    kids = {
        (item.kid or "").strip()
        for assignment in transmission.assignments
        if assignment.service_code == netsgiro.ServiceCode.OCR_GIRO
        for item in assignment.transactions
    } - {""}
    return {inv.kid: inv for inv in Invoice.objects.filter(club=club, kid__in=kids)}


def _debit_invoice(club: Club, kid: str, amount: Decimal, on: date) -> Invoice | None:
    """The invoice an AvtaleGiro debit pays: its claim with the same KID, amount and due
    date; else the open invoice whose claim fell due in the days before (the debit is
    settled on the next banking day when the due date is a holiday)."""
    claim = avtalegiro.claim_for_debit(club, kid, amount, on)
    if claim is None:
        claim = (
            Claim.objects.filter(
                club=club,
                kid=kid,
                amount=amount,
                cancelled_at__isnull=True,
                due_date__range=(on - timedelta(days=DEBIT_SETTLE_DAYS), on),
                invoice__status__in=OPEN_STATUSES,
            )
            .select_related("invoice")
            .order_by("-due_date", "pk")
            .first()
        )
    return claim.invoice if claim is not None else None


# --- AvtaleGiro agreements -----------------------------------------------------------


def _apply_agreement(club: Club, agreement, changes: MandateChanges) -> None:
    """A new, changed or deleted AvtaleGiro agreement reported by Nets."""
    kid = (agreement.kid or "").strip()
    if agreement.registration_type == REGISTRATION.DELETED_AGREEMENT:
        mandate = AvtaleGiroMandate.objects.filter(
            club=club, kid=kid, status=AvtaleGiroMandate.Status.ACTIVE
        ).first()
        if mandate is None:
            changes.unknown.append(kid)
            return
        avtalegiro.cancel_mandate(mandate)
        changes.cancelled += 1
        return
    payer = _payer_of_kid(club, kid)
    if payer is None:
        changes.unknown.append(kid)
        return
    try:
        mandate, created = avtalegiro.register_mandate(
            club, payer, source=AvtaleGiroMandate.Source.NETS, notify_by_bank=agreement.notify
        )
    except avtalegiro.AvtaleGiroError:
        changes.unknown.append(kid)
        return
    if created:
        changes.registered += 1
    elif mandate.notify_by_bank != agreement.notify:
        mandate.notify_by_bank = agreement.notify
        mandate.save(update_fields=["notify_by_bank"])
        changes.updated += 1


def _payer_of_kid(club: Club, kid: str) -> Person | None:
    """The person whose mandate KID ``kid`` is (``billing.avtalegiro.mandate_kid``): a
    member of the club, or someone who receives its invoices; None otherwise."""
    if not avtalegiro.is_mandate_kid(kid, club.kid_length):
        return None
    person_id = int(kid[1:-1])
    try:
        if avtalegiro.mandate_kid(club, person_id) != kid:
            return None
    except avtalegiro.AvtaleGiroError:
        return None
    known = (
        Membership.objects.filter(club=club, person_id=person_id).exists()
        or Invoice.objects.filter(club=club, recipient_id=person_id).exists()
    )
    return Person.objects.filter(pk=person_id).first() if known else None


# --- placing a payment ---------------------------------------------------------------


def assign_payment(payment: Payment, invoice: Invoice, by=None) -> Payment:
    """Place a payment that matched nothing on an invoice of the same club (R-BIL-7);
    the invoice's status follows. A payment placed already, or an invoice of another
    club, is refused."""
    if invoice.club_id != payment.club_id:
        raise OcrError(_("The invoice belongs to another club."))
    with scope(club=payment.club_id), transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.kind != Payment.Kind.PAYMENT:
            raise OcrError(_("Only a received payment can be placed on an invoice."))
        if locked.invoice_id is not None:
            placed_on = Invoice.objects.get(pk=locked.invoice_id)
            raise OcrError(
                _("This payment is on invoice %(number)s already; nothing was changed.")
                % {"number": placed_on.number}
            )
        locked.invoice = invoice
        locked.assigned_by = by if by is not None and by.is_authenticated else None
        locked.assigned_at = timezone.now()
        locked.save(update_fields=["invoice", "assigned_by", "assigned_at"])
        services.settle_status(invoice)
    return locked


def summary(payment_file: PaymentFile) -> str:
    """The import's counts in one sentence (pages and the command)."""
    text = ngettext(
        "%(count)s transaction: %(matched)s matched, %(unmatched)s unmatched, "
        "%(duplicates)s recorded before; total %(total)s kr.",
        "%(count)s transactions: %(matched)s matched, %(unmatched)s unmatched, "
        "%(duplicates)s recorded before; total %(total)s kr.",
        payment_file.transactions,
    )
    return text % {
        "count": payment_file.transactions,
        "matched": payment_file.matched,
        "unmatched": payment_file.unmatched,
        "duplicates": payment_file.duplicates,
        "total": _money(payment_file.total),
    }


def mandate_summary(changes: MandateChanges) -> str:
    """What the file's AvtaleGiro agreement records did, in one sentence ('' if none)."""
    if not changes:
        return ""
    text = _(
        "AvtaleGiro agreements: %(registered)s registered, %(updated)s changed, "
        "%(cancelled)s cancelled."
    ) % {
        "registered": changes.registered,
        "updated": changes.updated,
        "cancelled": changes.cancelled,
    }
    if changes.unknown:
        text += " " + _("No payer in the club has the KID(s) %(kids)s.") % {
            "kids": ", ".join(changes.unknown)
        }
    return text


def _money(amount: Decimal) -> str:
    return number_format(amount, 2, force_grouping=True)
