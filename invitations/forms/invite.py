from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invitations.recipients import MAX_RECIPIENTS, parse_recipients


class InviteForm(forms.Form):
    """R-REG-1: e-mail addresses and/or mobile numbers, pasted as a list. Any entry that
    is not a valid address is named back with the reason, nothing is sent, and the form
    comes back with the valid entries only, one per line, ready to send."""

    recipients = forms.CharField(
        label=gettext_lazy("E-mail addresses and mobile numbers"),
        widget=forms.Textarea(
            attrs={
                "rows": 8,
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "kari@example.no\n912 34 567",
            }
        ),
        help_text=gettext_lazy(
            "Separate them with commas, semicolons, spaces or new lines. An e-mail address "
            "and a mobile number alone on a line, with only a space or a tab between them, "
            "are one person, invited by both."
        ),
    )
    send_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parsed = None

    def clean_recipients(self):
        parsed = parse_recipients(self.cleaned_data["recipients"])
        self.parsed = parsed
        if parsed.invalid:
            # Shown again with only the valid entries; the others are listed with reasons.
            self.data = self.data.copy()
            self.data["recipients"] = parsed.as_text()
            raise forms.ValidationError(
                [
                    forms.ValidationError(
                        _("“%(text)s”: %(reason)s"), params={"text": i.text, "reason": i.reason}
                    )
                    for i in parsed.invalid
                ]
            )
        if not parsed.entries:
            raise forms.ValidationError(_("Enter at least one e-mail address or mobile number."))
        if len(parsed.entries) > MAX_RECIPIENTS:
            raise forms.ValidationError(
                _("At most %(max)d invitations can be sent at once; this list has %(n)d.")
                % {"max": MAX_RECIPIENTS, "n": len(parsed.entries)}
            )
        return parsed.entries
