"""Forms of the AvtaleGiro pages: registering a mandate by the admin, writing a claim
file for a date."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.forms import DATE_WIDGET


class MandateForm(forms.Form):
    notify_by_bank = forms.BooleanField(
        label=_("The bank notifies the payer of each debit"),
        required=False,
        initial=True,
        help_text=_("Otherwise the club e-mails the notice when it writes the claim."),
    )
    bank_reference = forms.CharField(
        label=_("Bank's mandate reference"), max_length=40, required=False
    )


class WriteClaimsForm(forms.Form):
    on_date = forms.DateField(
        label=_("The day the file goes to Nets"),
        initial=timezone.localdate,
        widget=DATE_WIDGET,
    )
