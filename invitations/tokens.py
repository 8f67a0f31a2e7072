"""The secrets in activation e-mails (DESIGN.md "Identity and privacy").

A verification link carries the id of its ``VerificationRequest``, signed with a
``TimestampSigner`` whose salt is used for nothing else: it cannot be forged, cannot be
reused for another purpose, and stops working ``VERIFICATION_LINK_HOURS`` after it was
made (R-ACT-2). A Min side invitation carries a random code; only its SHA-256 is stored.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing

VERIFY_SALT = "invitations.verify-membership"


def verification_max_age() -> timedelta:
    return timedelta(hours=settings.VERIFICATION_LINK_HOURS)


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=VERIFY_SALT)


def verification_token(request_id: int) -> str:
    """``<id>:<timestamp>:<signature>``, safe in a URL path segment."""
    return _signer().sign(str(request_id))


def read_verification_token(token: str) -> tuple[int, bool] | None:
    """``(request id, expired)`` for a genuine token, None for anything else."""
    signer = _signer()
    expired = False
    try:
        value = signer.unsign(token, max_age=verification_max_age())
    except signing.SignatureExpired:
        expired = True
        value = signer.unsign(token)
    except (signing.BadSignature, ValueError):  # ValueError: a signature without timestamp
        return None
    return (int(value), expired) if value.isdigit() else None


def new_code() -> str:
    """A Min side invitation code: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
