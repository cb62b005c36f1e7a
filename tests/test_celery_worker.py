"""A real Celery worker, started by the test, runs a task end to end against Redis."""

import time

import pytest

from core.models import WorkerHeartbeat
from core.tasks import heartbeat

pytestmark = pytest.mark.stack


def test_a_real_worker_runs_the_heartbeat_task_and_healthz_sees_it(transactional_db, celery_worker):
    assert not WorkerHeartbeat.objects.exists()
    heartbeat.delay()  # through the Redis broker, not eagerly
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not WorkerHeartbeat.objects.exists():
        time.sleep(0.2)
    beat = WorkerHeartbeat.objects.get()
    assert beat.last_seen is not None

    from django.test import Client

    worker = Client().get("/healthz").json()["checks"]["worker"]
    assert worker["status"] == "ok"
    assert worker["last_seen_seconds"] < 60
