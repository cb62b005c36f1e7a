"""Logistics tasks (thin: they call a service)."""

from celery import shared_task

from logistics.services import logistics_sweep


@shared_task(name="logistics.tasks.sweep", ignore_result=True)
def sweep() -> int:
    """Flag late legs and legs about to leave without escort (every minute by beat)."""
    return logistics_sweep()
