"""SMS through a provider interface (R-COM-1).

A backend has one method, ``send(sender, to, text, *, reference="") -> provider_message_id``,
and raises ``TemporarySmsError`` or ``PermanentSmsError``. ``SMS_BACKEND`` picks it:
``console`` (default, prints), ``file`` (one file per message under ``SMS_FILE_PATH``),
``sveve`` (Sveve's HTTP API at ``SMS_URL`` with ``SMS_TOKEN``) or a dotted class path.
"""

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from comms.errors import PermanentFailure as PermanentSmsError
from comms.errors import TemporaryFailure as TemporarySmsError
from comms.sms.base import SmsBackend

ALIASES = {
    "console": "comms.sms.backends.ConsoleBackend",
    "file": "comms.sms.backends.FileBackend",
    "sveve": "comms.sms.sveve.SveveBackend",
}

__all__ = ["PermanentSmsError", "SmsBackend", "TemporarySmsError", "get_backend"]


def get_backend() -> SmsBackend:
    return _backend(settings.SMS_BACKEND, settings.SMS_URL, settings.SMS_TOKEN)


@lru_cache(maxsize=4)
def _backend(name: str, url: str, token: str) -> SmsBackend:
    path = ALIASES.get(name, name)
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"SMS_BACKEND={name!r} is not a known backend ({', '.join(ALIASES)}) "
            "nor an importable class."
        ) from exc
    return cls.from_settings()
