"""Default settings: development and tests. Production: ``ims.settings.production``."""

from .base import *  # noqa: F403
