"""Settings for the benchmark server only: the project's settings, DEBUG off, plus the
bench URLs (the bare ListView baseline next to the real app)."""

import warnings

from ims.settings import *  # noqa: F403
from ims.settings.base import BASE_DIR, DATABASES, TEMPLATES, env

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.urls"
# Production-like database connections (.env.example): one kept connection per worker.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
# No collectstatic for a benchmark: WhiteNoise's warning about the missing folder is noise.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
