"""Reads of the incidents app, and its access functions (the one place access is decided)."""

from django.db.models import QuerySet

from core.access import Role, user_roles
from incidents.models import OPEN_ALERT_STATUSES, Alert, Incident


def incident_list_for_user(*, user) -> QuerySet[Incident]:
    """The incidents `user` may see: all for the command post and intel, his own for a field
    officer, real (non-exercise) ones for the KPU liaison, none for anyone else."""
    roles = user_roles(user)
    qs = Incident.objects.select_related("kelurahan", "tps__kelurahan").order_by(
        "-reported_at", "-id"
    )
    if roles & {Role.KOMANDO, Role.INTEL}:
        return qs
    if Role.PENGHUBUNG_KPU in roles:
        return qs.filter(is_exercise=False)
    if Role.LAPANGAN in roles:
        return qs.filter(reporter=user)
    return qs.none()


def alert_open_list() -> QuerySet[Alert]:
    """Open alerts, newest first (the caller checks the role: alerts are for komando and intel)."""
    return (
        Alert.objects.filter(status__in=OPEN_ALERT_STATUSES)
        .select_related("kelurahan")
        .order_by("-created_at", "-id")
    )
