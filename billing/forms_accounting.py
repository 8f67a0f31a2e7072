"""Forms of the accounting pages (issue 8): the period of an export, and the club's
billing settings (R-BIL-7, R-BIL-10, R-BIL-12)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from billing.accounting import MAX_DAYS
from billing.forms_reminders import ReminderSettingsForm
from members.forms import DATE_WIDGET


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DATE_WIDGET)
    end = forms.DateField(label=_("To"), widget=DATE_WIDGET)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise ValidationError(_("The first day is after the last day."))
        if start and end and (end - start).days > MAX_DAYS:
            raise ValidationError(
                _("A period is at most %(days)s days: export it in parts.") % {"days": MAX_DAYS}
            )
        return data


class BillingSettingsForm(ReminderSettingsForm):
    """All of the club's billing settings: Nets, reminders (the fee checked against the
    operator's cap as on the reminders page), and the journal's ledger accounts."""

    class Meta(ReminderSettingsForm.Meta):
        fields = [
            "nets_customer_id",
            "nets_agreement_id",
            "claim_lead_days",
            "notice_days",
            "reminder_fee",
            "reminder_by_sms",
            "receivables_account",
            "bank_account_ledger",
            "income_account",
            "reminder_fee_account",
        ]
