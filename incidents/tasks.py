"""Incident tasks (thin: they call a service)."""

from celery import shared_task


@shared_task(name="incidents.tasks.escalate_overdue", ignore_result=True)
def escalate_overdue() -> int:
    """Flag reports not verified within INCIDENT_VERIFY_MINUTES (run every minute by beat)."""
    from incidents.services import incident_escalate_overdue

    return incident_escalate_overdue()
