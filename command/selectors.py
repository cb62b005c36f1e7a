"""What the command post reads across the apps: the operation's headline figures."""

from django.db.models import Count, Q, Sum

from incidents.models import OPEN_ALERT_STATUSES, OPEN_INCIDENT_STATUSES, Alert, Incident
from operations.models import Tps
from operations.selectors import tps_counts_by_category
from personnel.models import Officer


def summary_get() -> dict:
    """The headline figures of the operation (exercise data excluded)."""
    officers = Officer.objects.aggregate(
        total=Count("id"), bko=Count("id", filter=Q(contingent__isnull=False))
    )
    by_category = tps_counts_by_category()
    return {
        "officers_total": officers["total"],
        "officers_polres": officers["total"] - officers["bko"],
        "officers_bko": officers["bko"],
        "tps_total": sum(by_category.values()),
        "tps_by_category": by_category,
        "dpt_total": Tps.objects.aggregate(s=Sum("dpt"))["s"] or 0,
        "incidents_open": Incident.objects.filter(
            status__in=OPEN_INCIDENT_STATUSES, is_exercise=False
        ).count(),
        "alerts_open": Alert.objects.filter(
            status__in=OPEN_ALERT_STATUSES, is_exercise=False
        ).count(),
    }
