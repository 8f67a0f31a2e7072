"""The content of an invoice or credit note PDF (R-BIL-5, R-BIL-6, DOMAIN.md §3): what
the template shows, taken from the invoice's own snapshot (seller, recipient, lines),
formatted here once (money, account and organisation numbers, address lines), so that
the template only places it. The club's logo and terms text are read at issue, when
the PDF is rendered and stored for good."""

from dataclasses import dataclass
from decimal import Decimal

import pycountry
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django_scopes import scope

from billing.models import CreditNote, Invoice, InvoicePaymentMethod
from billing.pricing import money
from members.validators import format_bank_account, format_org_number

from .rendering import html_to_pdf, media_url

NO_VAT = Decimal("0")


def kr(value: Decimal) -> str:
    """``1 234,50`` in the active language's number format (DOMAIN.md §11)."""
    return number_format(money(value), 2, force_grouping=True)


def country_name(code: str) -> str:
    """The country line of a foreign address, in capitals (English names, as postal
    services read them: the common name where ISO 3166's is long); the code itself if
    the name is unknown. pycountry, not phonenumbers' geocoder: importing that loads
    ~100 MB of number-prefix data into every process."""
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code.upper()
    return (getattr(country, "common_name", None) or country.name).upper()


def address_lines(name, co, address, postal_code, city, country) -> list[str]:
    """The lines of a postal address as they go in the envelope window."""
    if co and not co.lower().startswith("c/o"):
        co = f"c/o {co}"
    lines = [name, co, address, f"{postal_code} {city}".strip()]
    if country and country.upper() != "NO":
        lines.append(country_name(country))
    return [line for line in lines if line]


@dataclass
class Row:
    """A line of the lines table."""

    description: str
    amount: str
    period: str = ""
    rule: str = ""
    detail: str = ""


@dataclass
class Document:
    """What the PDF template places; built by ``invoice_document`` or
    ``credit_note_document``."""

    kind: str  # "invoice" or "credit_note": the template and the page layout
    title: str
    reference: str  # on the top of pages 2 and on
    seller: dict
    recipient: list[str]
    facts: list[tuple[str, str]]
    rows: list[Row]
    totals: list[tuple[str, str]]
    vat_note: str
    message: str
    terms: str
    giro: dict | None = None  # the payment slip at the bottom of page 1
    page_label: tuple[str, str, str] = ("", "", "")

    @property
    def has_rules(self) -> bool:
        """Whether any line says which price rule applied (else no such column)."""
        return any(row.rule for row in self.rows)


def page_label() -> tuple[str, str, str]:
    """ "Page X of Y" cut around its two numbers: the stylesheet puts the page counters
    between the pieces (``string-set`` from the body's data attributes)."""
    text = _("Page %(page)s of %(pages)s")
    try:
        before, rest = text.split("%(page)s")
        middle, after = rest.split("%(pages)s")
    except ValueError:
        return "", "/", ""
    return before.strip(), middle.strip(), after.strip()


def _seller(invoice: Invoice, *, vat: bool) -> dict:
    club = invoice.club
    org = ""
    if invoice.seller_org_number:
        # "MVA" after the number only for a VAT-registered seller: one that charges VAT
        org = _("Org. no. %(number)s") % {"number": format_org_number(invoice.seller_org_number)}
        if vat:
            org += " MVA"
    return {
        "name": invoice.seller_name,
        "address": [part.strip() for part in invoice.seller_address.split(",") if part.strip()],
        "org_number": org,
        "account": format_bank_account(invoice.seller_account),
        "email": club.email_sender,
        "logo": media_url(club.logo.name) if club.logo else "",
    }


def _period(line) -> str:
    if not line.period_start:
        return ""
    start = line.period_start.strftime("%d.%m.%Y")
    if not line.period_end or line.period_end == line.period_start:
        return start
    return f"{start}–{line.period_end.strftime('%d.%m.%Y')}"


def _rows(lines, sign: int = 1) -> list[Row]:
    rows = []
    for line in lines:
        detail = ""
        if line.quantity > 1:
            detail = f"{line.quantity} × {kr(line.unit_price)}"
        rows.append(
            Row(
                description=line.description,
                amount=kr(sign * line.amount),
                period=_period(line),
                rule=line.rule_text,
                detail=detail,
            )
        )
    return rows


def vat_by_rate(lines) -> list[tuple[Decimal, Decimal, Decimal]]:
    """(rate, amount excluding VAT, VAT) per VAT rate above 0; line amounts include VAT,
    and each line's VAT is rounded as the invoice run rounds it."""
    rates: dict[Decimal, list[Decimal]] = {}
    for line in lines:
        if line.vat_rate > 0:
            vat = money(line.amount * line.vat_rate / (100 + line.vat_rate))
            base, tax = rates.setdefault(line.vat_rate, [Decimal("0"), Decimal("0")])
            rates[line.vat_rate] = [base + line.amount - vat, tax + vat]
    return [(rate, base, tax) for rate, (base, tax) in sorted(rates.items())]


def _totals(lines, total: Decimal, vat_total: Decimal, label: str, sign: int = 1):
    """The totals under the lines: with VAT, the amount without it and the VAT per rate
    (one VAT line when the lines are not itemised, as on a partial credit note)."""
    rows = []
    if vat_total:
        rows.append((_("Total excluding VAT"), kr(sign * (total - vat_total))))
        rates = vat_by_rate(lines)
        for rate, base, tax in rates:
            rows.append(
                (
                    _("VAT %(rate)s %% of %(base)s")
                    % {"rate": number_format(rate.normalize()), "base": kr(base)},
                    kr(sign * tax),
                )
            )
        if not rates:
            rows.append((_("VAT"), kr(sign * vat_total)))
    rows.append((label, f"{kr(sign * total)} kr"))
    return rows


def invoice_document(invoice: Invoice) -> Document:
    lines = list(invoice.lines.all())
    vat = invoice.vat_total != 0
    seller = _seller(invoice, vat=vat)
    recipient = address_lines(
        invoice.recipient_name,
        invoice.recipient_co,
        invoice.recipient_address,
        invoice.recipient_postal_code,
        invoice.recipient_city,
        invoice.recipient_country,
    )
    total = money(invoice.total)
    due = invoice.due_date.strftime("%d.%m.%Y")
    if invoice.payment_method == InvoicePaymentMethod.AVTALEGIRO:
        giro = None  # the bank debits the amount: no slip to pay twice with
        message = _("The amount is debited by AvtaleGiro on %(due)s.") % {"due": due}
    else:
        giro = {
            "account": seller["account"],
            "kid": invoice.kid,
            "kroner": number_format(int(total), 0, force_grouping=True),
            "ore": f"{int(total * 100) % 100:02d}",
            "due_date": due,
            "payer": recipient,
            "payee": [seller["name"], *seller["address"]],
            "info": _("Invoice %(number)s") % {"number": invoice.number},
        }
        message = _(
            "Please pay %(amount)s kr to account %(account)s by %(due)s, marked with KID %(kid)s."
        ) % {"amount": kr(total), "account": seller["account"], "due": due, "kid": invoice.kid}
    facts = [
        (_("Invoice no."), str(invoice.number)),
        (_("Invoice date"), invoice.issue_date.strftime("%d.%m.%Y")),
        (_("Due date"), due),
        (_("KID"), invoice.kid),
        (_("Account no."), seller["account"]),
        (_("Amount due"), f"{kr(total)} kr"),
    ]
    return Document(
        kind="invoice",
        title=_("Invoice"),
        reference=_("Invoice %(number)s") % {"number": invoice.number},
        seller=seller,
        recipient=recipient,
        facts=facts,
        rows=_rows(lines),
        totals=_totals(lines, total, invoice.vat_total, _("Amount due")),
        vat_note="" if vat else _("Not subject to VAT"),
        message=message,
        terms=invoice.club.terms.strip(),
        giro=giro,
        page_label=page_label(),
    )


def credit_note_document(note: CreditNote) -> Document:
    invoice = note.invoice
    lines = list(invoice.lines.all())
    amount = money(note.amount)
    if note.is_full:
        rows = _rows(lines, sign=-1)
        vat_total = invoice.vat_total
    else:
        rows = [
            Row(
                description=_("Partial credit of invoice %(number)s") % {"number": invoice.number},
                amount=kr(-amount),
            )
        ]
        vat_total = money(amount * invoice.vat_total / invoice.total) if invoice.total else 0
    vat = vat_total != 0
    seller = _seller(invoice, vat=vat)
    message = _(
        "This credit note reduces invoice %(number)s by %(amount)s kr; there is nothing to pay."
    ) % {"number": invoice.number, "amount": kr(amount)}
    reason = _("Reason: %(reason)s") % {"reason": note.reason} if note.reason else ""
    facts = [
        (_("Credit note no."), str(note.number)),
        (_("Date"), note.issue_date.strftime("%d.%m.%Y")),
        (_("Credits invoice no."), str(invoice.number)),
        (_("Invoice date"), invoice.issue_date.strftime("%d.%m.%Y")),
        (_("KID"), invoice.kid),
        (_("Amount credited"), f"{kr(-amount)} kr"),
    ]
    return Document(
        kind="credit_note",
        title=_("Credit note"),
        reference=_("Credit note %(number)s") % {"number": note.number},
        seller=seller,
        recipient=address_lines(
            invoice.recipient_name,
            invoice.recipient_co,
            invoice.recipient_address,
            invoice.recipient_postal_code,
            invoice.recipient_city,
            invoice.recipient_country,
        ),
        facts=facts,
        rows=rows,
        totals=_totals(
            lines if note.is_full else [], amount, vat_total, _("Amount credited"), sign=-1
        ),
        vat_note="" if vat else _("Not subject to VAT"),
        message=" ".join(part for part in (message, reason) if part),
        terms="",
        page_label=page_label(),
    )


def _render(document: Document) -> str:
    return render_to_string("billing/pdf/document.html", {"doc": document})


def invoice_html(invoice: Invoice) -> str:
    """The invoice as the HTML the PDF is made from, in the site's language."""
    with scope(club=invoice.club_id), translation.override(settings.LANGUAGE_CODE):
        return _render(invoice_document(invoice))


def credit_note_html(note: CreditNote) -> str:
    with scope(club=note.club_id), translation.override(settings.LANGUAGE_CODE):
        return _render(credit_note_document(note))


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice's PDF (R-BIL-6), rendered now; ``store_invoice_pdf`` keeps it."""
    return html_to_pdf(invoice_html(invoice))


def render_credit_note_pdf(note: CreditNote) -> bytes:
    return html_to_pdf(credit_note_html(note))
