"""A real Celery worker, started by the test, runs a task end to end against Redis."""

import time

import pytest
from django.utils import timezone

from core.models import WorkerHeartbeat
from core.tasks import heartbeat

pytestmark = pytest.mark.stack


def test_a_real_worker_runs_the_heartbeat_task_and_healthz_sees_it(transactional_db, celery_worker):
    def newest():
        return WorkerHeartbeat.objects.order_by("-last_seen").first()

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and newest() is None:  # the worker's own first beat
        time.sleep(0.2)
    sent = timezone.now()
    heartbeat.delay()  # through the Redis broker, not eagerly
    while time.monotonic() < deadline and newest().last_seen < sent:
        time.sleep(0.2)
    assert newest().last_seen >= sent

    from django.test import Client

    worker = Client().get("/healthz").json()["checks"]["worker"]
    assert worker["status"] == "ok"
    assert worker["last_seen_seconds"] < 60
