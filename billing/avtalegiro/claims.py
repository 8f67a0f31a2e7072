"""AvtaleGiro payment claims (R-BIL-7, DOMAIN.md §5): the Nets claim file, written with
``netsgiro``, and the claims recorded with it.

* ``write_claims(club, on_date)`` claims every open AvtaleGiro invoice whose payer has an
  active mandate and that has no live claim, when its due date is at least the lead time
  after ``on_date``. The lead time is ``max(claim_lead_days, notice_days)``: the claim
  must reach Nets in time, and the notice the club sends as it writes the claim must
  reach the payer in time. One transmission, one assignment (the club's Nets agreement),
  one transaction per invoice: the mandate's KID, the open amount in øre, the due date,
  the payer's name cut to 10 characters, and whether the bank notifies the payer.
* The file is stored (``ClaimFile.file``) and one ``Claim`` per invoice is written in
  the same transaction, under the lock of the club's ``BillingSettings`` row: two runs at
  once write one file, and a re-run finds every invoice claimed
  (``claim_once_per_invoice``) and writes nothing.
* An invoice too close to its due date, or whose payer has no active mandate any more
  (or one whose highest amount per debit is below the invoice's), is never claimed:
  ``send_unclaimable_as_invoices`` turns it into an ordinary invoice (with a giro slip,
  paid by its own KID like any other) and sends it again, so reminders follow it as they
  follow every invoice.
* When the bank does not notify (``notify_by_bank`` False), the club e-mails the payer the
  notice (amount, due date, KID, that it will be debited) as the claim is written, and
  ``Claim.notified_at`` says when. A payer without an e-mail address cannot get the
  club's notice: that claim asks the bank to notify instead.
* ``cancel_claim``: an invoice credited before its due date has its live claim cancelled
  with a cancellation file (``AVTALEGIRO_CANCELLATIONS``, the same transaction as the
  claim), stored as a ``ClaimFile`` of kind cancellations.
"""

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import netsgiro
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scope

from billing import queries
from billing.models import (
    AvtaleGiroMandate,
    BillingSettings,
    Claim,
    ClaimFile,
    Invoice,
    InvoicePaymentMethod,
)
from billing.pricing import money
from comms.services import queue_email
from members.models import Club
from members.validators import format_bank_account

from .mandates import AvtaleGiroError

ENCODING = "iso-8859-1"  # Nets' files are Latin-1
NAME_LENGTH = 10  # Nets keeps 10 characters of the payer's name
REFERENCE_LENGTH = 25  # the text on the payer's account statement
TEXT_WIDTH, TEXT_LINES = 80, 42  # the bank's notice text


def billing_settings(club: Club) -> BillingSettings:
    """The club's collection settings, made with the defaults when first needed."""
    with scope(club=club):
        found, _made = BillingSettings.objects.get_or_create(club=club)
    return found


def lead_days(club_settings: BillingSettings) -> int:
    """Days between writing a claim and its due date, at least: the claim must reach Nets
    and the club's own notice must reach the payer."""
    return max(club_settings.claim_lead_days, club_settings.notice_days)


def _live_claim():
    return Claim.objects.filter(invoice=OuterRef("pk"), cancelled_at__isnull=True)


def _mandate_allows():
    """The recipient's active mandate, if its highest amount per debit (when the payer set
    one) allows the open amount: the bank refuses a debit above it."""
    return AvtaleGiroMandate.objects.filter(
        Q(max_amount__isnull=True) | Q(max_amount__gte=OuterRef("open_amount")),
        club=OuterRef("club"),
        payer=OuterRef("recipient"),
        status=AvtaleGiroMandate.Status.ACTIVE,
    )


def _unclaimed(club: Club):
    """Open AvtaleGiro invoices with money to receive and no live claim."""
    invoices = Invoice.objects.filter(
        club=club,
        payment_method=InvoicePaymentMethod.AVTALEGIRO,
        status__in=queries.OPEN_STATUSES,
    )
    return queries.with_amounts(invoices).filter(open_amount__gt=0).filter(~Exists(_live_claim()))


def claimable(club: Club, on_date: date):
    """What ``write_claims(club, on_date)`` claims, by invoice number."""
    earliest = on_date + timedelta(days=lead_days(billing_settings(club)))
    with scope(club=club):
        return (
            _unclaimed(club)
            .filter(Exists(_mandate_allows()), due_date__gte=earliest)
            .select_related("recipient")
            .order_by("number")
        )


def unclaimable(club: Club, on_date: date):
    """AvtaleGiro invoices that can no longer be claimed on ``on_date``: the due date is
    closer than the lead time, or the payer has no active mandate (or one whose highest
    amount per debit is below the open amount)."""
    earliest = on_date + timedelta(days=lead_days(billing_settings(club)))
    with scope(club=club):
        late = Q(due_date__lt=earliest) | ~Exists(_mandate_allows())
        return _unclaimed(club).filter(late).order_by("number")


def check_ready(club: Club, club_settings: BillingSettings) -> None:
    """Refuse, in plain words, what Nets would refuse."""
    if not (club_settings.nets_customer_id and club_settings.nets_agreement_id):
        raise AvtaleGiroError(
            _(
                "The club's Nets customer number and assignment agreement id are missing: "
                "enter them in the billing settings before writing AvtaleGiro files."
            )
        )
    if len(club.bank_account or "") != 11:
        raise AvtaleGiroError(_("The club has no bank account of 11 digits for AvtaleGiro."))


@dataclass
class _Item:
    invoice: Invoice
    mandate: AvtaleGiroMandate
    amount: Decimal
    bank_notifies: bool


def write_claims(club: Club, on_date: date, by=None) -> ClaimFile | None:
    """Write the claim file for ``on_date`` and record its claims (see module doc). None
    when there is nothing to claim: nothing is written then."""
    with scope(club=club), transaction.atomic():
        club_settings = BillingSettings.objects.select_for_update().get(
            pk=billing_settings(club).pk
        )
        check_ready(club, club_settings)
        # an invoice being credited right now is left for the next run (no deadlock)
        invoices = list(claimable(club, on_date).select_for_update(of=("self",), skip_locked=True))
        if not invoices:
            return None
        mandates = {
            m.payer_id: m
            for m in AvtaleGiroMandate.objects.filter(
                club=club,
                status=AvtaleGiroMandate.Status.ACTIVE,
                payer_id__in=[i.recipient_id for i in invoices],
            )
        }
        items = [
            _Item(
                invoice=invoice,
                mandate=(mandate := mandates[invoice.recipient_id]),
                amount=invoice.open_amount,
                bank_notifies=mandate.notify_by_bank or not invoice.recipient_email,
            )
            for invoice in invoices
        ]
        number = _next_transmission_number(club)
        with translation.override(django_settings.LANGUAGE_CODE):
            ocr = _transmission(club, club_settings, number, on_date, items, cancel=False)
        claim_file = _store(club, ClaimFile.Kind.CLAIMS, number, on_date, ocr, items, by)
        claims = Claim.objects.bulk_create(
            [
                Claim(
                    club=club,
                    invoice=item.invoice,
                    mandate=item.mandate,
                    claim_file=claim_file,
                    kid=item.mandate.kid,
                    amount=item.amount,
                    due_date=item.invoice.due_date,
                )
                for item in items
            ]
        )
        for claim, item in zip(claims, items, strict=True):
            if not item.bank_notifies:
                _notify(claim, item.invoice)
    return claim_file


def _notify(claim: Claim, invoice: Invoice) -> None:
    """The club's own notice of the debit to the payer (the bank sends none)."""
    queue_email(
        club=invoice.club,
        person=invoice.recipient,
        to_address=invoice.recipient_email,
        template="billing/email/avtalegiro_notice",
        context={
            "invoice": invoice,
            "claim": claim,
            "account": format_bank_account(invoice.seller_account),
        },
        idempotency_key=f"billing:avtalegiro-notice:{claim.pk}",
    )
    claim.notified_at = timezone.now()
    claim.save(update_fields=["notified_at"])


def _next_transmission_number(club: Club) -> str:
    """The club's next transmission number (7 digits), under the settings' row lock."""
    numbers = ClaimFile.objects.filter(club=club).values_list("transmission_number", flat=True)
    last = max((int(n) for n in numbers if n.isdigit()), default=0)
    if last >= 9_999_999:
        raise AvtaleGiroError(_("The club has used every Nets transmission number."))
    return f"{last + 1:07d}"


def payer_name(name: str) -> str:
    """The payer's name as Nets keeps it: Latin-1, at most 10 characters."""
    return _latin1(name)[:NAME_LENGTH]


def _latin1(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "")
    return text.encode(ENCODING, "replace").decode(ENCODING)


def _reference(invoice: Invoice) -> str:
    return _latin1(_("Invoice %(number)s") % {"number": invoice.number})[:REFERENCE_LENGTH]


def _bank_text(invoice: Invoice) -> str:
    """The notice text the payer's bank shows (only when the bank notifies)."""
    line = _("Invoice %(number)s from %(club)s") % {
        "number": invoice.number,
        "club": invoice.seller_name,
    }
    return _latin1(line)[:TEXT_WIDTH]


def _transmission(
    club: Club,
    club_settings: BillingSettings,
    number: str,
    on_date: date,
    items: list[_Item],
    *,
    cancel: bool,
) -> str:
    """The transmission as Nets' 80-character records. Lengths are checked first: a value
    over its field's width would break the record."""
    for item in items:
        kid = item.mandate.kid
        if not (kid.isdigit() and 2 <= len(kid) <= 25):
            raise AvtaleGiroError(_("The KID %(kid)s is not 2–25 digits.") % {"kid": kid})
        if item.amount <= 0 or item.amount >= Decimal("10") ** 15:
            raise AvtaleGiroError(_("An amount of a claim is out of range."))
    transmission = netsgiro.Transmission(
        number=number,
        data_transmitter=club_settings.nets_customer_id,
        data_recipient=netsgiro.NETS_ID,
        date=on_date,
    )
    assignment = transmission.add_assignment(
        service_code=netsgiro.ServiceCode.AVTALEGIRO,
        assignment_type=netsgiro.AssignmentType.AVTALEGIRO_CANCELLATIONS
        if cancel
        else netsgiro.AssignmentType.TRANSACTIONS,
        agreement_id=None if cancel else club_settings.nets_agreement_id,
        number=number,
        account=club.bank_account,
        date=on_date,
    )
    add = assignment.add_payment_cancellation if cancel else assignment.add_payment_request
    for item in items:
        ore = int(item.amount * 100)  # øre, exact: amounts have two decimals
        add(
            kid=item.mandate.kid,
            due_date=item.invoice.due_date,
            amount=Decimal(ore) / 100,
            reference=_reference(item.invoice),
            payer_name=payer_name(item.invoice.recipient_name),
            bank_notification=_bank_text(item.invoice) if item.bank_notifies else False,
        )
    return transmission.to_ocr()


def _store(club, kind, number, on_date, ocr: str, items: list[_Item], by) -> ClaimFile:
    claim_file = ClaimFile(
        club=club,
        kind=kind,
        run_date=on_date,
        transmission_number=number,
        count=len(items),
        total=money(sum((item.amount for item in items), Decimal("0"))),
        created_by=by if by is not None and by.is_authenticated else None,
    )
    name = f"avtalegiro-{kind}-{club.slug}-{number}.txt"
    claim_file.file.save(name, ContentFile((ocr + "\n").encode(ENCODING)), save=False)
    claim_file.save()
    return claim_file


# --- cancellations ----------------------------------------------------------------------


def cancel_claim(invoice: Invoice, *, on: date | None = None, by=None) -> Claim | None:
    """Cancel the invoice's live claim when its due date is still ahead (the invoice was
    credited): a cancellation file for Nets, identical to the claim's record but for the
    transaction type. Without Nets ids the cancellation is recorded, and no file is
    written. None when there is no live claim to cancel (or it is due already: the debit
    comes, and the payment is refunded)."""
    on = on or timezone.localdate()
    with scope(club=invoice.club_id), transaction.atomic():
        club = Club.objects.get(pk=invoice.club_id)
        club_settings = BillingSettings.objects.select_for_update().get(
            pk=billing_settings(club).pk
        )
        claim = (
            Claim.objects.select_for_update()
            .select_related("mandate", "invoice")
            .filter(invoice_id=invoice.pk, cancelled_at__isnull=True, due_date__gt=on)
            .first()
        )
        if claim is None:
            return None
        claim.cancelled_at = timezone.now()
        claim.save(update_fields=["cancelled_at"])
        if club_settings.nets_customer_id and club_settings.nets_agreement_id:
            item = _Item(claim.invoice, claim.mandate, claim.amount, bank_notifies=False)
            with translation.override(django_settings.LANGUAGE_CODE):
                number = _next_transmission_number(club)
                ocr = _transmission(club, club_settings, number, on, [item], cancel=True)
            _store(club, ClaimFile.Kind.CANCELLATIONS, number, on, ocr, [item], by)
    return claim


# --- invoices that cannot be claimed ------------------------------------------------------


def send_unclaimable_as_invoices(club: Club, on_date: date) -> list[Invoice]:
    """AvtaleGiro invoices that can no longer be claimed become ordinary invoices (the
    PDF is made again, with a giro slip and the invoice's KID) and are sent again: by
    e-mail, or to the list for the post. Returns them."""
    from billing import sending  # sending sits on top of the PDF and outbox modules

    moved = []
    with scope(club=club):
        for invoice in unclaimable(club, on_date):
            with transaction.atomic():
                changed = Invoice.objects.filter(
                    pk=invoice.pk, payment_method=InvoicePaymentMethod.AVTALEGIRO
                ).update(payment_method=InvoicePaymentMethod.INVOICE, pdf="", sent_at=None)
            if not changed:
                continue
            invoice.refresh_from_db()
            sending.send_invoice(invoice, key=f"billing:avtalegiro-late:{invoice.pk}")
            moved.append(invoice)
    return moved


# --- the OCR import's lookup --------------------------------------------------------------


def claim_for_debit(club: Club, kid: str, amount: Decimal, due_date: date | None) -> Claim | None:
    """The claim an AvtaleGiro debit in an OCR Giro file pays: the club's live claim with
    the mandate KID and amount (and due date, when the record has it). None when none
    matches (the payment then goes to the unmatched list)."""
    with scope(club=club):
        claims = Claim.objects.filter(club=club, kid=kid, amount=amount, cancelled_at__isnull=True)
        if due_date is not None:
            claims = claims.filter(due_date=due_date)
        return claims.select_related("invoice").order_by("due_date", "pk").first()
