"""Production settings: everything from base, hardened, and no development defaults.

``python manage.py check --deploy --settings=ims.settings.production`` must be clean.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import _DEV_FERNET, _DEV_SECRET, env, require

DEBUG = env.bool("DEBUG", default=False)
require("SECRET_KEY", SECRET_KEY, _DEV_SECRET)  # noqa: F405
require("FIELD_ENCRYPTION_KEY", FIELD_ENCRYPTION_KEYS[0], _DEV_FERNET)  # noqa: F405
require("IDENTITY_HMAC_KEY", IDENTITY_HMAC_KEY, "dev-insecure-identity-hmac-key")  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The built-in test provider takes no money: production uses it only when told so on purpose
# (a staging site), never by default.
if PAYMENT_PROVIDER == "test" and not env.bool("PAYMENT_ALLOW_TEST_PROVIDER", default=False):  # noqa: F405
    raise ImproperlyConfigured(
        "PAYMENT_PROVIDER=test takes no money; set PAYMENT_PROVIDER=stripe (or "
        "PAYMENT_ALLOW_TEST_PROVIDER=true on a staging site)."
    )
