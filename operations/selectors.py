"""Reads of the operations app."""

from django.db.models import Count, Q, Sum
from django.utils import timezone

from incidents.models import OPEN_ALERT_STATUSES, OPEN_INCIDENT_STATUSES, Alert, Incident
from operations.models import ElectionPhase, Kecamatan, Tps, TpsCategory
from personnel.models import Officer

CATEGORY_KEYS = [c.value for c in TpsCategory] + ["khusus"]


def tps_counts_by_category(queryset=None) -> dict[str, int]:
    """TPS per category; a TPS khusus counts as khusus whatever its vulnerability."""
    qs = Tps.objects.all() if queryset is None else queryset
    counts = dict.fromkeys(CATEGORY_KEYS, 0)
    for row in qs.values("category", "is_khusus").annotate(n=Count("id")):
        key = "khusus" if row["is_khusus"] else row["category"]
        counts[key] += row["n"]
    return counts


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


def kecamatan_summary_list() -> list[dict]:
    """Per kecamatan: kelurahan, TPS by category, DPT. No personal data: safe for the liaison."""
    rows = []
    tps_rows = (
        Tps.objects.values("kelurahan__kecamatan_id", "category", "is_khusus")
        .annotate(n=Count("id"), dpt=Sum("dpt"))
        .order_by()
    )
    per_kec: dict[int, dict] = {}
    for row in tps_rows:
        entry = per_kec.setdefault(
            row["kelurahan__kecamatan_id"], {"dpt": 0, **dict.fromkeys(CATEGORY_KEYS, 0)}
        )
        entry["khusus" if row["is_khusus"] else row["category"]] += row["n"]
        entry["dpt"] += row["dpt"] or 0
    for kec in Kecamatan.objects.annotate(n_kel=Count("kelurahan")).order_by("name"):
        entry = per_kec.get(kec.pk, {"dpt": 0, **dict.fromkeys(CATEGORY_KEYS, 0)})
        rows.append(
            {
                "kecamatan": kec.name,
                "kelurahan": kec.n_kel,
                "tps": sum(entry[k] for k in CATEGORY_KEYS),
                **entry,
            }
        )
    return rows


def phase_current(at=None) -> ElectionPhase | None:
    """The election phase in force at `at` (now by default); the latest-starting one wins."""
    at = at or timezone.now()
    return (
        ElectionPhase.objects.filter(starts_at__lte=at, ends_at__gte=at)
        .order_by("-starts_at")
        .first()
    )
