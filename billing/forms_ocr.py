"""Forms of the payments pages (R-BIL-7, issue 8 point 7): the OCR file upload, the
filters of the payments list, and placing an unmatched payment on an invoice."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing import ocr
from billing.filters import CheckedFilterSet
from billing.models import Payment, PaymentFile
from members.forms import DATE_WIDGET

MAX_NUMBER_DIGITS = 18  # an invoice number fits a bigint; a longer term is a KID


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("OCR file"),
        help_text=_(
            "The OCR Giro file from Nets (often named OCR.D…), as the bank or Nets delivers "
            "it. The same file twice records nothing twice."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.ocr,.dat,text/plain"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > ocr.MAX_FILE_SIZE:
            raise ValidationError(_("The file is larger than 20 MB; an OCR file is much smaller."))
        return upload


class PaymentFilter(CheckedFilterSet):
    MATCHED, UNMATCHED = "matched", "unmatched"

    q = django_filters.CharFilter(label=_("Search"), method="search")
    method = django_filters.ChoiceFilter(label=_("Method"), choices=Payment.Method.choices)
    state = django_filters.ChoiceFilter(
        label=_("Invoice"),
        choices=[(MATCHED, _("On an invoice")), (UNMATCHED, _("Unmatched"))],
        method="filter_state",
    )
    paid_from = django_filters.DateFilter(
        label=_("From"), field_name="paid_on", lookup_expr="gte", widget=DATE_WIDGET
    )
    paid_to = django_filters.DateFilter(
        label=_("To"), field_name="paid_on", lookup_expr="lte", widget=DATE_WIDGET
    )
    file = django_filters.ModelChoiceFilter(
        label=_("OCR file"),
        field_name="payment_file",
        queryset=PaymentFile.objects.none(),
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Payment
        fields = ["q", "method", "state", "paid_from", "paid_to", "file"]

    def __init__(self, data=None, *args, club, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["file"].queryset = PaymentFile.objects.filter(club=club)

    def search(self, queryset, name, value):
        """Each word narrows: the start of a KID, the invoice number, the payer's
        account, or a name part of the invoice's recipient."""
        for term in value.split():
            condition = Q(invoice__recipient_name__icontains=term)
            if term.isdigit():
                condition |= Q(kid__startswith=term) | Q(payer_account__startswith=term)
                if len(term) <= MAX_NUMBER_DIGITS:
                    condition |= Q(invoice__number=int(term))
            queryset = queryset.filter(condition)
        return queryset

    def filter_state(self, queryset, name, value):
        return queryset.filter(invoice__isnull=value == self.UNMATCHED)


class PlaceForm(forms.Form):
    """The invoice the admin chose for an unmatched payment (looked up in their club)."""

    invoice = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
