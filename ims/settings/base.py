"""Settings shared by every environment, read from the environment (twelve-factor).

Every variable is listed in ``.env.example``. A wrong value stops start-up with a
message that names the variable (STYLE.md, "loud configuration").
"""

import base64
import hashlib
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

# Development defaults only; production.py refuses to start without real values.
_DEV_SECRET = "dev-insecure-secret-key-change-me-in-production-0123456789abcdef"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Identity secrets (R-SEC-3) -------------------------------------------------------
# FIELD_ENCRYPTION_KEY: one or more Fernet keys, comma separated; the first encrypts,
# all decrypt (key rotation). IDENTITY_HMAC_KEY: the key of the keyed hash used to look
# national id numbers up; it must never change once data exists.
_DEV_FERNET = base64.urlsafe_b64encode(hashlib.sha256(b"ims-dev-field-key").digest()).decode()
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEY", default=[_DEV_FERNET])
IDENTITY_HMAC_KEY = env.str("IDENTITY_HMAC_KEY", default="dev-insecure-identity-hmac-key")

# --- Applications ------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_filters",
    "django_htmx",
    "phonenumber_field",
    "simple_history",
    "members",
    "comms",
    "billing",
    "invitations",
    "migration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "ims.middleware.ClubScopeMiddleware",
]

ROOT_URLCONF = "ims.urls"
WSGI_APPLICATION = "ims.wsgi.application"
ASGI_APPLICATION = "ims.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "members.context_processors.club_navigation",
            ],
        },
    }
]

# --- Database ----------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts (allauth) ------------------------------------------------------------------
AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "members.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
# allauth's own rate limits (R-SEC-4); these are its defaults made explicit.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "IMS"

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norwegian Bokmål")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["ims.formats"]

# --- Static and media --------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- E-mail ------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="IMS <noreply@ims.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background work (Celery) ------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# CELERY_DB_REUSE_MAX: keep a worker's database connection for this many tasks (unset,
# Celery closes it before and after every task: a new connection per e-mail or SMS; it
# stays unset here so that the tests' in-process workers leave no connection behind).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=0) or None
CELERY_TASK_DEFAULT_QUEUE = "default"
# COMMS_QUEUE: the queue e-mail and SMS sends go to (workers consume default,messages,pdf).
COMMS_QUEUE = env.str("COMMS_QUEUE", default="messages")
# PDF_QUEUE: the queue invoice and credit note PDFs are rendered on (DESIGN.md).
PDF_QUEUE = env.str("PDF_QUEUE", default="pdf")
CELERY_TASK_ROUTES = {"comms.*": {"queue": COMMS_QUEUE}, "billing.pdf.*": {"queue": PDF_QUEUE}}
CELERY_BEAT_SCHEDULE = {
    # The outbox sweep: messages stuck in "queued" are queued again (comms.services).
    "comms-sweep-stuck": {"task": "comms.sweep_stuck", "schedule": 300.0},
    # The daily invoice run of each club that made its first run by hand (billing.tasks).
    "billing-daily-runs": {"task": "billing.daily_runs", "schedule": crontab(hour=5, minute=0)},
    # The daily reminders of overdue invoices (R-BIL-10), at an hour fit for an SMS.
    "billing-send-reminders": {
        "task": "billing.send_reminders_daily",
        "schedule": crontab(hour=9, minute=0),
    },
}
CELERY_TIMEZONE = TIME_ZONE

# --- Messages (comms) -------------------------------------------------------------------
# SITE_URL: the address in links in e-mails. SMS_BACKEND: console (default), file (one file
# per SMS in SMS_FILE_PATH), sveve (SMS_URL + SMS_TOKEN=username:api-password) or a class
# path. SMS_WEBHOOK_TOKEN: the secret in the gateway's delivery-report URL (empty: off).
# COMMS_RATE_LIMIT: Celery rate limit per worker for sends, e.g. "20/s" (empty: none).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
SMS_URL = env.str("SMS_URL", default="")
SMS_TOKEN = env.str("SMS_TOKEN", default="")
SMS_FILE_PATH = env.path("SMS_FILE_PATH", default=BASE_DIR / "sent-sms")
SMS_WEBHOOK_TOKEN = env.str("SMS_WEBHOOK_TOKEN", default="")
SMS_DEFAULT_SENDER = env.str("SMS_DEFAULT_SENDER", default="IMS")
COMMS_RATE_LIMIT = env.str("COMMS_RATE_LIMIT", default="")
# The composer: at most this many bulk sends per club and hour (R-COM-4).
COMMS_COMPOSER_SENDS_PER_HOUR = env.int("COMMS_COMPOSER_SENDS_PER_HOUR", default=10)

# --- Activation and Min side invitations (invitations) --------------------------------
# How long a verification ("Bekreft") link works (R-ACT-2), and a Min side invitation code.
VERIFICATION_LINK_HOURS = 24
MIN_SIDE_INVITE_DAYS = 30

# --- Caches ------------------------------------------------------------------------------
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Phone numbers -----------------------------------------------------------------------
PHONENUMBER_DEFAULT_REGION = "NO"
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"

# --- Filters -----------------------------------------------------------------------------
FILTERS_EMPTY_CHOICE_LABEL = _("All")

# --- Member overview ---------------------------------------------------------------------
MEMBER_LIST_PAGE_SIZE = env.int("MEMBER_LIST_PAGE_SIZE", default=50)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}


def require(name: str, value: str, insecure: str) -> None:
    """Stop start-up when a secret still has its development default."""
    if not value or value == insecure:
        raise ImproperlyConfigured(f"{name} must be set in the environment (see .env.example).")


# --- Card payment (billing.payments, R-BIL-8) -------------------------------------------
# PAYMENT_PROVIDER: test (default: the built-in test provider and its own payment page
# under /betaling/test/, for the demo and the tests; never takes money) or stripe (Stripe
# Checkout: STRIPE_SECRET_KEY, the API key; STRIPE_WEBHOOK_SECRET, the whsec_… secret of
# the webhook endpoint /betaling/webhook/stripe/; STRIPE_API_BASE, the API address).
# PAYMENT_SESSION_MINUTES: how long a started payment can be completed (Stripe: 30–1440).
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="test")
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
PAYMENT_SESSION_MINUTES = env.int("PAYMENT_SESSION_MINUTES", default=60)
if PAYMENT_PROVIDER not in ("test", "stripe"):
    raise ImproperlyConfigured(f"PAYMENT_PROVIDER={PAYMENT_PROVIDER!r}: use test or stripe.")
if PAYMENT_PROVIDER == "stripe" and not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET):
    raise ImproperlyConfigured(
        "PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET."
    )
if not 30 <= PAYMENT_SESSION_MINUTES <= 1440:
    raise ImproperlyConfigured("PAYMENT_SESSION_MINUTES must be between 30 and 1440.")


# --- Collections (billing, issue 8) -----------------------------------------------------
# REMINDER_FEE_CAP: the highest reminder fee a club may set, one tenth of the year's
# inkassosats (DOMAIN.md §4; the operator updates it when the regulation changes).
REMINDER_FEE_CAP = Decimal(env.str("REMINDER_FEE_CAP", default="75.00"))


# --- History (django-simple-history) ----------------------------------------------------
# History is read one person or membership at a time (by its id, then sorted by date):
# no index on the history's date alone, which every imported row would pay for
# (R-MIG-10: an import writes a history row for each new person and membership).
SIMPLE_HISTORY_DATE_INDEX = False


# --- Import (migration) ------------------------------------------------------------------
# MIGRATION_PIPELINE: on PostgreSQL, an import decides each chunk of member rows on a
# connection of its own while the chunk before is written (migration.pipeline.importer).
# False (environment MIGRATION_PIPELINE=false) runs one step after the other: the tests
# compare the two, and a profiler sees every step in one thread.
MIGRATION_PIPELINE = env.bool("MIGRATION_PIPELINE", default=True)
