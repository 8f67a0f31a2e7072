"""Search and filters of the invoice list and the agreement list (issue 6 point 10)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing import queries
from billing.models import Agreement, Fee, Invoice, InvoicePaymentMethod, InvoiceRun
from members.forms import DATE_WIDGET


def _search_invoices(queryset, name, value):
    """Each word narrows: a name part of the recipient or of a member on a line; a number
    is the invoice number or the start of a KID."""
    for term in value.split():
        condition = Q(recipient_name__icontains=term) | Q(lines__person__first_name__icontains=term)
        condition |= Q(lines__person__last_name__icontains=term)
        if term.isdigit():
            condition |= Q(number=int(term)) | Q(kid__startswith=term)
        queryset = queryset.filter(pk__in=Invoice.objects.filter(condition).values("pk"))
    return queryset


class CheckedFilterSet(django_filters.FilterSet):
    """A filter form with an error shows the error and no rows, not everything."""

    @property
    def qs(self):
        if self.is_bound and not self.form.is_valid():
            return self.queryset.none()  # a wrong filter shows its error, not everything
        return super().qs


class InvoiceFilter(CheckedFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Invoice.Status.choices)
    method = django_filters.ChoiceFilter(
        label=_("Payment method"), field_name="payment_method", choices=InvoicePaymentMethod.choices
    )
    due_from = django_filters.DateFilter(
        label=_("Due from"), field_name="due_date", lookup_expr="gte", widget=DATE_WIDGET
    )
    due_to = django_filters.DateFilter(
        label=_("Due to"), field_name="due_date", lookup_expr="lte", widget=DATE_WIDGET
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    run = django_filters.ModelChoiceFilter(
        label=_("Invoice run"), queryset=InvoiceRun.objects.none(), widget=forms.HiddenInput
    )

    class Meta:
        model = Invoice
        fields = ["q", "status", "method", "due_from", "due_to", "overdue", "run"]

    def __init__(self, data=None, *args, club, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["run"].queryset = InvoiceRun.objects.filter(club=club)

    def search(self, queryset, name, value):
        return _search_invoices(queryset, name, value)

    def filter_overdue(self, queryset, name, value):
        return queries.overdue(queryset, timezone.localdate()) if value else queryset


class AgreementFilter(django_filters.FilterSet):
    LIVE, ENDED = "live", "ended"

    q = django_filters.CharFilter(label=_("Search"), method="search")
    fee = django_filters.ModelChoiceFilter(label=_("Fee"), queryset=Fee.objects.none())
    method = django_filters.ChoiceFilter(
        label=_("Payment method"),
        field_name="payment_method",
        choices=Agreement.PaymentMethod.choices,
    )
    state = django_filters.ChoiceFilter(
        label=_("State"),
        choices=[(LIVE, _("Running")), (ENDED, _("Cancelled"))],
        method="filter_state",
    )
    due_to = django_filters.DateFilter(
        label=_("Next billed by"),
        field_name="next_billing_date",
        lookup_expr="lte",
        widget=DATE_WIDGET,
    )

    class Meta:
        model = Agreement
        fields = ["q", "fee", "method", "state", "due_to"]

    def __init__(self, data=None, *args, club, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["fee"].queryset = Fee.objects.filter(club=club).order_by("kind", "name")

    @property
    def qs(self):
        if self.is_bound and not self.form.is_valid():
            return self.queryset.none()
        return super().qs

    def search(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(
                Q(person__first_name__icontains=term)
                | Q(person__last_name__icontains=term)
                | Q(payer__first_name__icontains=term)
                | Q(payer__last_name__icontains=term)
            )
        return queryset

    def filter_state(self, queryset, name, value):
        return queryset.filter(cancelled_at__isnull=value == self.LIVE)
