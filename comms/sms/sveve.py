"""Sveve's HTTP API (sveve.no, a Norwegian SMS gateway): ``POST SMS/SendMessage`` with a
JSON body ``{user, passwd, to, msg, from, ref, f: "json"}``; the answer is
``{"response": {"msgOkCount", "stdSMSCount", "ids": [...], "errors": [...],
"fatalError"}}``.

Settings: ``SMS_URL`` (e.g. ``https://sveve.no/SMS/SendMessage``) and ``SMS_TOKEN``
(``username:api-password``). HTTP 5xx, 408, 429 and network errors are temporary; other
4xx, a ``fatalError`` or an error for the number are permanent.
"""

import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from comms.errors import PermanentFailure, TemporaryFailure
from comms.sms.base import SmsBackend

TEMPORARY_STATUSES = {408, 425, 429}


class SveveBackend(SmsBackend):
    def __init__(self, url: str, user: str, password: str, timeout: float = 15.0):
        self.url, self.user, self.password, self.timeout = url, user, password, timeout

    @classmethod
    def from_settings(cls) -> "SveveBackend":
        url, token = settings.SMS_URL, settings.SMS_TOKEN
        if not url.startswith(("https://", "http://")):
            raise ImproperlyConfigured("SMS_BACKEND=sveve needs SMS_URL (the SendMessage URL).")
        user, sep, password = token.partition(":")
        if not (sep and user and password):
            raise ImproperlyConfigured("SMS_BACKEND=sveve needs SMS_TOKEN=username:api-password.")
        return cls(url, user, password)

    def send(self, sender: str, to: str, text: str, *, reference: str = "") -> str:
        payload = {
            "user": self.user,
            "passwd": self.password,
            "to": gateway_number(to),
            "msg": text,
            "from": sender,
            "f": "json",
        }
        if reference:
            payload["ref"] = reference[:36]
        request = urllib.request.Request(  # noqa: S310 (the URL is the operator's setting)
            self.url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise _http_failure(exc.code) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TemporaryFailure(_("The SMS gateway could not be reached.")) from exc
        return _message_id(body)


def gateway_number(e164: str) -> str:
    """Norwegian numbers as their 8 digits, others with 00 and the country code."""
    digits = e164.strip().replace(" ", "")
    if digits.startswith("+47") and len(digits) == 11:
        return digits[3:]
    if digits.startswith("+"):
        return "00" + digits[1:]
    return digits


def _http_failure(status: int) -> Exception:
    if status >= 500 or status in TEMPORARY_STATUSES:
        return TemporaryFailure(
            _("The SMS gateway is unavailable (HTTP %(status)s).") % {"status": status}
        )
    if status in (401, 403):
        return PermanentFailure(_("The SMS gateway refused our credentials."))
    return PermanentFailure(
        _("The SMS gateway refused the message (HTTP %(status)s).") % {"status": status}
    )


def _message_id(body: bytes) -> str:
    try:
        answer = json.loads(body)["response"]
    except (ValueError, KeyError, TypeError) as exc:
        raise TemporaryFailure(_("The SMS gateway gave an answer we could not read.")) from exc
    if answer.get("fatalError"):
        raise PermanentFailure(
            _("The SMS gateway refused the message: %(error)s") % {"error": answer["fatalError"]}
        )
    errors = answer.get("errors") or []
    ids = answer.get("ids") or []
    if errors or not ids:
        detail = "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, dict))
        raise PermanentFailure(
            _("The SMS gateway refused the number: %(error)s")
            % {"error": detail or _("no reason given")}
        )
    return str(ids[0])
