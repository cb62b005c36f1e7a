"""Incident tasks (thin: they call a service)."""

from celery import shared_task


@shared_task(name="incidents.tasks.escalate_overdue", ignore_result=True)
def escalate_overdue() -> int:
    """Flag reports not verified within INCIDENT_VERIFY_MINUTES (run every minute by beat)."""
    from incidents.services import incident_escalate_overdue

    return incident_escalate_overdue()


@shared_task(name="incidents.tasks.flag_tps_overdue", ignore_result=True)
def flag_tps_overdue() -> int:
    """Raise alerts for TPS whose polling-day return is late (every minute by beat)."""
    from incidents.services import tps_returns_flag_overdue

    return tps_returns_flag_overdue()
