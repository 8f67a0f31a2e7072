"""Forms of the reminders pages (R-BIL-10): the club's reminder settings and the filters
of the reminders log."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing import reminders
from billing.forms import MoneyField
from billing.models import BillingSettings, Invoice, Reminder
from members.forms import DATE_WIDGET


class ReminderSettingsForm(forms.ModelForm):
    """The fee (at most the operator's cap) and whether reminders also go by SMS; the
    schedule itself is the club's (``Club.reminder_days``, the club settings page)."""

    reminder_fee = MoneyField(
        label=_("Reminder fee"),
        help_text=_("0 for no fee. Charged only where the debt collection regulation allows."),
    )

    class Meta:
        model = BillingSettings
        fields = ["reminder_fee", "reminder_by_sms"]

    def clean_reminder_fee(self):
        fee = self.cleaned_data["reminder_fee"]
        reminders.check_reminder_fee(fee)
        return fee


class ReminderFilter(django_filters.FilterSet):
    EMAIL, SMS, POST = "email", "sms", "post"

    q = django_filters.CharFilter(label=_("Search"), method="search")
    level = django_filters.NumberFilter(label=_("Reminder no."), min_value=1)
    channel = django_filters.ChoiceFilter(
        label=_("Sent by"),
        choices=[(EMAIL, _("E-mail")), (SMS, _("SMS")), (POST, _("For post"))],
        method="filter_channel",
    )
    with_fee = django_filters.BooleanFilter(
        label=_("With fee only"), method="filter_fee", widget=forms.CheckboxInput
    )
    date_from = django_filters.DateFilter(
        label=_("From"), field_name="run_date", lookup_expr="gte", widget=DATE_WIDGET
    )
    date_to = django_filters.DateFilter(
        label=_("To"), field_name="run_date", lookup_expr="lte", widget=DATE_WIDGET
    )

    class Meta:
        model = Reminder
        fields = ["q", "level", "channel", "with_fee", "date_from", "date_to"]

    @property
    def qs(self):
        if self.is_bound and not self.form.is_valid():
            return self.queryset.none()  # a wrong filter shows its error, not everything
        return super().qs

    def search(self, queryset, name, value):
        """Each word narrows: a part of the recipient's name, or an invoice number or the
        start of a KID."""
        for term in value.split():
            condition = Q(recipient_name__icontains=term)
            if term.isdigit():
                condition |= Q(number=int(term)) | Q(kid__startswith=term)
            queryset = queryset.filter(invoice__in=Invoice.objects.filter(condition))
        return queryset

    def filter_channel(self, queryset, name, value):
        if value == self.EMAIL:
            return queryset.filter(by_email=True)
        if value == self.SMS:
            return queryset.filter(by_sms=True)
        return queryset.filter(by_email=False, by_sms=False)

    def filter_fee(self, queryset, name, value):
        return queryset.filter(fee__gt=0) if value else queryset
