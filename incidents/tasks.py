"""Incident tasks (thin: they call a service)."""

import contextlib

from celery import shared_task
from django.db import InterfaceError, OperationalError

from incidents.alerts import alerts_escalate_unacknowledged
from incidents.learning import ew_training_execute
from incidents.models import EwTrainingRun
from incidents.scoring import report_score_guarded, score_queue_drain, scores_sweep
from incidents.services import incident_escalate_overdue
from incidents.tps_returns import tps_returns_flag_overdue

# Scoring one report (first delivery or a retry): an outage is retried by Celery with backoff,
# a lost worker gives the message back.
SCORE_ONE = {
    "ignore_result": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 8,
    "soft_time_limit": 20,
    "time_limit": 30,
}


@shared_task(name="incidents.tasks.escalate_overdue", ignore_result=True)
def escalate_overdue() -> int:
    """Flag reports not verified within INCIDENT_VERIFY_MINUTES (run every minute by beat)."""
    return incident_escalate_overdue()


@shared_task(name="incidents.tasks.flag_tps_overdue", ignore_result=True)
def flag_tps_overdue() -> int:
    """Raise alerts for TPS whose polling-day return is late (every minute by beat)."""
    return tps_returns_flag_overdue()


@shared_task(name="incidents.tasks.score_report", **SCORE_ONE)
def score_report(kind: str, pk: int) -> None:
    """Score one report (idempotent per engine version; a duplicate delivery changes nothing).
    An outage is retried by Celery; a report whose scoring raises is recorded and retried with
    backoff (incidents.scoring.report_score_guarded)."""
    report_score_guarded(kind=kind, pk=pk)


@shared_task(name="incidents.tasks.score_retry", **SCORE_ONE)
def score_retry(kind: str, pk: int) -> None:
    """Try again a report whose scoring failed (scheduled with backoff, or re-queued by the
    administrator); success resolves its ScoringFailure."""
    report_score_guarded(kind=kind, pk=pk, retry=True)


@shared_task(
    name="incidents.tasks.score_drain",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=90,
    time_limit=120,
)
def score_drain() -> int:
    """Score the reports web requests queued after commit (see scoring.score_enqueue...)."""
    return score_queue_drain()


@shared_task(name="incidents.tasks.sweep_unscored", ignore_result=True)
def sweep_unscored() -> int:
    """Re-enqueue reports the broker never delivered (every 30 s by beat)."""
    return scores_sweep()


@shared_task(name="incidents.tasks.escalate_unacknowledged", ignore_result=True)
def escalate_unacknowledged() -> int:
    """Escalate alerts nobody acknowledged in time (every minute by beat)."""
    return alerts_escalate_unacknowledged()


@shared_task(name="incidents.tasks.ew_train", ignore_result=True, time_limit=1800)
def ew_train(run_id: int) -> None:
    """Train a new early-warning version (incidents.learning.ew_training_execute)."""
    run = EwTrainingRun.objects.filter(pk=run_id, status=EwTrainingRun.Status.QUEUED).first()
    if run is not None:
        # A failure is recorded on the run (status failed, its error) and logged there.
        with contextlib.suppress(Exception):
            ew_training_execute(run=run)
