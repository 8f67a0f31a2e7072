"""One-time codes that confirm a mobile number (R-REG-3, R-SEC-4).

A code has six digits, is sent by SMS through the outbox and works for ten minutes.
Five wrong tries lock it; a new code can be asked for a minute after the last one, and
at most ``PER_NUMBER_PER_HOUR`` codes go to one number and ``PER_IP_PER_HOUR`` are asked
from one IP address in an hour. Only the newest code for a number and purpose counts.
The limits are counted on the ``PhoneCode`` rows, in a transaction that holds an
advisory lock on the number and the address, so two requests at once cannot both slip
under a limit.
"""

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comms.services import queue_sms
from invitations.models import PhoneCode
from invitations.services.common import InvitationError, advisory_lock

CODE_DIGITS = 6
VALID_FOR = timedelta(minutes=10)
MAX_TRIES = 5
RESEND_AFTER = timedelta(seconds=60)
WINDOW = timedelta(hours=1)
PER_NUMBER_PER_HOUR = 5
PER_IP_PER_HOUR = 20
HASH_SALT = "invitations.phone-code"


class CodeRefused(InvitationError):
    """``reason``: wait, number_limit, ip_limit (sending); none, expired, locked, wrong
    (checking). ``retry_after`` in seconds where waiting helps; ``tries_left`` after a
    wrong code."""

    def __init__(self, reason: str, message: str, *, retry_after=None, tries_left=None):
        super().__init__(message)
        self.reason = reason
        self.retry_after = retry_after
        self.tries_left = tries_left


def send_code(*, club, phone: str, purpose: str, ip: str | None = None) -> PhoneCode:
    """Make a new code for ``phone`` (E.164) and queue its SMS in the club's name.
    Raises ``CodeRefused`` when the last code is less than a minute old or a limit is
    reached; nothing is sent then."""
    with transaction.atomic():
        advisory_lock(f"phone-code:{phone}")
        if ip:
            advisory_lock(f"phone-code-ip:{ip}")
        now = timezone.now()
        _check_limits(phone, ip, now)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        salt = secrets.token_hex(16)
        row = PhoneCode.objects.create(
            club=club,
            phone=phone,
            purpose=purpose,
            ip=ip or None,
            salt=salt,
            code_hash=_hash(salt, code),
            created_at=now,
            expires_at=now + VALID_FOR,
        )
        row.message = queue_sms(
            club=club,
            person=None,
            to_number=phone,
            text=code_text(club, code),
            idempotency_key=f"inv:phone-code:{row.pk}",
        )
        row.save(update_fields=["message"])
    return row


def code_text(club, code: str) -> str:
    """The SMS, in the site's language. Its last line lets a phone's browser offer the
    code by itself (the WebOTP format: ``@host #code``)."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    with translation.override(settings.LANGUAGE_CODE):
        text = _(
            "%(code)s is your one-time code for %(club)s. It is valid for %(minutes)d "
            "minutes. Do not give it to anyone."
        ) % {"code": code, "club": club.name, "minutes": VALID_FOR.seconds // 60}
    return f"{text}\n\n@{host} #{code}"


def check_code(*, phone: str, purpose: str, code: str) -> PhoneCode:
    """The newest code for ``phone`` and ``purpose``, now confirmed, when ``code`` is
    it. Raises ``CodeRefused`` otherwise; a wrong code counts as a try, and the fifth
    wrong try locks the code. Typing the right code again is harmless."""
    code = "".join((code or "").split())
    now = timezone.now()
    with transaction.atomic():
        row = (
            PhoneCode.objects.select_for_update()
            .filter(phone=phone, purpose=purpose)
            .order_by("-created_at", "-pk")
            .first()
        )
        outcome = _try(row, code, now)
    if outcome is not None:
        raise outcome
    return row


def _try(row: PhoneCode | None, code: str, now) -> CodeRefused | None:
    """Check ``code`` against ``row``, saving the try; the refusal to raise, if any."""
    if row is None:
        return CodeRefused("none", _("No code has been sent to this number. Ask for a code."))
    matches = constant_time_compare(_hash(row.salt, code), row.code_hash)
    if row.confirmed_at is not None:
        if matches:
            return None
        return CodeRefused("none", _("This number is confirmed already."))
    if row.locked_at is not None:
        return _locked()
    if row.is_expired(now):
        minutes = VALID_FOR.seconds // 60
        return CodeRefused(
            "expired",
            _("The code has expired: a code is valid for %(minutes)d minutes. Ask for a new one.")
            % {"minutes": minutes},
        )
    if matches:
        row.confirmed_at = now
        row.save(update_fields=["confirmed_at"])
        return None
    row.attempts += 1
    if row.attempts >= MAX_TRIES:
        row.locked_at = now
    row.save(update_fields=["attempts", "locked_at"])
    if row.locked_at is not None:
        return _locked()
    left = MAX_TRIES - row.attempts
    return CodeRefused(
        "wrong",
        ngettext(
            "The code is not right. You have %(n)d try left.",
            "The code is not right. You have %(n)d tries left.",
            left,
        )
        % {"n": left},
        tries_left=left,
    )


def _locked() -> CodeRefused:
    return CodeRefused(
        "locked",
        _("The code was typed wrong %(n)d times and is locked. Ask for a new code.")
        % {"n": MAX_TRIES},
        tries_left=0,
    )


def is_confirmed(*, phone: str, purpose: str, code_id) -> bool:
    """Was ``phone`` confirmed for ``purpose`` with the code ``code_id``?"""
    return PhoneCode.objects.filter(
        pk=code_id, phone=phone, purpose=purpose, confirmed_at__isnull=False
    ).exists()


def seconds_until_resend(phone: str, now=None) -> int:
    """How long until a new code may be sent to ``phone`` (0: now)."""
    now = now or timezone.now()
    last = PhoneCode.objects.filter(phone=phone).order_by("-created_at").first()
    if last is None:
        return 0
    return max(0, _ceil_seconds(last.created_at + RESEND_AFTER - now))


def _check_limits(phone: str, ip: str | None, now) -> None:
    wait = seconds_until_resend(phone, now)
    if wait:
        raise CodeRefused(
            "wait",
            ngettext(
                "A code was just sent. You can ask for a new one in %(n)d second.",
                "A code was just sent. You can ask for a new one in %(n)d seconds.",
                wait,
            )
            % {"n": wait},
            retry_after=wait,
        )
    since = now - WINDOW
    recent = PhoneCode.objects.filter(phone=phone, created_at__gt=since)
    if recent.count() >= PER_NUMBER_PER_HOUR:
        wait = _until_window_frees(recent, now)
        raise CodeRefused(
            "number_limit",
            _("Too many codes have been sent to this number. Try again in %(minutes)s.")
            % {"minutes": _minutes(wait)},
            retry_after=wait,
        )
    if ip:
        from_ip = PhoneCode.objects.filter(ip=ip, created_at__gt=since)
        if from_ip.count() >= PER_IP_PER_HOUR:
            wait = _until_window_frees(from_ip, now)
            raise CodeRefused(
                "ip_limit",
                _("Too many codes have been asked for from your network. Try again in %(minutes)s.")
                % {"minutes": _minutes(wait)},
                retry_after=wait,
            )


def _until_window_frees(recent, now) -> int:
    oldest = recent.order_by("created_at").values_list("created_at", flat=True).first()
    return max(1, _ceil_seconds(oldest + WINDOW - now))


def _ceil_seconds(delta: timedelta) -> int:
    seconds = delta.total_seconds()
    return int(seconds) + (seconds > int(seconds))


def _minutes(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def _hash(salt: str, code: str) -> str:
    return salted_hmac(HASH_SALT, f"{salt}:{code}", algorithm="sha256").hexdigest()
