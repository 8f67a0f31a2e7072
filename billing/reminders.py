"""Reminders for overdue invoices (R-BIL-10, DOMAIN.md §4): the club's schedule, the fee
rules of the debt collection regulation, and the daily send.

* Schedule: ``Club.reminder_days`` ("7,21": reminder 1 seven days after the due date,
  reminder 2 after 21). Reminders go in order, one level per invoice and run; a level
  sent late (the schedule was switched on, a run was missed) keeps the schedule's gap
  to the one before, so a payer never gets two reminders on two following days.
* Which invoices: sent (by e-mail or post), open (issued or partly credited) with money
  left to pay, not claimed by AvtaleGiro, past the due date plus the level's days. A paid
  or credited invoice never gets one: the check is repeated under the invoice's row lock
  just before the reminder is written, so a payment recorded meanwhile wins.
* Fee (``BillingSettings.reminder_fee``, at most ``settings.REMINDER_FEE_CAP``): only on
  a written reminder (e-mail, or on paper for the post; an SMS alone is not) sent at the
  earliest 14 days after the due date; every reminder gives a new deadline of 14 days;
  at most two fees per invoice, the second only after the first one's deadline passed.
  Earlier reminders carry no fee.
* What is owed (``amount_owed``): the invoice's open amount (``services.open_amount``,
  unchanged: the invoice alone) plus its reminder fees. Payments cover the invoice first,
  then the fees: an invoice is paid when its own amount is, and money beyond it pays the
  fees. A fully credited invoice owes no fees (the claim was withdrawn, its fees with it).
* One message per person and run: a payer with several overdue invoices gets one e-mail
  (and, if the club wants it and the payer has a mobile number, one short SMS) listing
  them all. The outbox keys are per person, run date and first reminder of the message,
  and the reminders and messages are written in one transaction: a run repeated the same
  day finds every level sent and sends nothing twice. A payer with neither e-mail nor
  mobile gets the reminder recorded for the post (shown on the reminders log).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.urls import reverse
from django.utils import formats, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django_scopes import scope

from billing import queries, services
from billing.models import BillingSettings, Claim, Invoice, Reminder
from comms.rendering import absolute_url
from comms.services import CommsError, queue_email, queue_sms
from comms.sms import segments
from members.models import Club, Person
from members.validators import format_bank_account

FEE_AFTER_DAYS = 14  # a fee only on a reminder sent at least this long after the due date
DEADLINE_DAYS = 14  # the new payment deadline every reminder gives
MAX_FEES = 2  # per invoice
SMS_MAX_PARTS = 2  # a list of invoices longer than this is summed up instead
ZERO = Decimal("0.00")


# --- settings ------------------------------------------------------------------------


def schedule(club: Club) -> list[int]:
    """The club's reminder days after the due date, e.g. ``[7, 21]`` (empty: none)."""
    return [int(p) for p in (club.reminder_days or "").split(",") if p.strip().isdigit()]


def settings_for(club: Club) -> BillingSettings:
    """The club's billing settings, made with the defaults when first needed."""
    with scope(club=club):
        return BillingSettings.objects.get_or_create(club=club)[0]


def check_reminder_fee(fee: Decimal) -> None:
    """Refuse a fee above the operator's cap (one tenth of the inkassosats, DOMAIN.md §4)."""
    cap = settings.REMINDER_FEE_CAP
    if fee < 0:
        raise ValidationError(_("The reminder fee cannot be negative."))
    if fee > cap:
        raise ValidationError(
            _(
                "The reminder fee can be at most %(cap)s kr: the debt collection regulation "
                "allows one tenth of the inkassosats."
            )
            % {"cap": number_format(cap, 2, force_grouping=True)}
        )


def update_settings(club: Club, *, fee: Decimal, by_sms: bool) -> BillingSettings:
    """Save the club's reminder fee (checked against the cap) and SMS choice."""
    check_reminder_fee(fee)
    billing_settings = settings_for(club)
    billing_settings.reminder_fee, billing_settings.reminder_by_sms = fee, by_sms
    billing_settings.save(update_fields=["reminder_fee", "reminder_by_sms"])
    return billing_settings


@dataclass(frozen=True)
class Step:
    """One level of the schedule as it normally goes: sent ``days`` after the due date,
    with the fee or not (an invoice that skips a level may differ)."""

    level: int
    days: int
    fee: Decimal


def fee_plan(club: Club, fee: Decimal | None = None) -> list[Step]:
    """The schedule with the fee each level carries when every reminder is written and
    sent on its day: what the settings page explains."""
    fee = settings_for(club).reminder_fee if fee is None else fee
    due = date(2000, 1, 1)
    earlier: list[Reminder] = []
    steps = []
    for level, days in enumerate(schedule(club), start=1):
        on = due + timedelta(days=days)
        charged = fee if fee > 0 and fee_allowed(due, on, earlier) else ZERO
        earlier.append(Reminder(level=level, run_date=on, new_due_date=new_due(on), fee=charged))
        steps.append(Step(level=level, days=days, fee=charged))
    return steps


# --- the rules -------------------------------------------------------------------------


def new_due(on_date: date) -> date:
    return on_date + timedelta(days=DEADLINE_DAYS)


def fee_allowed(due_date: date, on_date: date, earlier: list[Reminder]) -> bool:
    """Whether a written reminder sent ``on_date`` may carry a fee (DOMAIN.md §4)."""
    if (on_date - due_date).days < FEE_AFTER_DAYS:
        return False
    charged = [r for r in earlier if r.fee > 0]
    return len(charged) < MAX_FEES and all(on_date > r.new_due_date for r in charged)


def next_level(due_date: date, on_date: date, days: list[int], earlier: list[Reminder]):
    """The level to send ``on_date``, or None: the next one after those sent, when its day
    has come and the schedule's gap since the last one has passed."""
    level = max((r.level for r in earlier), default=0) + 1
    if level > len(days) or due_date + timedelta(days=days[level - 1]) > on_date:
        return None
    if earlier:
        last = max(r.run_date for r in earlier)
        if last + timedelta(days=days[level - 1] - days[level - 2]) > on_date:
            return None
    return level


def reminder_fees(invoice: Invoice) -> Decimal:
    """The reminder fees charged on the invoice."""
    with scope(club=invoice.club_id):
        return invoice.reminders.aggregate(s=Sum("fee"))["s"] or ZERO


def amount_owed(invoice: Invoice) -> Decimal:
    """What the payer owes on the invoice, reminder fees included (negative: paid too
    much). See the module's doc: payments cover the invoice first, then its fees."""
    if invoice.status == Invoice.Status.CREDITED:
        return services.open_amount(invoice)
    return services.open_amount(invoice) + reminder_fees(invoice)


# --- planning ------------------------------------------------------------------------


@dataclass
class Due:
    """An invoice due for reminder ``level`` on the run's date."""

    invoice: Invoice
    level: int
    fee_allowed: bool


def _remindable(club: Club):
    """The club's invoices that may be reminded at all (annotated ``with_amounts``)."""
    live_claim = Claim.objects.filter(invoice=OuterRef("pk"), cancelled_at__isnull=True)
    invoices = Invoice.objects.filter(
        club=club, status__in=queries.OPEN_STATUSES, sent_at__isnull=False
    )
    return queries.with_amounts(invoices.exclude(Exists(live_claim))).filter(open_amount__gt=0)


def due_reminders(club: Club, on_date: date) -> list[Due]:
    """The reminders the run on ``on_date`` is to send, by recipient and invoice number."""
    days = schedule(club)
    if not days:
        return []
    with scope(club=club):
        invoices = (
            _remindable(club)
            .filter(due_date__lte=on_date - timedelta(days=days[0]))
            .select_related("recipient")
            .prefetch_related("reminders")
            .order_by("recipient_id", "number")
        )
        due = []
        for invoice in invoices:
            earlier = list(invoice.reminders.all())
            level = next_level(invoice.due_date, on_date, days, earlier)
            if level is not None:
                allowed = fee_allowed(invoice.due_date, on_date, earlier)
                due.append(Due(invoice=invoice, level=level, fee_allowed=allowed))
    return due


# --- sending -------------------------------------------------------------------------


@dataclass
class Summary:
    """What a run did: reminders written, messages queued, payers left for the post, fees
    charged, and invoices dropped because they were paid or credited meanwhile."""

    reminders: int = 0
    emails: int = 0
    sms: int = 0
    for_post: int = 0
    fees: Decimal = ZERO
    skipped: int = 0


def send_reminders(club: Club, on_date: date) -> Summary:
    """Send the reminders due on ``on_date`` (R-BIL-10): one message per payer. Safe to
    repeat: a level sent is never sent again."""
    summary = Summary()
    due = due_reminders(club, on_date)
    if not due:
        return summary
    billing_settings = settings_for(club)
    for _recipient, group in groupby(due, key=lambda d: d.invoice.recipient_id):
        _remind(club, billing_settings, list(group), on_date, summary)
    return summary


def _remind(club, billing_settings, due: list[Due], on_date: date, summary: Summary) -> None:
    """One payer's reminders and their message, in one transaction under the invoices'
    row locks."""
    person: Person = due[0].invoice.recipient
    email = person.email or due[0].invoice.recipient_email
    mobile = person.mobile if billing_settings.reminder_by_sms and person.mobile else None
    written = bool(email) or mobile is None  # by e-mail, or on paper for the post
    with scope(club=club), transaction.atomic():
        ids = [d.invoice.pk for d in due]
        locked = Invoice.objects.select_for_update(of=("self",)).filter(pk__in=ids)
        invoices = {invoice.pk: invoice for invoice in locked.order_by("pk")}
        still = set(_remindable(club).filter(pk__in=ids).values_list("pk", flat=True))
        made, rows = [], []
        for d in due:
            invoice = invoices[d.invoice.pk]
            if invoice.pk not in still or invoice.reminders.filter(level__gte=d.level).exists():
                summary.skipped += 1
                continue
            fee = billing_settings.reminder_fee if written and d.fee_allowed else ZERO
            open_now = services.open_amount(invoice)
            earlier_fees = reminder_fees(invoice)
            try:
                with transaction.atomic():
                    reminder = Reminder.objects.create(
                        club=club,
                        invoice=invoice,
                        level=d.level,
                        run_date=on_date,
                        new_due_date=new_due(on_date),
                        open_amount=open_now + earlier_fees + fee,
                        fee=fee,
                    )
            except IntegrityError:  # another run wrote this level meanwhile
                summary.skipped += 1
                continue
            made.append(reminder)
            rows.append(_row(reminder, open_now, earlier_fees))
        if not made:
            return
        summary.reminders += len(made)
        summary.fees += sum((r.fee for r in made), ZERO)
        key = f"billing:reminders:{person.pk}:{on_date.isoformat()}:{made[0].pk}"
        by_email = bool(email) and _email(club, person, email, rows, key)
        by_sms = mobile is not None and _sms(club, person, mobile, rows, key)
        summary.emails += by_email
        summary.sms += by_sms
        summary.for_post += not (by_email or by_sms)
        Reminder.objects.filter(pk__in=[r.pk for r in made]).update(
            by_email=by_email, by_sms=by_sms
        )


def _row(reminder: Reminder, open_now: Decimal, earlier_fees: Decimal) -> dict:
    """One invoice in the message: what is open on the invoice, its earlier fees, this
    reminder's fee and the sum to pay, with the original and the new due date."""
    invoice = reminder.invoice
    return {
        "number": invoice.number,
        "kid": invoice.kid,
        "account": format_bank_account(invoice.seller_account),
        "due_date": invoice.due_date,
        "new_due_date": reminder.new_due_date,
        "open": open_now,
        "earlier_fees": earlier_fees,
        "fee": reminder.fee,
        "amount": reminder.open_amount,
        "level": reminder.level,
    }


def _email(club, person, email: str, rows: list[dict], key: str) -> bool:
    queue_email(
        club=club,
        person=person,
        to_address=email,
        template="billing/email/reminder",
        context={
            "rows": rows,
            "total": sum((row["amount"] for row in rows), ZERO),
            "fees": sum((row["fee"] for row in rows), ZERO),
            "new_due_date": rows[0]["new_due_date"],
            "fee_after_days": FEE_AFTER_DAYS,
            "min_side_url": absolute_url(reverse("minside:index")),
        },
        idempotency_key=key,
    )
    return True


def _sms(club, person, mobile, rows: list[dict], key: str) -> bool:
    try:
        queue_sms(
            club=club,
            person=person,
            to_number=mobile,
            text=sms_text(club, rows),
            idempotency_key=f"{key}:sms",
        )
    except CommsError:  # a number that takes no SMS: the e-mail (or the post) remains
        return False
    return True


def sms_text(club: Club, rows: list[dict]) -> str:
    """The short reminder SMS in the site's language: each invoice (``_row``) with its
    KID when that fits in two SMS parts, else the count and the total. Plain spaces in
    amounts: a non-breaking one would make the whole SMS UCS-2 (70 characters a part)."""
    total = sum((row["amount"] for row in rows), ZERO)
    fees = sum((row["fee"] for row in rows), ZERO)
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "club": club.name,
            "total": _money(total, sms=True),
            "date": formats.date_format(rows[0]["new_due_date"], "SHORT_DATE_FORMAT"),
            "account": rows[0]["account"],
            "count": len(rows),
            "number": rows[0]["number"],
            "kid": rows[0]["kid"],
        }
        values["fee_note"] = (
            _(" (incl. reminder fee %(fee)s kr)") % {"fee": _money(fees, sms=True)} if fees else ""
        )
        if len(rows) == 1:
            return (
                _(
                    "%(club)s: Reminder: invoice %(number)s is not paid. Please pay %(total)s kr"
                    "%(fee_note)s by %(date)s to account %(account)s, KID %(kid)s."
                )
                % values
            )
        invoices = "; ".join(
            _("invoice %(number)s, KID %(kid)s: %(amount)s kr")
            % {"number": r["number"], "kid": r["kid"], "amount": _money(r["amount"], sms=True)}
            for r in rows
        )
        text = _(
            "%(club)s: Reminder: %(invoices)s are not paid. Please pay %(total)s kr in all"
            "%(fee_note)s by %(date)s to account %(account)s, each with its KID."
        ) % {**values, "invoices": invoices}
        if segments.count(text).parts > SMS_MAX_PARTS:
            text = (
                _(
                    "%(club)s: Reminder: %(count)s invoices are not paid, %(total)s kr in all"
                    "%(fee_note)s. Please pay by %(date)s; see Min side or our e-mail for the KIDs."
                )
                % values
            )
    return text


def _money(amount: Decimal, *, sms: bool = False) -> str:
    text = number_format(amount, 2, force_grouping=True)
    return text.replace("\xa0", " ") if sms else text
