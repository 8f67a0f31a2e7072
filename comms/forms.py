"""The composer's form (R-COM-1, R-COM-3): channel, kind, subject and text, and the token
that makes one send of it (a double click on "Send" sends once)."""

import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from comms.composer import check_merge_fields
from comms.models import Channel, Kind
from comms.services import CommsError, validate_sms_text

TOKEN = re.compile(r"[0-9a-f]{32}")


def new_token() -> str:
    return uuid.uuid4().hex


class ComposeForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Send as"),
        choices=Channel.choices,
        initial=Channel.EMAIL,
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(
        label=_("Kind of message"),
        choices=[
            (Kind.TRANSACTIONAL, _("Information: goes to everyone")),
            (Kind.NEWSLETTER, _("Newsletter: not to those who opted out")),
        ],
        initial=Kind.TRANSACTIONAL,
        widget=forms.RadioSelect,
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    token = forms.CharField(widget=forms.HiddenInput)

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if not TOKEN.fullmatch(token):
            raise ValidationError(_("The form has expired. Open the composer again."))
        return token

    def clean_subject(self) -> str:
        return " ".join(self.cleaned_data["subject"].split())

    def clean_text(self) -> str:
        # Browsers send line breaks as CRLF; the live counter (and the phone) count one.
        return self.cleaned_data["text"].replace("\r\n", "\n").replace("\r", "\n")

    def clean(self):
        data = super().clean()
        channel, text = data.get("channel"), data.get("text") or ""
        subject = (data.get("subject") or "").strip()
        if channel == Channel.EMAIL and not subject:
            self.add_error("subject", _("An e-mail needs a subject."))
        if channel == Channel.SMS:
            data["subject"] = ""  # an SMS has no subject; a typed one is not sent
            try:
                validate_sms_text(text)
            except CommsError as exc:
                self.add_error("text", exc)
        for name, value in (("subject", data.get("subject", "")), ("text", text)):
            try:
                check_merge_fields(value)
            except ValidationError as exc:
                self.add_error(name, exc)
        return data
