"""Reads for the command dashboard and the KPU liaison's view.

Every function here builds its answer in a fixed number of queries (no per-row queries: a test
counts them) and takes the viewer's side as an argument, so what the liaison may not see is
never fetched for him. Exercise rows never count in the figures; the command map shows
exercise incidents marked as such, the liaison never sees them.
"""

import datetime as dt
import statistics
import time
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.changes import data_version
from incidents.models import (
    OPEN_ALERT_STATUSES,
    OPEN_INCIDENT_STATUSES,
    Alert,
    AlertLevel,
    AlertStatus,
    CrowdColour,
    Incident,
    IncidentStatus,
    IncidentType,
)
from incidents.selectors import ELECTION_TYPES, incident_overdue_q
from operations.models import (
    ElectionPhase,
    Kecamatan,
    Kelurahan,
    Post,
    Tps,
    TpsCategory,
    TpsStatus,
)
from operations.selectors import kecamatan_summary_list, phase_current
from personnel.selectors import strength_rollup

WINDOWS = [(1, _("1 jam")), (6, _("6 jam")), (24, _("24 jam")), (72, _("3 hari")), (0, _("semua"))]
# Weights of the risk index per kecamatan (docs/dashboard.md): what is burning now weighs most.
RISK_WEIGHTS = {
    "incident": {CrowdColour.MERAH: 10, CrowdColour.KUNING: 4, CrowdColour.HIJAU: 1},
    "alert": {AlertLevel.MERAH: 8, AlertLevel.KUNING: 3, AlertLevel.HIJAU: 1},
    "tps": {"sangat_rawan": 0.5, "rawan": 0.2, "khusus": 0.3},
}
SERIES_MAX_HOURS = 72
KEC_PATH = "kelurahan__kecamatan"


class DashboardFilterForm(forms.Form):
    """The dashboard's filters: kecamatan, time window, election phase (the phase wins)."""

    kec = forms.ModelChoiceField(
        queryset=Kecamatan.objects.order_by("name"),
        required=False,
        label=_("Kecamatan"),
        empty_label=_("Semua kecamatan"),
    )
    window = forms.TypedChoiceField(
        choices=WINDOWS, coerce=int, required=False, empty_value=24, label=_("Rentang waktu")
    )
    phase = forms.ModelChoiceField(
        queryset=ElectionPhase.objects.order_by("starts_at"),
        to_field_name="code",
        required=False,
        label=_("Tahapan"),
        empty_label=_("Menurut rentang waktu"),
    )


@dataclass(frozen=True)
class DashFilter:
    kecamatan: Kecamatan | None
    start: dt.datetime | None
    end: dt.datetime
    phase: ElectionPhase | None
    window: int

    def query(self) -> str:
        parts = []
        if self.kecamatan:
            parts.append(f"kec={self.kecamatan.pk}")
        if self.phase:
            parts.append(f"phase={self.phase.code}")
        else:
            parts.append(f"window={self.window}")
        return "&".join(parts)


def dash_filter_from(params, *, now=None) -> tuple[DashFilter | None, dict]:
    """Parse the filters from query parameters; (None, errors) when they are wrong."""
    form = DashboardFilterForm(params)
    if not form.is_valid():
        return None, {k: [str(m) for m in v] for k, v in form.errors.items()}
    now = now or timezone.now()
    data = form.cleaned_data
    phase = data.get("phase")
    window = data.get("window")
    window = 24 if window is None else window
    if phase:
        start, end = phase.starts_at, min(phase.ends_at, now)
        if end < start:  # a phase still to come: show its window, empty so far
            end = phase.ends_at
    else:
        start = now - dt.timedelta(hours=window) if window else None
        end = now
    return DashFilter(data.get("kec"), start, end, phase, window), {}


def _in_window(qs, field: str, f: DashFilter):
    if f.start is not None:
        qs = qs.filter(**{f"{field}__gte": f.start})
    return qs.filter(**{f"{field}__lte": f.end})


def _kec_filter(qs, path: str, f: DashFilter):
    return qs.filter(**{path: f.kecamatan}) if f.kecamatan else qs


def _real_incidents(f: DashFilter):
    qs = Incident.objects.filter(is_exercise=False)
    qs = _kec_filter(qs, "kelurahan__kecamatan", f)
    return _in_window(qs, "reported_at", f)


def _real_alerts(f: DashFilter):
    qs = Alert.objects.filter(is_exercise=False)
    qs = _kec_filter(qs, "kelurahan__kecamatan", f)
    return _in_window(qs, "created_at", f)


def _tps(f: DashFilter):
    return _kec_filter(Tps.objects.all(), "kelurahan__kecamatan", f)


def tps_by_status(f: DashFilter) -> list[dict]:
    """Polling-day status of the TPS, every status listed (zero included), in day order."""
    counts = dict(_tps(f).values_list("status").annotate(n=Count("id")).order_by())
    return [
        {"key": s.value, "status": s.value, "label": str(s.label), "n": counts.get(s.value, 0)}
        for s in TpsStatus
    ]


def tps_by_category(f: DashFilter) -> list[dict]:
    counts = {c.value: 0 for c in TpsCategory} | {"khusus": 0}
    for row in _tps(f).values("category", "is_khusus").annotate(n=Count("id")).order_by():
        counts["khusus" if row["is_khusus"] else row["category"]] += row["n"]
    labels = dict(TpsCategory.choices) | {"khusus": _("khusus")}
    return [{"category": k, "label": str(labels[k]), "n": n} for k, n in counts.items()]


def _counts(qs, field: str, choices) -> list[dict]:
    got = dict(qs.values_list(field).annotate(n=Count("id")).order_by())
    return [{"key": v, "label": str(label), "n": got.get(v, 0)} for v, label in choices]


def response_times(f: DashFilter) -> dict:
    """Minutes from report to the first officer on scene, for incidents reached in the window."""
    rows = _real_incidents(f).filter(first_on_scene_at__isnull=False)
    minutes = sorted(
        (on_scene - reported).total_seconds() / 60
        for reported, on_scene in rows.values_list("reported_at", "first_on_scene_at")
    )
    if not minutes:
        return {"n": 0, "median": None, "p90": None}
    p90 = minutes[min(len(minutes) - 1, int(round(0.9 * (len(minutes) - 1))))]
    return {"n": len(minutes), "median": round(statistics.median(minutes), 1), "p90": round(p90, 1)}


def per_hour(qs, field: str, f: DashFilter) -> list[dict]:
    """Counts per hour (WIB) over the window, the partial first and last hours included, at
    most the last 72 hours (also for "all": the plot is of the recent days)."""
    end = timezone.localtime(f.end).replace(minute=0, second=0, microsecond=0)
    oldest = end - dt.timedelta(hours=SERIES_MAX_HOURS - 1)
    start = oldest
    if f.start is not None:
        start = max(oldest, timezone.localtime(f.start).replace(minute=0, second=0, microsecond=0))
    hours = int((end - start).total_seconds() // 3600) + 1
    tz = timezone.get_current_timezone()
    got = {
        timezone.localtime(h): n
        for h, n in qs.filter(**{f"{field}__gte": start})
        .annotate(h=TruncHour(field, tzinfo=tz))
        .values_list("h")
        .annotate(n=Count("id"))
        .order_by()
    }
    return [
        {
            "hour": (start + dt.timedelta(hours=i)).isoformat(),
            "n": got.get(start + dt.timedelta(hours=i), 0),
        }
        for i in range(hours)
    ]


def risk_by_kecamatan(f: DashFilter) -> list[dict]:
    """A documented risk index per kecamatan: open incidents and alerts by colour, plus the
    standing vulnerability of its TPS. Highest first."""
    rows: dict[int, dict] = {}
    for kec in Kecamatan.objects.order_by("name"):
        rows[kec.pk] = {
            "kecamatan": kec.name,
            "id": kec.pk,
            "incidents": 0,
            "alerts": 0,
            "score": 0.0,
        }
    # What is open now, whatever the time window (as the counters): risk is about the present.
    real_incidents = _kec_filter(Incident.objects.filter(is_exercise=False), KEC_PATH, f)
    real_alerts = _kec_filter(Alert.objects.filter(is_exercise=False), KEC_PATH, f)
    open_rows = [
        ("incidents", "incident", "colour", real_incidents, OPEN_INCIDENT_STATUSES),
        ("alerts", "alert", "level", real_alerts, OPEN_ALERT_STATUSES),
    ]
    for counter, weights, field, qs, open_statuses in open_rows:
        per_kec = (
            qs.filter(status__in=open_statuses, kelurahan__isnull=False)
            .values("kelurahan__kecamatan_id", field)
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in per_kec:
            entry = rows[row["kelurahan__kecamatan_id"]]
            entry[counter] += row["n"]
            entry["score"] += RISK_WEIGHTS[weights].get(row[field], 1) * row["n"]
    tps = (
        _tps(f)
        .values("kelurahan__kecamatan_id", "category", "is_khusus")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in tps:
        key = "khusus" if row["is_khusus"] else row["category"]
        rows[row["kelurahan__kecamatan_id"]]["score"] += RISK_WEIGHTS["tps"].get(key, 0) * row["n"]
    out = [r for r in rows.values() if not f.kecamatan or r["id"] == f.kecamatan.pk]
    top = max((r["score"] for r in out), default=0) or 1
    for r in out:
        r["score"] = round(r["score"], 1)
        r["share"] = round(100 * r["score"] / top)
    return sorted(out, key=lambda r: -r["score"])


def dashboard_stats(f: DashFilter) -> dict:
    """Counters and series of the command dashboard (komando and intel only)."""
    strength = strength_rollup()
    dep = strength["deployment"]
    incidents = _real_incidents(f)
    alerts = _real_alerts(f)
    alerts_open = Alert.objects.filter(is_exercise=False, status__in=OPEN_ALERT_STATUSES)
    alerts_open = _kec_filter(alerts_open, "kelurahan__kecamatan", f)
    open_counts = alerts_open.aggregate(
        n=Count("id"),
        overdue=Count("id", filter=Q(ack_overdue_at__isnull=False, acknowledged_at__isnull=True)),
        merah=Count("id", filter=Q(level=AlertLevel.MERAH)),
    )
    by_outcome = _counts(alerts, "status", AlertStatus.choices)
    open_incidents = _kec_filter(
        Incident.objects.filter(is_exercise=False, status__in=OPEN_INCIDENT_STATUSES),
        "kelurahan__kecamatan",
        f,
    )
    open_by_colour = _counts(open_incidents, "colour", CrowdColour.choices)
    return {
        "strength": {
            "total": strength["total"],
            "polres": strength["polres"],
            "bko": strength["bko"],
            "deployed": dep["deployed"]["polres"] + dep["deployed"]["bko"],
            "reserve": dep["reserve"]["polres"] + dep["reserve"]["bko"],
            "unavailable": dep["unavailable"]["polres"] + dep["unavailable"]["bko"],
        },
        "tps": _tps(f).aggregate(n=Count("id"), dpt=Sum("dpt")),
        "tps_by_status": tps_by_status(f),
        "tps_by_category": tps_by_category(f),
        "incidents_by_colour": _counts(incidents, "colour", CrowdColour.choices),
        "incidents_by_status": _counts(incidents, "status", IncidentStatus.choices),
        "incidents_by_type": _counts(incidents, "type", IncidentType.choices),
        "incidents_open": sum(c["n"] for c in open_by_colour),
        "incidents_open_by_colour": open_by_colour,
        "incidents_overdue": open_incidents.filter(incident_overdue_q()).count(),
        "alerts_open": open_counts["n"],
        "alerts_overdue": open_counts["overdue"],
        "alerts_open_merah": open_counts["merah"],
        "alerts_by_status": by_outcome,
        "response_minutes": response_times(f),
        "incidents_per_hour": per_hour(incidents, "reported_at", f),
        "alerts_per_hour": per_hour(alerts, "created_at", f),
        "risk_by_kecamatan": risk_by_kecamatan(f),
    }


def _labels() -> dict:
    kec = list(Kecamatan.objects.order_by("name").values("id", "name", "lat", "lon"))
    kel = list(
        Kelurahan.objects.order_by("name").values("id", "name", "lat", "lon", "kecamatan_id")
    )
    return {"kecamatan": kec, "kelurahan": kel}


def _tps_points(f: DashFilter) -> list[list]:
    # Compact rows (the map draws hundreds to thousands): id, number, kelurahan, lat, lon,
    # category (khusus wins), status.
    return [
        [pk, number, kel, lat, lon, "khusus" if khusus else category, status]
        for pk, number, kel, lat, lon, category, khusus, status in _tps(f)
        .order_by("kelurahan__name", "number")
        .values_list(
            "id", "number", "kelurahan__name", "lat", "lon", "category", "is_khusus", "status"
        )
    ]


def _map_incidents(f: DashFilter, *, liaison: bool) -> list[dict]:
    qs = Incident.objects.filter(status__in=OPEN_INCIDENT_STATUSES)
    qs = _kec_filter(qs, "kelurahan__kecamatan", f)
    qs = _in_window(qs, "reported_at", f)
    if liaison:
        qs = qs.filter(is_exercise=False, type__in=ELECTION_TYPES)
    fields = ["id", "type", "status", "colour", "reported_at", "kelurahan__name", "lat", "lon"]
    if not liaison:
        fields.append("is_exercise")
    rows = list(
        qs.order_by("-reported_at").values(
            *fields, "tps__lat", "tps__lon", "kelurahan__lat", "kelurahan__lon"
        )[:5000]
    )
    out = []
    for r in rows:
        # Where to draw it: its own point, else its TPS, else the centre of its kelurahan.
        lat = r["lat"] if r["lat"] is not None else r["tps__lat"] or r["kelurahan__lat"]
        lon = r["lon"] if r["lon"] is not None else r["tps__lon"] or r["kelurahan__lon"]
        if lat is None or lon is None:
            continue
        item = {
            "id": r["id"],
            "type": r["type"],
            "status": r["status"],
            "colour": r["colour"],
            "at": timezone.localtime(r["reported_at"]).isoformat(),
            "kelurahan": r["kelurahan__name"],
            "lat": round(lat, 6),
            "lon": round(lon, 6),
        }
        if not liaison:
            item["exercise"] = r["is_exercise"]
        out.append(item)
    return out


def _map_posts(f: DashFilter, now) -> list[dict]:
    qs = _kec_filter(Post.objects.filter(is_active=True), "kelurahan__kecamatan", f)
    qs = qs.annotate(
        assigned=Count(
            "assignments",
            filter=Q(assignments__starts_at__lte=now, assignments__ends_at__gte=now)
            & ~Q(assignments__status="cancelled"),
        )
    )
    return [
        {
            "id": p["id"],
            "name": p["name"],
            "kind": p["kind"],
            "lat": p["lat"],
            "lon": p["lon"],
            "required": p["required_strength"],
            "assigned": p["assigned"],
        }
        for p in qs.order_by("name").values(
            "id", "name", "kind", "lat", "lon", "required_strength", "assigned"
        )
    ]


def _map_alerts(f: DashFilter) -> list[dict]:
    qs = Alert.objects.filter(status__in=OPEN_ALERT_STATUSES, kelurahan__isnull=False)
    qs = _kec_filter(qs, "kelurahan__kecamatan", f)
    return [
        {
            "id": a["id"],
            "level": a["level"],
            "status": a["status"],
            "title": a["title"],
            "kelurahan": a["kelurahan__name"],
            "lat": a["kelurahan__lat"],
            "lon": a["kelurahan__lon"],
            "exercise": a["is_exercise"],
        }
        for a in qs.order_by("-created_at").values(
            "id",
            "level",
            "status",
            "title",
            "is_exercise",
            "kelurahan__name",
            "kelurahan__lat",
            "kelurahan__lon",
        )[:500]
    ]


def dashboard_map(f: DashFilter, *, liaison: bool) -> dict:
    """What the map draws. The liaison's side holds TPS and real incidents touching the election
    process (time, place, type, state, colour) and nothing else: no posts, no alerts."""
    data = {
        "labels": _labels(),
        "tps": _tps_points(f),
        "incidents": _map_incidents(f, liaison=liaison),
    }
    if not liaison:
        data["posts"] = _map_posts(f, timezone.now())
        data["alerts"] = _map_alerts(f)
    return data


def liaison_summary(f: DashFilter) -> dict:
    """The liaison's figures: phase, TPS by status and category, election incidents by state
    and colour, per kecamatan. Nothing about people, intelligence or alerts."""
    incidents = _real_incidents(f).filter(type__in=ELECTION_TYPES)
    status_rows = (
        _tps(f).values("kelurahan__kecamatan__name", "status").annotate(n=Count("id")).order_by()
    )
    per_kec_status: dict[str, dict] = {}
    for row in status_rows:
        per_kec_status.setdefault(row["kelurahan__kecamatan__name"], {})[row["status"]] = row["n"]
    inc_rows = incidents.values("kelurahan__kecamatan__name").annotate(n=Count("id")).order_by()
    per_kec_inc = {r["kelurahan__kecamatan__name"]: r["n"] for r in inc_rows}
    kec_rows = []
    for row in kecamatan_summary_list():
        if f.kecamatan and row["kecamatan"] != f.kecamatan.name:
            continue
        statuses = per_kec_status.get(row["kecamatan"], {})
        kec_rows.append(
            {
                **row,
                "by_status": [statuses.get(s.value, 0) for s in TpsStatus],
                "incidents": per_kec_inc.get(row["kecamatan"], 0),
            }
        )
    phase = phase_current()
    by_status = tps_by_status(f)
    return {
        "phase": {"code": phase.code, "name": phase.name} if phase else None,
        "tps_total": sum(s["n"] for s in by_status),
        "tps_by_status": by_status,
        "tps_by_category": tps_by_category(f),
        "incidents_by_colour": _counts(incidents, "colour", CrowdColour.choices),
        "incidents_by_status": _counts(incidents, "status", IncidentStatus.choices),
        "kecamatan": kec_rows,
        "statuses": [{"status": s.value, "label": str(s.label)} for s in TpsStatus],
    }


def liaison_incidents(f: DashFilter, limit: int = 200) -> list[dict]:
    """Real incidents touching the election process: time, place, type, state, colour only."""
    qs = _real_incidents(f).filter(type__in=ELECTION_TYPES).order_by("-reported_at", "-id")
    types = dict(IncidentType.choices)
    statuses = dict(IncidentStatus.choices)
    colours = dict(CrowdColour.choices)
    return [
        {
            "id": r["id"],
            "at": timezone.localtime(r["reported_at"]),
            "kelurahan": r["kelurahan__name"] or "-",
            "kecamatan": r["kelurahan__kecamatan__name"] or "-",
            "tps": f"TPS {r['tps__number']:03d}" if r["tps__number"] else "",
            "type": r["type"],
            "type_label": str(types.get(r["type"], r["type"])),
            "status": r["status"],
            "status_label": str(statuses.get(r["status"], r["status"])),
            "colour": r["colour"],
            "colour_label": str(colours.get(r["colour"], r["colour"])),
        }
        for r in qs.values(
            "id",
            "reported_at",
            "kelurahan__name",
            "kelurahan__kecamatan__name",
            "tps__number",
            "type",
            "status",
            "colour",
        )[:limit]
    ]


def cached(key: str, build):
    """`build()`, shared for DASHBOARD_CACHE_SECONDS by every request with the same key.

    Every viewer of the same side, filter and language sees the same figures: they are built
    once per few seconds per process, not once per browser (fifty screens polling must not mean
    fifty times the queries). An answer is out of date when it is older than that or was built
    before the last change of incidents, alerts or TPS statuses (core.changes counts them), so a
    screen refreshing after a push sees the change. One request rebuilds it; meanwhile the
    others keep the previous answer if it merely aged, or wait up to a second for the new one
    after a change. The live alert feed never goes through here.
    """
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if not seconds:
        return build()
    version = data_version()
    entry = cache.get(key)
    if entry is not None and entry[0] == version and time.time() - entry[1] < seconds:
        return entry[2]
    lock = f"{key}:building"
    if cache.add(lock, 1, timeout=30):
        try:
            value = build()
            cache.set(key, (version, time.time(), value), seconds * 6)
        finally:
            cache.delete(lock)
        return value
    if entry is not None and entry[0] == version:
        return entry[2]  # merely aged, and someone is rebuilding it: this one will do
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        time.sleep(0.02)
        newer = cache.get(key)
        if newer is not None and newer[0] >= version:
            return newer[2]
    return build()  # the builder is slow or gone: do not serve what is known to be old
