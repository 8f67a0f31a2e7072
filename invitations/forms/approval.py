"""The admin's answer to a membership sent for approval (R-REG-7 (i)): a comment —
optional on approval, the reason on rejection — and the form's key (a double submit is
one decision). ``confirmed`` is set by the confirmation page's button."""

from django import forms
from django.utils.translation import gettext_lazy as _

from invitations.models import ApprovalDecision
from invitations.services.approval import COMMENT_MAX

Outcome = ApprovalDecision.Outcome


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment to the member (optional)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
    confirmed = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, outcome: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome = outcome
        if outcome == Outcome.REJECTED:
            field = self.fields["comment"]
            field.required = True
            field.label = _("Reason (sent to the member)")
            field.error_messages["required"] = _(
                "Write the reason for the rejection: the member reads it in the e-mail."
            )
