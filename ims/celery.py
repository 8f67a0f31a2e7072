"""The Celery application. Without REDIS_URL, tasks run eagerly in the caller."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ims.settings")

app = Celery("ims")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="ims.ping")
def ping() -> str:
    """Health check for the worker path: answers without touching the database."""
    return "pong"
