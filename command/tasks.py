"""Exercise tasks (thin: they take ids and call a service in command.exercises)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from command.exercises import exercise_inject_fire, exercise_run_finish, exercises_sweep


@shared_task(
    name="command.tasks.exercise_fire_inject",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=8,
    soft_time_limit=20,
    time_limit=30,
)
def exercise_fire_inject(inject_id: int) -> None:
    """Play one inject of a running exercise (idempotent: a second delivery does nothing)."""
    exercise_inject_fire(inject_id=inject_id)


@shared_task(
    name="command.tasks.exercise_finish_run",
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=8,
    soft_time_limit=50,
    time_limit=60,
)
def exercise_finish_run(run_id: int) -> None:
    """Mark an exercise finished once its last expected window has closed."""
    exercise_run_finish(run_id=run_id)


@shared_task(name="command.tasks.exercise_sweep", ignore_result=True)
def exercise_sweep() -> int:
    """Play injects whose message was lost and finish runs past their end (every 15 s by beat)."""
    return exercises_sweep()
