"""The Celery app. Tasks stay thin: they take ids and call a service."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sispam.settings")

app = Celery("sispam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from django.conf import settings  # noqa: E402  (after the app reads the Django settings)

# The beat schedule lives in code, next to the tasks it runs.
app.conf.beat_schedule = {
    "worker-heartbeat": {"task": "core.tasks.heartbeat", "schedule": 30.0},
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
    "operations-exercise-sweep": {"task": "operations.tasks.exercise_sweep", "schedule": 15.0},
}


@worker_ready.connect
def _first_heartbeat(sender, **kwargs) -> None:
    # Report a fresh worker at once rather than at beat's first tick.
    sender.app.send_task("core.tasks.heartbeat")
