"""The real worker path: a Celery worker consuming from Redis (DESIGN.md, background work)."""

import os

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from ims.celery import app, ping

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_worker():
    if not settings.REDIS_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run with REDIS_URL set (see .ci/run)")
        pytest.skip("REDIS_URL is not set: tasks run inline; no worker to test")
    app.conf.task_always_eager = False
    # a queue of its own: tasks other tests left on the shared queues in this Redis (an
    # invoice run, a PDF batch) are not this worker's business
    queue = f"integration-{os.getpid()}"
    with start_worker(
        app, perform_ping_check=False, pool="solo", loglevel="WARNING", queues=[queue]
    ):
        yield queue


def test_task_is_sent_through_redis_and_run_by_a_worker(redis_worker):
    app.conf.result_backend = settings.REDIS_URL
    try:
        result = ping.apply_async(queue=redis_worker)
        assert result.get(timeout=20) == "pong"
    finally:
        app.conf.result_backend = None
