from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from .fees import money_field


class InvoiceCounter(models.Model):
    """The last number used in one of a club's gapless series (R-BIL-5). Read and
    bumped only under ``select_for_update`` in the transaction that creates the
    invoice or credit note (``billing.services.next_numbers``): a rolled-back
    transaction gives its numbers back, so there are no gaps and no duplicates."""

    class Series(models.TextChoices):
        INVOICE = "invoice", _("Invoices")
        CREDIT_NOTE = "credit_note", _("Credit notes")

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="+")
    series = models.CharField(max_length=11, choices=Series.choices)
    last_number = models.PositiveBigIntegerField(default=0)

    objects = ScopedManager(club="club")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["club", "series"], name="invoice_counter_once")
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.last_number}"


class InvoiceRun(models.Model):
    """One invoice run (R-BIL-4) and its progress: ``total`` payers were due when it
    started, ``done`` of them were looked at, ``invoices`` invoices were made (a payer
    billed meanwhile by an overlapping run counts as done without an invoice)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="+")
    run_date = models.DateField(_("run date"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.RUNNING
    )
    total = models.PositiveIntegerField(_("recipients due"), default=0)
    done = models.PositiveIntegerField(_("recipients done"), default=0)
    invoices = models.PositiveIntegerField(_("invoices made"), default=0)
    amount = money_field(_("amount invoiced"), default=0)
    send = models.BooleanField(_("send invoices"), default=False)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("invoice run")
        verbose_name_plural = _("invoice runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.run_date} ({self.status})"


class InvoicePaymentMethod(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    AVTALEGIRO = "avtalegiro", _("AvtaleGiro")
    CARD = "card", _("Card")
    # a card payment was started and cancelled: the invoice stays open (R-BIL-8)
    PREPAID = "prepaid", _("PrePaid")


class Invoice(models.Model):
    """An issued invoice (R-BIL-5). Its content never changes after issue: the seller's
    and the recipient's details are copied in, lines are written once, corrections are
    credit notes. Only ``status``, ``payment_method``, ``pdf`` and ``sent_at`` move."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        PAID = "paid", _("Paid")
        CREDITED = "credited", _("Credited")
        PARTLY_CREDITED = "partly_credited", _("Partly credited")

    club = models.ForeignKey(
        "members.Club", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    number = models.PositiveBigIntegerField(_("invoice number"))
    kid = models.CharField(_("KID"), max_length=25)
    run = models.ForeignKey(
        InvoiceRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoice_set"
    )
    recipient = models.ForeignKey(
        "members.Person",
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    recipient_name = models.CharField(_("recipient"), max_length=301)
    recipient_co = models.CharField(_("c/o"), max_length=200, blank=True)
    recipient_address = models.CharField(_("address"), max_length=200, blank=True)
    recipient_postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    recipient_city = models.CharField(_("city"), max_length=100, blank=True)
    recipient_country = models.CharField(_("country"), max_length=2, blank=True)
    recipient_email = models.EmailField(_("e-mail"), blank=True)
    seller_name = models.CharField(_("club"), max_length=200)
    seller_org_number = models.CharField(_("organisation number"), max_length=9, blank=True)
    seller_account = models.CharField(_("bank account"), max_length=11, blank=True)
    seller_address = models.CharField(_("club address"), max_length=320, blank=True)
    issue_date = models.DateField(_("invoice date"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.ISSUED
    )
    payment_method = models.CharField(
        _("payment method"),
        max_length=10,
        choices=InvoicePaymentMethod.choices,
        default=InvoicePaymentMethod.INVOICE,
    )
    total = money_field(_("total"))
    vat_total = money_field(_("of which VAT"), default=0)
    pdf = models.FileField(_("PDF"), upload_to="invoices/", blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["club", "number"], name="invoice_number_once"),
            models.UniqueConstraint(fields=["club", "kid"], name="invoice_kid_once"),
        ]
        indexes = [
            models.Index(fields=["club", "status", "due_date"], name="invoice_club_status_due"),
        ]

    def __str__(self) -> str:
        return str(self.number)


class InvoiceLine(models.Model):
    """One line of an invoice. A line with an agreement is that agreement's charge for
    the period starting ``period_start``; the constraint ``invoice_charge_once`` makes
    that charge unique in the database (DESIGN.md): no run, overlapping or restarted,
    can bill one agreement's period twice. The line is the charge: there is no separate
    charge table, so a charge exists exactly when it is on an invoice."""

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    agreement = models.ForeignKey(
        "billing.Agreement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="charges",
    )
    fee = models.ForeignKey(
        "billing.Fee", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "members.Person",
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=300)
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("to"), null=True, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = money_field(_("unit price"))
    amount = money_field(_("amount"))
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, default=0)
    rule_text = models.CharField(_("price rule"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "period_start"],
                condition=Q(agreement__isnull=False),
                name="invoice_charge_once",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class CreditNote(models.Model):
    """A credit note (R-BIL-9): its own gapless series, referencing the invoice it
    credits, in full or in part. It never edits the invoice; the invoice's status says
    it was credited."""

    club = models.ForeignKey("members.Club", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveBigIntegerField(_("credit note number"))
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    issue_date = models.DateField(_("date"))
    amount = money_field(_("amount credited"))
    is_full = models.BooleanField(_("full credit"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="credit-notes/", blank=True)
    # e-mailed, or printed for the post when the recipient has no e-mail (as Invoice)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["club", "number"], name="credit_note_number_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_note_amount_positive"),
        ]

    def __str__(self) -> str:
        return str(self.number)
