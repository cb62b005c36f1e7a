"""Reads of the incidents app, and its access functions (the one place access is decided)."""

import datetime as dt
import math

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.fields import DateTimeField

from core.access import (
    CAN_READ_ALL_INCIDENTS,
    CAN_READ_ALL_TPS_RETURNS,
    CAN_READ_EVIDENCE_PHOTOS,
    CAN_READ_FULL_TIMELINE,
    CAN_READ_ORIGINAL_PHOTOS,
    Role,
    user_roles,
)
from incidents.models import (
    OPEN_ALERT_STATUSES,
    Alert,
    ControlLevel,
    CrowdColour,
    Dispatch,
    GakkumduReferral,
    Incident,
    IncidentPhoto,
    IncidentStatus,
    IncidentType,
    TpsReturn,
    UseOfForce,
)
from operations.models import Assignment, ElectionPhase, Post, Tps
from personnel.models import Officer, OfficerStatus

# What touches the election process, for the KPU liaison (accidents and "other" do not).
ELECTION_TYPES = [
    t for t in IncidentType.values if t not in (IncidentType.KECELAKAAN, IncidentType.LAINNYA)
]

# When each TPS return is due on polling day (WIB): (status, hour, minute). PKPU: voting
# 07:00-13:00, counting right after; boxes go to the PPK the same night.
TPS_RETURN_SCHEDULE = [
    ("dibuka", 7, 15),
    ("pemungutan", 7, 45),
    ("penghitungan", 13, 30),
    ("selesai", 19, 0),
    ("dikirim", 23, 30),
]
STATUS_ORDER = ["belum_dibuka"] + [s for s, _h, _m in TPS_RETURN_SCHEDULE]


def incident_overdue_q(now=None) -> Q:
    """Incidents late for verification: still new past their due time, whether the sweep has
    flagged them yet or not (Incident.is_verify_late; the incident list's "baru · terlambat").
    The sweep sets overdue_at only past verify_due_at, which never moves."""
    return Q(status=IncidentStatus.BARU, verify_due_at__lt=now or timezone.now())


def incident_list_for_user(*, user) -> QuerySet[Incident]:
    """The incidents `user` may see: all for the command post and intel, his own for a field
    officer, real ones touching the election process for the KPU liaison, none otherwise."""
    roles = user_roles(user)
    qs = Incident.objects.select_related("kelurahan", "tps__kelurahan").order_by(
        "-reported_at", "-id"
    )
    if roles & CAN_READ_ALL_INCIDENTS:
        return qs
    if Role.PENGHUBUNG_KPU in roles:
        return qs.filter(is_exercise=False, type__in=ELECTION_TYPES)
    if Role.LAPANGAN in roles:
        return qs.filter(reporter=user)
    return qs.none()


# Timeline kinds a field officer never reads, and kinds that name the officer they are about
# (to_value: his NRP, note: his name).
TIMELINE_HIDDEN_KINDS = frozenset({"force", "gakkumdu"})
TIMELINE_OFFICER_KINDS = frozenset({"dispatch", "en_route", "on_scene", "cleared"})


# What each timeline step is called on the page (the code stays in the API).
TIMELINE_LABELS = {
    "created": gettext_lazy("laporan diterima"),
    "photo": gettext_lazy("foto ditambahkan"),
    "verify": gettext_lazy("diverifikasi"),
    "reject": gettext_lazy("ditolak"),
    "handle": gettext_lazy("ditangani"),
    "close": gettext_lazy("ditutup"),
    "reopen": gettext_lazy("dibuka lagi"),
    "colour": gettext_lazy("situasi massa"),
    "control": gettext_lazy("kendali"),
    "dispatch": gettext_lazy("dikerahkan"),
    "en_route": gettext_lazy("berangkat"),
    "on_scene": gettext_lazy("tiba di lokasi"),
    "cleared": gettext_lazy("selesai di lokasi"),
    "force": gettext_lazy("penggunaan kekuatan"),
    "gakkumdu": gettext_lazy("diteruskan ke Gakkumdu"),
    "overdue": gettext_lazy("terlambat diverifikasi"),
    "sms_completed": gettext_lazy("dilengkapi dari data (laporan SMS tiba lebih dulu)"),
}
DISPATCH_STEP_LABELS = {k: TIMELINE_LABELS[k] for k in ("en_route", "on_scene", "cleared")}


def _value_labels(kind: str) -> dict:
    """The names of the values a step of `kind` moves between (statuses, colours...)."""
    if kind in ("created", "verify", "reject", "handle", "close", "reopen"):
        return dict(IncidentStatus.choices)
    if kind == "colour":
        return dict(CrowdColour.choices)
    if kind == "control":
        return dict(ControlLevel.choices)
    if kind == "force":
        return {str(v): label for v, label in UseOfForce.Stage.choices}
    if kind == "gakkumdu":
        return dict(GakkumduReferral.Category.choices)
    return {}


def timeline_labelled(rows: list[dict]) -> list[dict]:
    """Timeline rows (from :func:`incident_timeline_for_user`) with the words a person reads:
    `label` for the step, `from_label` and `to_label` for its values."""
    out = []
    for row in rows:
        values = _value_labels(row["kind"])
        out.append(
            {
                **row,
                "label": TIMELINE_LABELS.get(row["kind"], row["kind"]),
                "from_label": values.get(row["from_value"], row["from_value"]),
                "to_label": values.get(row["to_value"], row["to_value"]),
            }
        )
    return out


def _timeline_whole(user) -> bool:
    return bool(user_roles(user) & CAN_READ_FULL_TIMELINE)


def incident_timeline_for_user(*, user, incident: Incident) -> list[dict]:
    """The timeline of `incident` (which the caller got through incident_list_for_user) as
    `user` may read it: whole for CAN_READ_FULL_TIMELINE; for anyone else without use-of-force
    and Gakkumdu entries, without who did each step (unless himself), and without the NRP and
    name of any officer but himself. Uses `incident.events` (prefetch it with `by`)."""
    whole = _timeline_whole(user)
    own = getattr(getattr(user, "officer", None), "nrp", None) if not whole else None
    out = []
    for e in incident.events.all():
        row = {
            "at": e.at,
            "by": e.by.username if e.by_id else None,
            "kind": e.kind,
            "from_value": e.from_value,
            "to_value": e.to_value,
            "note": e.note,
        }
        if not whole:
            if e.kind in TIMELINE_HIDDEN_KINDS:
                continue
            if e.by_id != user.pk:
                row["by"] = None
            if e.kind in TIMELINE_OFFICER_KINDS and (own is None or e.to_value != own):
                row["to_value"] = row["note"] = ""
        out.append(row)
    return out


def incident_dispatches_for_user(*, user, incident: Incident) -> list[Dispatch]:
    """The dispatches of `incident`; for a reader without CAN_READ_FULL_TIMELINE, other
    officers' dispatches carry no officer (the rows are copies: never saved)."""
    rows = list(incident.dispatches.all())
    if _timeline_whole(user):
        return rows
    out = []
    for d in rows:
        if d.officer.user_id != user.pk:
            d = Dispatch(
                pk=d.pk,
                incident_id=d.incident_id,
                dispatched_at=d.dispatched_at,
                en_route_at=d.en_route_at,
                on_scene_at=d.on_scene_at,
                cleared_at=d.cleared_at,
            )
        out.append(d)
    return out


def incident_referrals_for_user(*, user, incident: Incident) -> list[GakkumduReferral]:
    """Gakkumdu referrals: for CAN_READ_FULL_TIMELINE only."""
    return list(incident.referrals.all()) if _timeline_whole(user) else []


def incident_photo_get_for_user(*, user, pk: int, original: bool = False) -> IncidentPhoto:
    """An evidence photo `user` may see, or PermissionDenied (his role never may) or Http404
    (not a photo of an incident he may read: the liaison's incidents never, a field officer's
    only his own). The original (with its GPS) is CAN_READ_ORIGINAL_PHOTOS's only."""
    roles = user_roles(user)
    if not roles & (CAN_READ_ORIGINAL_PHOTOS if original else CAN_READ_EVIDENCE_PHOTOS):
        raise PermissionDenied
    incidents = incident_list_for_user(user=user)
    photo = (
        IncidentPhoto.objects.filter(pk=pk, incident__in=incidents.values("pk"))
        .only("id", "incident_id", "display", "original", "content_type")
        .first()
    )
    if photo is None:
        raise Http404
    return photo


def alert_open_list() -> QuerySet[Alert]:
    """Open alerts, newest first (the caller checks the role: alerts are for komando and intel)."""
    return (
        Alert.objects.filter(status__in=OPEN_ALERT_STATUSES)
        .select_related("kelurahan")
        .prefetch_related("scores")
        .order_by("-created_at", "-id")
    )


def tps_return_list_for_user(*, user) -> QuerySet[TpsReturn]:
    """TPS returns: all for komando and intel, his own for a field officer."""
    roles = user_roles(user)
    qs = TpsReturn.objects.select_related("tps__kelurahan").order_by("-reported_at", "-id")
    if roles & CAN_READ_ALL_TPS_RETURNS:
        return qs
    if Role.LAPANGAN in roles:
        return qs.filter(reporter=user)
    return qs.none()


def tps_overdue_list(*, at=None) -> list[dict]:
    """TPS whose polling-day status is behind the schedule at `at` (now by default)."""
    at = timezone.localtime(at or timezone.now())
    polling = ElectionPhase.objects.filter(code="pemungutan").first()
    if polling is None:
        return []
    day = timezone.localtime(polling.starts_at).replace(hour=0, minute=0, second=0, microsecond=0)
    if not day <= at < day + dt.timedelta(days=1, hours=6):
        return []
    expected = "belum_dibuka"
    due_at = None
    for status, hour, minute in TPS_RETURN_SCHEDULE:
        deadline = day.replace(hour=hour, minute=minute)
        if at >= deadline:
            expected, due_at = status, deadline
    if expected == "belum_dibuka":
        return []
    need = STATUS_ORDER.index(expected)
    behind = [s for s in STATUS_ORDER if STATUS_ORDER.index(s) < need]
    return [
        {
            "tps": t["id"],
            "number": t["number"],
            "kelurahan": t["kelurahan__name"],
            "status": t["status"],
            "expected": expected,
            "due_at": due_at.isoformat(),
        }
        for t in Tps.objects.filter(status__in=behind)
        .values("id", "number", "kelurahan__name", "status")
        .order_by("kelurahan__name", "number")
    ]


def _distance_m(lat1, lon1, lat2, lon2) -> float:
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return 111_195.0 * math.hypot(lat2 - lat1, (lon2 - lon1) * k)


def dispatch_suggestions(*, incident: Incident, limit: int = 10) -> dict:
    """The nearest available officers and posts to an incident.

    An officer is placed at the post of his current active assignment, else at his Polsek's
    kecamatan, else at the city centre (Polres HQ). Siaga officers come before those already
    bertugas; then by distance; then by whether his unit covers the incident's kecamatan.
    """
    if incident.lat is None:
        if incident.kelurahan_id is None:
            return {"officers": [], "posts": []}
        lat, lon = incident.kelurahan.lat, incident.kelurahan.lon
    else:
        lat, lon = incident.lat, incident.lon
    now = timezone.now()
    where = {
        a["officer_id"]: (a["post__lat"], a["post__lon"], a["post__name"])
        for a in Assignment.objects.filter(
            status=Assignment.Status.ACTIVE, starts_at__lte=now, ends_at__gt=now
        ).values("officer_id", "post__lat", "post__lon", "post__name")
    }
    centre = settings.LEAFLET_CONFIG["DEFAULT_CENTER"]
    kec_id = incident.kelurahan.kecamatan_id if incident.kelurahan_id else None
    taken = set(incident.dispatches.values_list("officer_id", flat=True))
    rows = []
    for o in (
        Officer.objects.filter(status__in=[OfficerStatus.SIAGA, OfficerStatus.BERTUGAS])
        .exclude(contingent__status="released")
        .values(
            "id",
            "nrp",
            "name",
            "rank",
            "status",
            "unit__name",
            "unit__kecamatan_id",
            "unit__kecamatan__lat",
            "unit__kecamatan__lon",
        )
    ):
        if o["id"] in taken:
            continue
        if o["id"] in where:
            olat, olon, place = where[o["id"]]
        elif o["unit__kecamatan__lat"] is not None:
            olat, olon, place = (
                o["unit__kecamatan__lat"],
                o["unit__kecamatan__lon"],
                o["unit__name"],
            )
        else:
            olat, olon, place = centre[0], centre[1], "Mapolres"
        rows.append(
            {
                "officer": o["id"],
                "nrp": o["nrp"],
                "name": o["name"],
                "rank": o["rank"],
                "status": o["status"],
                "unit": o["unit__name"],
                "at": place,
                "distance_m": round(_distance_m(lat, lon, olat, olon)),
                "_key": (
                    o["status"] != OfficerStatus.SIAGA,
                    round(_distance_m(lat, lon, olat, olon) / 250),
                    o["unit__kecamatan_id"] != kec_id,
                    o["id"],
                ),
            }
        )
    rows.sort(key=lambda r: r["_key"])
    for r in rows:
        del r["_key"]
    posts = sorted(
        (
            {
                "post": p.pk,
                "name": p.name,
                "required_strength": p.required_strength,
                "distance_m": round(_distance_m(lat, lon, p.lat, p.lon)),
            }
            for p in Post.objects.filter(is_active=True).only(
                "pk", "name", "lat", "lon", "required_strength"
            )
        ),
        key=lambda r: (r["distance_m"], r["post"]),
    )
    return {"officers": rows[:limit], "posts": posts[:5]}


def alert_backtest(*, since, until, hours: int = 6) -> dict:
    """For past alerts: did an incident follow in the same kelurahan within `hours`? And which
    incidents had no alert in their kelurahan in the `hours` before them? (Exercises excluded.)"""
    window = dt.timedelta(hours=hours)
    alerts = list(
        Alert.objects.filter(
            created_at__gte=since, created_at__lt=until, is_exercise=False, kelurahan__isnull=False
        )
        .select_related("kelurahan")
        .order_by("created_at")
    )
    incidents = list(
        Incident.objects.filter(
            reported_at__gte=since,
            reported_at__lt=until + window,
            is_exercise=False,
            kelurahan__isnull=False,
        )
        .select_related("kelurahan")
        .order_by("reported_at")
    )
    by_kel: dict[int, list] = {}
    for incident in incidents:
        by_kel.setdefault(incident.kelurahan_id, []).append(incident)
    rows = []
    for alert in alerts:
        followed = [
            i
            for i in by_kel.get(alert.kelurahan_id, [])
            if alert.created_at <= i.reported_at <= alert.created_at + window
        ]
        rows.append(
            {
                "alert": alert.pk,
                "kind": alert.kind,
                "level": alert.level,
                "kelurahan": alert.kelurahan.name,
                "at": alert.created_at.isoformat(),
                "followed_by": [i.pk for i in followed],
            }
        )
    alerts_by_kel: dict[int, list] = {}
    for alert in alerts:
        alerts_by_kel.setdefault(alert.kelurahan_id, []).append(alert)
    missed = [
        {
            "incident": i.pk,
            "type": i.type,
            "kelurahan": i.kelurahan.name,
            "at": i.reported_at.isoformat(),
        }
        for i in incidents
        if i.reported_at < until
        and not any(
            i.reported_at - window <= a.created_at <= i.reported_at
            for a in alerts_by_kel.get(i.kelurahan_id, [])
        )
    ]
    hits = sum(1 for r in rows if r["followed_by"])
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "hours": hours,
        "alerts": len(rows),
        "alerts_followed": hits,
        "incidents": sum(1 for i in incidents if i.reported_at < until),
        "incidents_without_alert": len(missed),
        "alert_rows": rows,
        "missed": missed,
    }


def alert_report_refs(alert: Alert) -> list[dict]:
    """The reports behind an alert and where to read them (uses prefetched scores if any)."""
    return score_refs(alert.scores.all())


def score_refs(scores) -> list[dict]:
    """Each scored report: its kind, id, a label and the page where to read it."""
    refs = []
    for score in scores:
        if score.incident_id:
            kind, pk, url = "incident", score.incident_id, f"/kejadian/{score.incident_id}/"
            label = _("Kejadian #%(n)d")
        elif score.intel_id:
            kind, pk, url = "intel", score.intel_id, f"/intel/laporan/{score.intel_id}/"
            label = _("Laporan informasi #%(n)d")
        else:
            kind, pk = "tip", score.tip_id
            url = f"/intel/informasi/?status=all#tip-{score.tip_id}"
            label = _("Informasi masyarakat #%(n)d")
        refs.append(
            {
                "kind": kind,
                "id": pk,
                "label": str(label) % {"n": pk},
                "url": url,
                "score": score.score,
                "level": score.level,
            }
        )
    return refs


ALERT_ROW_FIELDS = [
    "id",
    "kind",
    "level",
    "status",
    "title",
    "reasons",
    "kelurahan__name",
    "created_at",
    "updated_at",
    "escalation",
    "acknowledged_at",
    "ack_overdue_at",
    "closed_at",
    "outcome",
    "is_exercise",
]
_ALERT_TIMES = ("created_at", "updated_at", "acknowledged_at", "ack_overdue_at", "closed_at")


def alert_rows(ids: list[int]) -> list[dict]:
    """The API's representation of the alerts `ids`, in that order, in two queries."""
    when = DateTimeField()
    rows = {r["id"]: r for r in Alert.objects.filter(pk__in=ids).values(*ALERT_ROW_FIELDS)}
    refs: dict[int, list] = {pk: [] for pk in ids}
    # Newest report first, as EwScore orders itself (and so the prefetch on the detail page).
    through = Alert.scores.through.objects.filter(alert_id__in=ids).order_by(
        "-ewscore__scored_at", "-ewscore__id"
    )
    for link in through.select_related("ewscore").only(
        "alert_id",
        "ewscore__id",
        "ewscore__incident_id",
        "ewscore__intel_id",
        "ewscore__tip_id",
        "ewscore__score",
        "ewscore__level",
    ):
        refs[link.alert_id].append(link.ewscore)
    out = []
    for pk in ids:
        row = rows.get(pk)
        if row is None:
            continue
        row["kelurahan"] = row.pop("kelurahan__name")
        for field in _ALERT_TIMES:
            row[field] = when.to_representation(row[field]) if row[field] else None
        row["reports"] = len(refs[pk])
        row["report_refs"] = score_refs(refs[pk])
        out.append(row)
    return out
