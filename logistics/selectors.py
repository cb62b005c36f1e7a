"""Reads of election logistics: legs as each role may see them, the convoy board, progress per
kecamatan, the custody trail (with or without names) and the situation report's section."""

import datetime as dt

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.access import (
    CAN_READ_CUSTODY_PHOTOS,
    CAN_READ_LOGISTICS,
    CAN_READ_LOGISTICS_NAMES,
    user_has_role,
)
from logistics.models import (
    CustodyEvent,
    CustodyPhoto,
    Leg,
    LegStatus,
    ManifestItem,
    Problem,
    Stage,
)
from operations.models import Kecamatan, Tps
from operations.recap import recap_rows

BOARD_LIMIT = 12  # legs shown per column (the count is of all)
LOADING_AHEAD = dt.timedelta(hours=6)


def _legs():
    return Leg.objects.select_related("origin", "destination")


def _escorted_by(user):
    """The legs `user`'s officer commands or escorts."""
    return _legs().filter(Q(commander__user=user) | Q(escorts__user=user)).distinct()


def leg_list_for_user(*, user):
    """Every leg for those who read logistics (the liaison without names: the serializers drop
    them); a field officer the legs he escorts. With the escort team, for the pages and API."""
    legs = _legs() if user_has_role(user, CAN_READ_LOGISTICS) else _escorted_by(user)
    return legs.select_related("commander").prefetch_related("escorts")


def leg_get_for_user(*, user, pk) -> Leg:
    leg = leg_list_for_user(user=user).filter(pk=pk).first()
    if leg is None:
        raise Http404(_("Perjalanan logistik tidak ditemukan."))
    return leg


def escort_legs_for(*, user):
    """The legs `user` escorts that are still to do, or finished in the last 12 hours."""
    recent = timezone.now() - dt.timedelta(hours=12)
    return (
        _escorted_by(user)
        .filter(Q(handed_over_at__isnull=True) | Q(handed_over_at__gte=recent))
        .order_by("planned_departure", "code")
    )


def names_visible(user) -> bool:
    return user_has_role(user, CAN_READ_LOGISTICS_NAMES)


BOARD_COLUMNS = [
    ("muat", gettext_lazy("Pemuatan")),
    ("jalan", gettext_lazy("Di jalan")),
    ("tiba", gettext_lazy("Tiba")),
    ("diserahkan", gettext_lazy("Diserahterimakan")),
    ("masalah", gettext_lazy("Masalah")),
]


# The board's column of a leg by its status; a leg with a problem is under "masalah" whatever
# its status (a stopped leg always has one).
COLUMN_OF = {
    LegStatus.RENCANA: "muat",
    LegStatus.MUAT: "muat",
    LegStatus.JALAN: "jalan",
    LegStatus.TERHENTI: "masalah",
    LegStatus.TIBA: "tiba",
    LegStatus.DISERAHKAN: "diserahkan",
}


def _column(leg: Leg) -> str:
    return "masalah" if leg.problem else COLUMN_OF[leg.status]


def convoy_board(*, now: dt.datetime | None = None, exercise: bool | None = None) -> dict:
    """The board: legs by column (loading: due to leave within LOADING_AHEAD; handed over:
    in the last 24 hours; problems whatever their age), the legs on the road with their last
    position, and the progress per kecamatan."""
    now = now or timezone.now()
    qs = _legs().filter(
        Q(status__in=[LegStatus.JALAN, LegStatus.TERHENTI])
        | Q(status=LegStatus.TIBA, arrived_at__gte=now - dt.timedelta(hours=24))
        | ~Q(problem=Problem.NONE)
        | Q(
            status__in=[LegStatus.RENCANA, LegStatus.MUAT],
            planned_departure__lte=now + LOADING_AHEAD,
        )
        | Q(status=LegStatus.DISERAHKAN, handed_over_at__gte=now - dt.timedelta(hours=24))
    )
    if exercise is not None:
        qs = qs.filter(is_exercise=exercise)
    columns: dict[str, list[Leg]] = {key: [] for key, _label in BOARD_COLUMNS}
    for leg in qs.order_by("planned_arrival", "code"):
        leg.late = leg.arrived_at is None and leg.planned_arrival < now
        columns[_column(leg)].append(leg)
    # The latest handovers first: what the command post wants to see come in.
    columns["diserahkan"].sort(key=lambda leg: leg.handed_over_at or now, reverse=True)
    on_road = [
        {
            "id": leg.pk,
            "code": leg.code,
            "status": leg.status,
            "problem": leg.problem,
            "lat": leg.last_lat if leg.last_lat is not None else leg.origin.lat,
            "lon": leg.last_lon if leg.last_lon is not None else leg.origin.lon,
            "to": leg.destination.name,
        }
        for leg in columns["jalan"] + columns["masalah"]
        if leg.status in (LegStatus.JALAN, LegStatus.TERHENTI)
    ]
    return {
        "columns": [
            {
                "key": key,
                "label": label,
                "count": len(columns[key]),
                "legs": columns[key][:BOARD_LIMIT],
            }
            for key, label in BOARD_COLUMNS
        ],
        "on_road": on_road,
        "progress": kecamatan_progress(),
        "recap": recap_rows(now=now),
        "total": Leg.objects.count(),
    }


def kecamatan_progress() -> list[dict]:
    """Per kecamatan: its TPS, those supplied (a PPS->TPS leg handed over) and those whose
    results were collected (a TPS->PPS leg handed over)."""
    totals = dict(
        Tps.objects.values_list("kelurahan__kecamatan").annotate(n=Count("id")).order_by()
    )
    done = (
        Leg.objects.filter(status=LegStatus.DISERAHKAN, stage__in=[Stage.PPS_TPS, Stage.TPS_PPS])
        .values("stage", "destination__kecamatan", "origin__kecamatan")
        .annotate(n=Count("id"))
        .order_by()
    )
    supplied: dict[int, int] = {}
    collected: dict[int, int] = {}
    for row in done:
        if row["stage"] == Stage.PPS_TPS:
            kec = row["destination__kecamatan"]
            supplied[kec] = supplied.get(kec, 0) + row["n"]
        else:
            kec = row["origin__kecamatan"]
            collected[kec] = collected.get(kec, 0) + row["n"]
    rows = []
    for kec in Kecamatan.objects.order_by("name"):
        total = totals.get(kec.pk, 0)
        rows.append(
            {
                "kecamatan": kec.name,
                "tps": total,
                "supplied": min(supplied.get(kec.pk, 0), total),
                "collected": min(collected.get(kec.pk, 0), total),
            }
        )
    return rows


def difference_text(diff: dict) -> str:
    """One difference from the manifest, in words."""
    if "seal" in diff:
        if diff["problem"] == "hilang":
            return _("segel %(s)s tidak ada") % {"s": diff["seal"]}
        return _("segel %(s)s tidak ada di manifes") % {"s": diff["seal"]}
    label = ManifestItem(diff["item"]).label
    return _("%(i)s: manifes %(e)s, diterima %(f)s") % {
        "i": label,
        "e": diff["expected"],
        "f": "-" if diff["found"] is None else diff["found"],
    }


def custody_trail(*, user, leg: Leg | None = None, limit: int = 200) -> list[dict]:
    """Custody events newest first, as `user` may read them: with the escort's and the
    receiver's names for the command post, roles only for the liaison."""
    names = names_visible(user)
    photos = user_has_role(user, CAN_READ_CUSTODY_PHOTOS)
    qs = CustodyEvent.objects.select_related(
        "leg__origin", "leg__destination", "officer"
    ).prefetch_related("photos")
    if leg is not None:
        qs = qs.filter(leg=leg)
    rows = []
    for event in qs.order_by("-at", "-id")[:limit]:
        rows.append(
            {
                "id": event.pk,
                "leg": event.leg.code,
                "leg_id": event.leg_id,
                "route": f"{event.leg.origin.name} → {event.leg.destination.name}",
                "kind": event.kind,
                "kind_label": event.get_kind_display(),
                "at": event.at,
                "receiver_role": event.get_receiver_role_display() if event.receiver_role else "",
                "receiver_name": event.receiver_name if names else "",
                "officer": str(event.officer) if names and event.officer_id else "",
                "counts": event.counts,
                "counts_text": ", ".join(
                    f"{ManifestItem(k).label} {v}" for k, v in event.counts.items()
                ),
                "differences_text": [difference_text(d) for d in event.differences],
                "seals": event.seals,
                "differences": event.differences,
                "note": event.note if names else "",
                # The photos' ids for who may open them (custody_photo_get_for_user), a count
                # for the liaison.
                "photos": [p.pk for p in event.photos.all()] if photos else [],
                "photo_count": len(event.photos.all()),
            }
        )
    return rows


def custody_photo_get_for_user(*, user, pk) -> CustodyPhoto:
    """A handover photo, for who may read its leg (a field officer only his own legs)."""
    photo = CustodyPhoto.objects.select_related("event").filter(pk=pk).first()
    if photo is None or not leg_list_for_user(user=user).filter(pk=photo.event.leg_id).exists():
        raise Http404(_("Foto tidak ditemukan."))
    return photo


def logistics_summary(*, start: dt.datetime, end: dt.datetime, exercise: bool = False) -> dict:
    """The situation report's section for [start, end): the legs planned to be on the road in
    the period, by their status now, those with a problem; and the progress per kecamatan."""
    legs = Leg.objects.filter(
        is_exercise=exercise, planned_departure__lt=end, planned_arrival__gte=start
    )
    by_status = dict(legs.values_list("status").annotate(n=Count("id")).order_by())
    problems = [
        {
            "code": leg.code,
            "route": f"{leg.origin.name} → {leg.destination.name}",
            "problem": str(leg.get_problem_display()),
            "note": leg.problem_note,
        }
        for leg in legs.exclude(problem=Problem.NONE)
        .select_related("origin", "destination")
        .order_by("planned_arrival")[:20]
    ]
    return {
        "total": sum(by_status.values()),
        "by_status": [
            {"status": s.value, "label": str(s.label), "n": by_status.get(s.value, 0)}
            for s in LegStatus
        ],
        "problems": problems,
        "problem_count": legs.exclude(problem=Problem.NONE).count(),
        "progress": kecamatan_progress(),
    }
