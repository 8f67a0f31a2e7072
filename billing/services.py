"""Business rules of billing (SPEC §6): agreements, invoice runs and their preview,
credit notes and payments. Views, commands and tasks call these.

Idempotency and no gaps (R-BIL-4, R-BIL-5, DESIGN.md "Money and invoices"):

* A run bills payers in small batches, each in its own transaction. The batch first
  locks its payers' due agreements (``SELECT … FOR UPDATE``, ordered by payer and id);
  an overlapping run that billed them meanwhile has moved their ``next_billing_date``
  on, and PostgreSQL re-checks the WHERE clause on the locked rows, so they drop out.
* Then the batch takes its invoice numbers from the club's counter row, locked in the
  same transaction: a rolled-back batch gives its numbers back.
* Lines, invoices and the moved ``next_billing_date`` commit together. A worker killed
  half-way loses only its open batch; running again bills the rest, and the unique
  charge (``invoice_charge_once``) is the database's last word against a double bill.
"""

import calendar
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django_scopes import scope

from billing import pricing
from billing.kid import make_kid
from billing.models import (
    Agreement,
    AvtaleGiroMandate,
    CreditNote,
    Fee,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoicePaymentMethod,
    InvoiceRun,
    Payment,
    Period,
)
from billing.models.fees import PERIOD_MONTHS
from billing.pdf.tasks import queue_credit_note_pdf, queue_run_pdfs
from members.models import Club, GroupMember, Membership, Person

ADULT_AGE = 18
MAX_PERIODS_PER_RUN = 24  # catching up on an agreement far behind, one line per period
BATCH_SIZE = 100  # payers per transaction


class BillingError(Exception):
    """A rule of billing said no; the message is for the user."""


# --- dates -------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` on; the 29th–31st become the month's last day if the
    month is shorter (club billing days are 1–28, so this is rare)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(start: date, period: str) -> date:
    """The last day of the period of ``period`` starting ``start`` (``start`` for once)."""
    months = PERIOD_MONTHS[Period(period)]
    return add_months(start, months) - timedelta(days=1) if months else start


def next_period_start(start: date, period: str) -> date | None:
    months = PERIOD_MONTHS[Period(period)]
    return add_months(start, months) if months else None


def next_billing_day(billing_day: int, today: date) -> date:
    """The rule for a new member's first invoice date (R-REG-7 (ii)): the next time
    ``billing_day`` (1–28) comes, today included — billing day 15: joining 19 November
    gives 15 December, joining on the 15th gives that day; billing day 28, joining 31
    January gives 28 February. Billing day 0: today (the club bills at once)."""
    if not billing_day:
        return today
    candidate = today.replace(day=billing_day)  # 1–28: every month has it
    return candidate if candidate >= today else add_months(candidate, 1)


def first_billing_date(club: Club, today: date | None = None) -> date:
    """When a new agreement of ``club`` is first billed (``next_billing_day`` with the
    club's default billing day)."""
    return next_billing_day(club.default_billing_day, today or timezone.localdate())


# --- agreements ----------------------------------------------------------------------


def payer_for(membership: Membership, on: date | None = None) -> Person:
    """Who gets the invoice for ``membership``: the household's chosen payer; else, for a
    child under 18 with a guardian, the first guardian; else the member."""
    person = membership.person
    household = membership.household
    if household is not None and household.payer_id:
        return household.payer
    age = person.age_on(on or timezone.localdate())
    if age is not None and age < ADULT_AGE:
        # all(), not order_by(): guardians prefetched for many memberships are used
        guardian = min(person.guardians.all(), key=lambda g: g.pk, default=None)
        if guardian is not None:
            return guardian
    return person


def payer_ids_for(club: Club, person_ids, on: date | None = None) -> set[int]:
    """``payer_for`` for many members at once, as plain values read in chunks (an import
    of 100,000 rows asks this of tens of thousands of members): the ids of who gets
    their invoices."""
    day = on or timezone.localdate()
    ids = sorted(set(person_ids))
    payers: set[int] = set()
    Guardianship = Person.guardians.through
    for i in range(0, len(ids), 5000):
        chunk = ids[i : i + 5000]
        rows = Membership.objects.filter(club=club, person_id__in_array=chunk).values_list(
            "person_id", "household__payer_id", "person__birth_date"
        )
        first_guardian: dict[int, int] = {}
        for child_id, guardian_id in Guardianship.objects.filter(
            from_person_id__in_array=chunk
        ).values_list("from_person_id", "to_person_id"):
            first_guardian[child_id] = min(first_guardian.get(child_id, guardian_id), guardian_id)
        for person_id, household_payer, birth in rows:
            if household_payer:
                payers.add(household_payer)
                continue
            minor = birth is not None and (
                day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
                < ADULT_AGE
            )
            if minor and person_id in first_guardian:
                payers.add(first_guardian[person_id])
            else:
                payers.add(person_id)
    return payers


def create_agreement(
    membership: Membership,
    fee: Fee,
    *,
    source: str,
    next_billing_date: date | None = None,
    payer: Person | None = None,
) -> Agreement:
    """The live agreement of ``fee`` for the member of ``membership``; made if missing
    (a second call, or a race, finds the first one)."""
    if fee.club_id != membership.club_id:
        raise BillingError(_("The fee belongs to another club."))
    with scope(club=membership.club):
        existing = Agreement.objects.filter(
            fee=fee, person_id=membership.person_id, cancelled_at__isnull=True
        ).first()
        if existing:
            return existing
        agreement = new_agreement(
            membership, fee, source=source, next_billing_date=next_billing_date, payer=payer
        )
        try:
            with transaction.atomic():
                agreement.save()
        except IntegrityError:
            return Agreement.objects.get(
                fee=fee, person_id=membership.person_id, cancelled_at__isnull=True
            )
    return agreement


def create_membership_agreement(membership: Membership) -> Agreement | None:
    """The membership fee agreement for an active membership (R-BIL-2): the category's
    membership fee in use, if any. A migrated membership keeps the old system's next
    billing date. (``billing.automatic`` applies the same rules to many memberships at
    once when members' signals say they became active.)"""
    if membership.status != Membership.Status.ACTIVE or not membership.category_id:
        return None
    fee = membership_fee(membership.club, membership.category_id)
    if fee is None:
        return None
    return create_agreement(
        membership,
        fee,
        source=membership_agreement_source(membership),
        next_billing_date=membership.next_billing_date,
    )


def new_agreement(
    membership: Membership,
    fee: Fee,
    *,
    source: str,
    next_billing_date: date | None = None,
    payer: Person | None = None,
) -> Agreement:
    """The agreement of ``fee`` for the member of ``membership``, not saved: first billed
    on ``next_billing_date`` (default: the club's next billing day), paid by ``payer``
    (default ``payer_for``), by AvtaleGiro when the membership is."""
    return Agreement(
        club_id=membership.club_id,
        fee=fee,
        person_id=membership.person_id,
        membership=membership,
        payer=payer or payer_for(membership),
        payment_method=(
            Agreement.PaymentMethod.AVTALEGIRO
            if membership.payment_method == Agreement.PaymentMethod.AVTALEGIRO
            else Agreement.PaymentMethod.INVOICE
        ),
        next_billing_date=next_billing_date or first_billing_date(membership.club),
        source=source,
    )


def membership_fee(club: Club, category_id: int) -> Fee | None:
    """The membership fee in use for a category (the first made, if there are two)."""
    with scope(club=club):
        return (
            Fee.objects.filter(
                club=club, kind=Fee.Kind.MEMBERSHIP, category_id=category_id, is_active=True
            )
            .order_by("pk")
            .first()
        )


def membership_agreement_source(membership: Membership) -> str:
    if membership.source == Membership.Source.MIGRATED:
        return Agreement.Source.MIGRATED
    return Agreement.Source.MEMBERSHIP


def group_fees(group) -> list[Fee]:
    """The fees a member of ``group`` pays: its class and training fees, and the
    training fees of its sport."""
    with scope(club=group.club_id):
        match = Q(group=group)
        if group.sport:
            match |= Q(kind=Fee.Kind.TRAINING, group__isnull=True, sport=group.sport)
        return list(
            Fee.objects.filter(match, club_id=group.club_id)
            .filter(kind__in=[Fee.Kind.CLASS, Fee.Kind.TRAINING], is_active=True)
            .order_by("pk")
        )


def create_group_agreements(link: GroupMember) -> list[Agreement]:
    """Agreements for a person who joined a group: the group's class and training fees,
    and the training fees of the group's sport."""
    fees = group_fees(link.group)
    return [create_agreement(link.membership, fee, source=Agreement.Source.GROUP) for fee in fees]


def cancel_agreement(agreement: Agreement, *, by=None, ends_on: date | None = None) -> Agreement:
    """Stop an agreement (R-BIL-2): no period starting after ``ends_on`` (default today)
    is billed. Cancelling twice keeps the first cancellation."""
    if agreement.cancelled_at is None:
        agreement.cancelled_at = timezone.now()
        agreement.cancelled_by = by if by is not None and by.is_authenticated else None
        agreement.ends_on = ends_on or timezone.localdate()
        agreement.save(update_fields=["cancelled_at", "cancelled_by", "ends_on"])
    return agreement


# --- numbers -------------------------------------------------------------------------


def next_numbers(club: Club, series: str, count: int = 1) -> list[int]:
    """``count`` consecutive numbers of ``series``. Must run inside the transaction that
    uses them: the counter row stays locked until it commits or rolls back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_numbers must run inside the transaction that uses them")
    with scope(club=club):
        locked = InvoiceCounter.objects.select_for_update()
        counter = locked.filter(club=club, series=series).first()
        if counter is None:  # the series' first number: make the row, whoever wins
            InvoiceCounter.objects.bulk_create(
                [InvoiceCounter(club=club, series=series)], ignore_conflicts=True
            )
            counter = locked.get(club=club, series=series)
        first = counter.last_number + 1
        counter.last_number += count
        counter.save(update_fields=["last_number"])
    return list(range(first, first + count))


# --- invoice runs --------------------------------------------------------------------


def due_agreements(club: Club, run_date: date):
    """Agreements with a period to bill on ``run_date`` (never before their next billing
    date, nothing starting after their end date or after their membership ended)."""
    return (
        Agreement.objects.filter(
            club=club, next_billing_date__isnull=False, next_billing_date__lte=run_date
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=F("next_billing_date")))
        .filter(
            Q(membership__isnull=True)
            | Q(membership__ended_on__isnull=True)
            | Q(membership__ended_on__gte=F("next_billing_date"))
        )
    )


def _last_day(agreement: Agreement) -> date | None:
    """No period starting after this day is billed: the agreement's end, or the day its
    membership ended, whichever comes first."""
    ends = [agreement.ends_on]
    if agreement.membership is not None:
        ends.append(agreement.membership.ended_on)
    ends = [d for d in ends if d is not None]
    return min(ends) if ends else None


def run_invoices(
    club: Club,
    run_date: date,
    *,
    by=None,
    send: bool = False,
    batch_size: int = BATCH_SIZE,
    queue_pdfs: bool = True,
) -> InvoiceRun:
    """Bill every agreement of ``club`` due on or before ``run_date`` (R-BIL-4): one
    invoice per payer with all their lines. Safe to repeat and to run twice at once.
    Line texts are written in the site's language, whoever starts the run.
    ``queue_pdfs=False`` (the demo data only) leaves each PDF to be stored when it is
    first opened."""
    with scope(club=club), translation.override(settings.LANGUAGE_CODE):
        run = InvoiceRun.objects.create(
            club=club,
            run_date=run_date,
            send=send,
            created_by=by if by is not None and by.is_authenticated else None,
        )
        _hold_alive_lock(run.pk)
        try:
            run = _run(run, club, run_date, batch_size)
        finally:
            _release_alive_lock(run.pk)
        if queue_pdfs and run.status == InvoiceRun.Status.FINISHED:
            queue_run_pdfs(run)  # its PDFs on the pdf queue, sent if the run sends (R-BIL-6)
        return run


# A running run holds a session-level advisory lock on (this key, its id); the lock dies
# with its database connection, so a run still "running" whose lock is free was killed.
ALIVE_LOCK_KEY = 61_0001


def _hold_alive_lock(run_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [ALIVE_LOCK_KEY, run_id])


def _release_alive_lock(run_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ALIVE_LOCK_KEY, run_id])


def mark_interrupted_runs(club: Club, *, except_run: int | None = None) -> int:
    """Mark the club's runs that say ``running`` but whose process is gone (killed
    worker) as failed, so the run list shows what happened. Returns how many."""
    if connection.vendor != "postgresql":
        return 0
    marked = 0
    with scope(club=club):
        running = InvoiceRun.objects.filter(status=InvoiceRun.Status.RUNNING)
        for run_id in running.exclude(pk=except_run).values_list("pk", flat=True):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ALIVE_LOCK_KEY, run_id])
                (free,) = cursor.fetchone()
            if not free:
                continue
            _release_alive_lock(run_id)
            marked += InvoiceRun.objects.filter(pk=run_id, status=InvoiceRun.Status.RUNNING).update(
                status=InvoiceRun.Status.FAILED,
                error=_("Interrupted: the run stopped before it finished."),
                finished_at=timezone.now(),
            )
    return marked


def _run(run: InvoiceRun, club: Club, run_date: date, batch_size: int) -> InvoiceRun:
    with scope(club=club):
        mark_interrupted_runs(club, except_run=run.pk)
        payer_ids = list(
            due_agreements(club, run_date)
            .order_by("payer_id")
            .values_list("payer_id", flat=True)
            .distinct()
        )
        InvoiceRun.objects.filter(pk=run.pk).update(total=len(payer_ids))
        try:
            for i in range(0, len(payer_ids), batch_size):
                bill_batch(run, payer_ids[i : i + batch_size])
        except BaseException as exc:
            InvoiceRun.objects.filter(pk=run.pk).update(
                status=InvoiceRun.Status.FAILED,
                error=f"{type(exc).__name__}: {exc}"[:2000],
                finished_at=timezone.now(),
            )
            raise
        InvoiceRun.objects.filter(pk=run.pk).update(
            status=InvoiceRun.Status.FINISHED, finished_at=timezone.now()
        )
        run.refresh_from_db()
    return run


@dataclass
class _Draft:
    payer: Person
    agreements: list
    lines: list


def bill_batch(run: InvoiceRun, payer_ids: list[int]) -> list[Invoice]:
    """Invoice the given payers' due agreements in one transaction (see module doc)."""
    club = run.club
    with transaction.atomic():
        agreements = list(
            due_agreements(club, run.run_date)
            .filter(payer_id__in=payer_ids)
            .select_related("fee", "person", "payer", "membership")
            .order_by("payer_id", "pk")
            .select_for_update(of=("self",))
        )
        drafts: dict[int, _Draft] = {}
        for agreement in agreements:
            draft = drafts.setdefault(agreement.payer_id, _Draft(agreement.payer, [], []))
            draft.agreements.append(agreement)
        _price_lines(run, agreements, drafts)
        drafts = {k: d for k, d in drafts.items() if d.lines}
        invoices = _write_invoices(club, run, list(drafts.values()))
        _move_billing_dates(agreements)
        InvoiceRun.objects.filter(pk=run.pk).update(
            done=F("done") + len(payer_ids),
            invoices=F("invoices") + len(invoices),
            amount=F("amount") + sum((inv.total for inv in invoices), Decimal("0")),
        )
    return invoices


def bill_now(
    agreements: list[Agreement],
    *,
    on: date | None = None,
    payment_method: str = InvoicePaymentMethod.CARD,
) -> Invoice | None:
    """Bill what is due ``on`` (today) of these agreements of one payer at once, outside
    any run, on one invoice (a new member who pays by card as they register, R-REG-7
    (iii)). It commits with the caller's transaction. Priced, numbered and dated as a
    run would (R-BIL-3, R-BIL-5), with ``payment_method`` on the invoice.

    Idempotent: the agreements are locked and re-read as due, so a second call — or a
    run that billed them first — finds nothing due and gets back the newest invoice
    that billed them; the unique charge (``invoice_charge_once``) is the last word.
    None when nothing was ever billed (nothing due yet, or no agreements)."""
    if not agreements:
        return None
    club = agreements[0].club
    on = on or timezone.localdate()
    ids = [a.pk for a in agreements]
    run = InvoiceRun(club=club, run_date=on)  # not saved: the date and cache of pricing
    with scope(club=club), translation.override(settings.LANGUAGE_CODE):
        try:
            with transaction.atomic():
                due = list(
                    due_agreements(club, on)
                    .filter(pk__in=ids)
                    .select_related("fee", "person", "payer", "membership")
                    .order_by("pk")
                    .select_for_update(of=("self",))
                )
                if len({a.payer_id for a in due}) > 1:
                    raise BillingError(_("Agreements billed at once must have one payer."))
                drafts: dict[int, _Draft] = {}
                for agreement in due:
                    draft = drafts.setdefault(agreement.payer_id, _Draft(agreement.payer, [], []))
                    draft.agreements.append(agreement)
                _price_lines(run, due, drafts)
                written = [d for d in drafts.values() if d.lines]
                invoices = _write_invoices(
                    club, None, written, issue_date=on, payment_method=payment_method
                )
                _move_billing_dates(due)
        except IntegrityError:  # a run billed one of them at this moment
            invoices = []
        if invoices:
            return invoices[0]
        return Invoice.objects.filter(lines__agreement_id__in=ids).order_by("-number").first()


def _move_billing_dates(agreements: list) -> None:
    """Write the agreements' new next billing dates in one statement."""
    if not agreements:
        return
    if connection.vendor != "postgresql":  # SQLite (`make run`): the portable way
        Agreement.objects.bulk_update(agreements, ["next_billing_date"])
        return
    table = Agreement._meta.db_table
    values = ", ".join(["(%s, %s::date)"] * len(agreements))
    params = [p for a in agreements for p in (a.pk, a.next_billing_date)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS a SET next_billing_date = v.day "  # noqa: S608 (no user input)
            f"FROM (VALUES {values}) AS v(id, day) WHERE a.id = v.id",
            params,
        )


def _price_lines(run: InvoiceRun, agreements: list, drafts: dict) -> None:
    """Add each agreement's due periods as lines to its payer's draft and move its
    next billing date past them. Rules and household positions are read once per run
    (cached on the run object)."""
    club, run_date = run.club, run.run_date
    cache = run.__dict__.setdefault("_pricing_cache", {"rules": {}, "positions": {}})
    rules: dict[int, list] = cache["rules"]
    positions: dict = cache["positions"]
    for agreement in agreements:
        fee = agreement.fee
        if fee.pk not in rules:
            rules[fee.pk] = list(fee.rules.all())
        household_id = agreement.membership.household_id if agreement.membership else None
        start = agreement.next_billing_date
        last_day = _last_day(agreement)
        for _i in range(MAX_PERIODS_PER_RUN):
            if start is None or start > run_date:
                break
            if last_day is not None and start > last_day:
                break
            position = None
            if household_id is not None:
                key = (fee.pk, start)
                if key not in positions:
                    positions[key] = pricing.household_positions(fee, start)
                position = positions[key].get((household_id, agreement.person_id))
            price = pricing.evaluate(
                fee,
                birth_date=agreement.person.birth_date,
                period_start=start,
                household_position=position,
                rules=rules[fee.pk],
            )
            end = period_end(start, fee.period)
            drafts[agreement.payer_id].lines.append(
                InvoiceLine(
                    club=club,
                    agreement=agreement,
                    fee=fee,
                    person=agreement.person,
                    description=_line_description(fee, agreement.person),
                    period_start=start,
                    period_end=end,
                    quantity=price.quantity,
                    unit_price=price.unit_price,
                    amount=price.amount,
                    vat_rate=fee.vat_rate,
                    rule_text=price.rule_text,
                )
            )
            start = next_period_start(start, fee.period)
        agreement.next_billing_date = start


def _line_description(fee: Fee, person: Person) -> str:
    return f"{fee.name} – {person.full_name}"[:300]


def _write_invoices(
    club: Club,
    run: InvoiceRun | None,
    drafts: list[_Draft],
    *,
    issue_date: date | None = None,
    payment_method: str | None = None,
) -> list[Invoice]:
    """The drafts as numbered invoices with their lines: dated the run's date, or
    ``issue_date`` for an invoice made outside a run (``bill_now``)."""
    if not drafts:
        return []
    issue_date = issue_date or run.run_date
    numbers = next_numbers(club, InvoiceCounter.Series.INVOICE, len(drafts))
    club_address = ", ".join(
        part for part in (club.address_line, f"{club.postal_code} {club.city}".strip()) if part
    )
    mandated = _mandated(club, [draft.payer.pk for draft in drafts])
    invoices = []
    for number, draft in zip(numbers, drafts, strict=True):
        payer = draft.payer
        total = sum((line.amount for line in draft.lines), Decimal("0"))
        vat = sum(
            (
                pricing.money(line.amount * line.vat_rate / (100 + line.vat_rate))
                for line in draft.lines
            ),
            Decimal("0"),
        )
        invoices.append(
            Invoice(
                club=club,
                number=number,
                kid=make_kid(number, club.kid_length),
                run=run,
                recipient=payer,
                recipient_name=payer.full_name,
                recipient_co=payer.co_line,
                recipient_address=payer.address_line,
                recipient_postal_code=payer.postal_code,
                recipient_city=payer.city,
                recipient_country=payer.country,
                recipient_email=payer.email,
                seller_name=club.name,
                seller_org_number=club.org_number,
                seller_account=club.bank_account,
                seller_address=club_address,
                issue_date=issue_date,
                due_date=issue_date + timedelta(days=club.due_days),
                payment_method=payment_method or _invoice_method(payer.pk, mandated),
                total=total,
                vat_total=vat,
            )
        )
    Invoice.objects.bulk_create(invoices)
    lines = []
    for invoice, draft in zip(invoices, drafts, strict=True):
        for position, line in enumerate(draft.lines):
            line.invoice = invoice
            line.position = position
            lines.append(line)
    InvoiceLine.objects.bulk_create(lines)
    return invoices


# --- credit notes and payments -------------------------------------------------------


def credited_amount(invoice: Invoice) -> Decimal:
    with scope(club=invoice.club_id):
        return invoice.credit_notes.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


def paid_amount(invoice: Invoice) -> Decimal:
    """Payments less refunds."""
    with scope(club=invoice.club_id):
        return invoice.payments.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


def open_amount(invoice: Invoice) -> Decimal:
    """What is still to pay: total, less credit notes, less payments net of refunds."""
    return invoice.total - credited_amount(invoice) - paid_amount(invoice)


def credit_invoice(
    invoice: Invoice,
    *,
    amount: Decimal | None = None,
    by=None,
    reason: str = "",
    on: date | None = None,
) -> CreditNote:
    """Credit an unpaid invoice in full (``amount`` None) or in part (R-BIL-9), with a
    number from the club's gapless credit note series. A paid invoice is refused: it
    needs a refund (``billing.refunds.refund_invoice``). An unpaid ``PrePaid`` invoice
    may be credited."""
    with scope(club=invoice.club), transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status == Invoice.Status.PAID:
            raise BillingError(_("A paid invoice is not credited: register a refund instead."))
        creditable = invoice.total - credited_amount(invoice)
        if creditable <= 0:
            raise BillingError(_("This invoice has been credited in full already."))
        amount = creditable if amount is None else pricing.money(Decimal(amount))
        if amount <= 0:
            raise BillingError(_("The amount to credit must be more than zero."))
        if amount > creditable:
            raise BillingError(
                _("At most %(amount)s can be credited on this invoice.")
                % {"amount": number_format(creditable, 2, force_grouping=True)}
            )
        note = write_credit_note(invoice, amount, by=by, reason=reason, on=on)
        fully = amount == creditable
        invoice.status = Invoice.Status.CREDITED if fully else Invoice.Status.PARTLY_CREDITED
        invoice.save(update_fields=["status"])
        from billing.avtalegiro.claims import cancel_claim  # it sits on top of this module

        cancel_claim(invoice, on=on, by=by)  # an AvtaleGiro claim not yet due is withdrawn
    return note


def write_credit_note(
    invoice: Invoice, amount: Decimal, *, by=None, reason: str = "", on: date | None = None
) -> CreditNote:
    """The credit note itself, numbered in the club's gapless series, its PDF queued (and
    e-mailed if the invoice was, R-BIL-6). Only inside the transaction that holds the
    invoice's row lock and has checked the amount: ``credit_invoice``, or a refund
    (``billing.refunds.refund_invoice``)."""
    (number,) = next_numbers(invoice.club, InvoiceCounter.Series.CREDIT_NOTE)
    note = CreditNote.objects.create(
        club=invoice.club,
        number=number,
        invoice=invoice,
        issue_date=on or timezone.localdate(),
        amount=amount,
        is_full=amount == invoice.total,
        reason=reason[:300],
        created_by=by if by is not None and by.is_authenticated else None,
    )
    queue_credit_note_pdf(note)
    return note


def record_payment(
    invoice: Invoice | None,
    *,
    club: Club,
    amount: Decimal,
    method: str,
    paid_on: date,
    provider: str = "",
    reference: str = "",
    kid: str = "",
    payment_file=None,
    payer_account: str = "",
) -> tuple[Payment, bool]:
    """Record money received (idempotent on ``(provider, reference)``: the same callback
    or OCR record twice is one payment). The invoice's status follows (``settle_status``).
    ``invoice`` None records an unmatched payment for the admin's list. A negative amount
    is a reversed payment (OCR Giro). ``payment_file``/``payer_account``: the OCR file
    the payment came in and the payer's account."""
    if invoice is not None and invoice.club_id != club.pk:
        raise BillingError(_("The invoice belongs to another club."))
    amount = pricing.money(Decimal(amount))
    with scope(club=club), transaction.atomic():
        if invoice is not None:
            invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if reference:
            existing = Payment.objects.filter(provider=provider, reference=reference).first()
            if existing is not None:
                return existing, False
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    club=club,
                    invoice=invoice,
                    kind=Payment.Kind.PAYMENT,
                    paid_on=paid_on,
                    amount=amount,
                    method=method,
                    provider=provider,
                    reference=reference,
                    kid=kid or (invoice.kid if invoice else ""),
                    payment_file=payment_file,
                    payer_account=payer_account,
                )
        except IntegrityError:  # the same reference, recorded meanwhile by another call
            return Payment.objects.get(provider=provider, reference=reference), False
        if invoice is not None:
            settle_status(invoice)
    return payment, True


def settle_status(invoice: Invoice) -> None:
    """The invoice's status after a payment was recorded on it or placed on it; only
    inside the transaction that holds the invoice's row lock. An open invoice with
    nothing left to pay is paid (overpaid too: its open amount is then negative). A paid
    invoice that a reversed payment (a negative payment, OCR Giro) left with money to
    receive is open again; refunds (``kind=refund``) never reopen it. A credited invoice
    keeps its status whatever is paid on it."""
    credited = credited_amount(invoice)
    if invoice.status in (Invoice.Status.ISSUED, Invoice.Status.PARTLY_CREDITED):
        if invoice.total - credited - paid_amount(invoice) > 0:
            return
        status = Invoice.Status.PAID
    elif invoice.status == Invoice.Status.PAID:
        received = invoice.payments.filter(kind=Payment.Kind.PAYMENT).aggregate(s=Sum("amount"))
        if invoice.total - credited - (received["s"] or 0) <= 0:
            return
        status = Invoice.Status.PARTLY_CREDITED if credited else Invoice.Status.ISSUED
    else:
        return
    invoice.status = status
    invoice.save(update_fields=["status"])


def mark_prepaid(invoice: Invoice) -> bool:
    """A card payment was started and did not go through: the invoice stays open with
    payment type PrePaid (R-BIL-8). Only an open invoice moves; returns whether it did."""
    with scope(club=invoice.club_id):
        return bool(
            Invoice.objects.filter(
                pk=invoice.pk, status__in=[Invoice.Status.ISSUED, Invoice.Status.PARTLY_CREDITED]
            ).update(payment_method=InvoicePaymentMethod.PREPAID)
        )


# --- page guards ---------------------------------------------------------------------


def money_state(invoice: Invoice) -> str:
    """The invoice's money as a page saw it (status, credited, paid). A form carries it
    and the action is refused when it changed since (``unchanged_since``)."""
    return f"{invoice.status}:{credited_amount(invoice)}:{paid_amount(invoice)}"


@contextmanager
def unchanged_since(invoice: Invoice, seen: str):
    """Hold the invoice locked while an admin's action runs, and refuse the action when
    the invoice's money changed since the page was shown: a double submit, or two admins
    at once, credits or registers a payment once, never twice."""
    with scope(club=invoice.club), transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if money_state(locked) != seen:
            raise BillingError(
                _(
                    "The invoice changed after you opened it (the form was sent twice, or "
                    "someone registered a payment or credit note meanwhile). Nothing was "
                    "done: look at the invoice again."
                )
            )
        yield locked


def member_may_cancel(agreement: Agreement) -> bool:
    """A member cancels a training, class or product agreement on Min side (R-ACT-6); the
    membership fee ends with the membership, which is cancelled on its own."""
    return agreement.cancelled_at is None and agreement.fee.kind != Fee.Kind.MEMBERSHIP


# --- preview -------------------------------------------------------------------------


@dataclass
class PreviewRow:
    """One invoice a run on that date would make (R-BIL-11)."""

    payer: Person
    lines: list  # unsaved InvoiceLine objects, priced as the run will price them
    total: Decimal
    payment_method: str
    anomalies: list[str]


def preview_run(club: Club, run_date: date) -> list[PreviewRow]:
    """What ``run_invoices(club, run_date)`` would bill, without writing anything: the
    same selection, grouping and pricing code. Anomalies: no postal address, an amount
    of 0, no e-mail (the invoice goes by post)."""
    run = InvoiceRun(club=club, run_date=run_date)
    with scope(club=club), translation.override(settings.LANGUAGE_CODE):
        agreements = list(
            due_agreements(club, run_date)
            .select_related("fee", "person", "payer", "membership")
            .order_by("payer_id", "pk")
        )
        drafts: dict[int, _Draft] = {}
        for agreement in agreements:
            draft = drafts.setdefault(agreement.payer_id, _Draft(agreement.payer, [], []))
            draft.agreements.append(agreement)
        _price_lines(run, agreements, drafts)
    rows = []
    mandated = _mandated(club, list(drafts))
    for draft in drafts.values():
        if not draft.lines:
            continue
        payer = draft.payer
        total = sum((line.amount for line in draft.lines), Decimal("0"))
        anomalies = []
        if not (payer.address_line and payer.postal_code):
            anomalies.append(_("No postal address"))
        if total == 0:
            anomalies.append(_("Amount is 0"))
        if not payer.email:
            anomalies.append(_("No e-mail: by post"))
        rows.append(
            PreviewRow(payer, draft.lines, total, _invoice_method(payer.pk, mandated), anomalies)
        )
    return rows


def _mandated(club: Club, payer_ids: list[int]) -> set[int]:
    """The payers with an active AvtaleGiro mandate with the club (R-BIL-7)."""
    with scope(club=club):
        return set(
            AvtaleGiroMandate.objects.filter(
                club=club, payer_id__in=payer_ids, status=AvtaleGiroMandate.Status.ACTIVE
            ).values_list("payer_id", flat=True)
        )


def _invoice_method(payer_id: int, mandated: set[int]) -> str:
    """An invoice whose payer has an active AvtaleGiro mandate is debited by AvtaleGiro
    (``billing.avtalegiro``: the mandate moves the payer's agreements too)."""
    if payer_id in mandated:
        return InvoicePaymentMethod.AVTALEGIRO
    return InvoicePaymentMethod.INVOICE
