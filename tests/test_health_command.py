"""`manage.py health`: what docker-compose's healthchecks run (core/health.py, as /healthz)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import WorkerHeartbeat


def test_health_passes_when_the_required_parts_are_ok_and_fails_when_one_is_not(db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    out = io.StringIO()
    call_command("health", require="database,broker", stdout=out)
    assert "database: " in out.getvalue() and '"status": "ok"' in out.getvalue()
    WorkerHeartbeat.objects.all().delete()
    with pytest.raises(CommandError, match="not healthy: worker"):
        call_command("health", require="database,worker", stdout=io.StringIO())
    with pytest.raises(CommandError, match="unknown part"):
        call_command("health", require="kafka", stdout=io.StringIO())
