"""The Celery app. Tasks stay thin: they take ids and call a service."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import (
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
    worker_ready,
)
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sispam.settings")

app = Celery("sispam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from django.conf import settings  # noqa: E402  (after the app reads the Django settings)

# The beat schedule lives in code, next to the tasks it runs.
app.conf.beat_schedule = {
    "worker-heartbeat": {"task": "core.tasks.heartbeat", "schedule": 30.0},
    # Normally a drain is enqueued with the first event; this catches one whose enqueue failed.
    "push-drain": {"task": "core.tasks.push_drain", "schedule": 5.0},
    # The same for the scoring queue, and for a drain lost with a killed worker (the broker
    # gives an unacknowledged message back only after its visibility timeout).
    "score-drain": {"task": "incidents.tasks.score_drain", "schedule": 5.0},
    "incidents-escalate-overdue": {"task": "incidents.tasks.escalate_overdue", "schedule": 60.0},
    "incidents-flag-tps-overdue": {"task": "incidents.tasks.flag_tps_overdue", "schedule": 60.0},
    "incidents-sweep-unscored": {
        "task": "incidents.tasks.sweep_unscored",
        "schedule": float(settings.EW_SWEEP_SECONDS),
    },
    "alerts-escalate-unacknowledged": {
        "task": "incidents.tasks.escalate_unacknowledged",
        "schedule": 60.0,
    },
    "logistics-sweep": {"task": "logistics.tasks.sweep", "schedule": 60.0},
    "command-exercise-sweep": {"task": "command.tasks.exercise_sweep", "schedule": 15.0},
    # In CELERY_TIMEZONE (Asia/Jakarta): 02:00 WIB, the quietest hour.
    "backup-daily": {"task": "core.tasks.backup_daily", "schedule": crontab(hour=2, minute=0)},
}


@worker_ready.connect
def _first_heartbeat(sender, **kwargs) -> None:
    # Report a fresh worker at once rather than at beat's first tick.
    sender.app.send_task("core.tasks.heartbeat")


@worker_init.connect
@worker_process_init.connect
def _send_pushes_directly(**kwargs) -> None:
    # Code in a worker pushes after commit itself, without another trip through the broker.
    # In the signal: sispam/__init__ loads this module while Django's settings still load.
    from core import realtime

    realtime.in_worker = True


@task_prerun.connect
@task_postrun.connect
def _connection_back_to_the_pool(task=None, **kwargs) -> None:
    # What Django does around each request: hand the connection back to this process's pool
    # (CONN_MAX_AGE is 0) and drop one left broken. Not for an eager task: it runs inside the
    # caller's transaction. CELERY_DB_REUSE_MAX keeps Celery from closing the pool itself.
    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()
