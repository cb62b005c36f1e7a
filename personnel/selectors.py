"""Reads of the personnel app, its access functions and the strength roll-up (kekuatan)."""

from django.apps import apps
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from core.access import CAN_READ_ALL_OFFICERS, Role, user_roles
from personnel.models import BkoContingent, Officer, OfficerStatus, Satgas, Unit

AVAILABLE_STATUSES = (OfficerStatus.SIAGA, OfficerStatus.BERTUGAS)


def officer_list_for_user(*, user) -> QuerySet[Officer]:
    """Officers `user` may see: the roster for komando, intel and admin; himself for a field
    officer; nobody for the KPU liaison (names, NRP and phones are personal data)."""
    roles = user_roles(user)
    qs = Officer.objects.select_related("unit", "satgas", "contingent").order_by("-rank", "name")
    if roles & CAN_READ_ALL_OFFICERS:
        return qs
    if Role.LAPANGAN in roles:
        return qs.filter(user=user)
    return qs.none()


def officer_in_service_q() -> Q:
    """Officers who count in the strength: Polres, and BKO that have not been sent home."""
    return Q(contingent__isnull=True) | ~Q(contingent__status=BkoContingent.Status.RELEASED)


def _with_deployed(qs: QuerySet[Officer]) -> QuerySet[Officer]:
    # By the app registry, not an import: operations' Assignment points at the officer, and
    # personnel sits below operations. "active" is Assignment.Status.ACTIVE.
    assignment = apps.get_model("operations", "Assignment")
    active = assignment.objects.filter(officer=OuterRef("pk"), status="active")
    return qs.annotate(deployed=Exists(active))


def _split(rows, key: str) -> list[dict]:
    """Fold (key, is_bko, n) rows into [{key, polres, bko, total}]."""
    out: dict = {}
    for row in rows:
        entry = out.setdefault(row[key], {"polres": 0, "bko": 0})
        entry["bko" if row["is_bko"] else "polres"] += row["n"]
    return [{key: k, **v, "total": v["polres"] + v["bko"]} for k, v in out.items()]


def strength_rollup() -> dict:
    """Totals by unit, satgas and status, Polres and BKO apart, deployed against reserve.

    deployed: has an active (not cancelled) assignment; reserve: available (siaga or bertugas)
    with none; unavailable: lepas dinas, sakit/cuti, luka, istirahat or butuh bantuan (an
    officer on a break or calling for backup is not one to send).
    """
    qs = _with_deployed(Officer.objects.filter(officer_in_service_q())).annotate(
        is_bko=Q(contingent__isnull=False)
    )
    base = qs.values("is_bko")
    totals = {"polres": 0, "bko": 0}
    for row in base.annotate(n=Count("id")).order_by():
        totals["bko" if row["is_bko"] else "polres"] += row["n"]
    by_status = _split(qs.values("status", "is_bko").annotate(n=Count("id")).order_by(), "status")
    contingent_labels = dict(BkoContingent.Status.choices)
    labels = dict(OfficerStatus.choices)
    for row in by_status:
        row["label"] = str(labels.get(row["status"], row["status"]))
    by_status.sort(key=lambda r: list(labels).index(r["status"]))
    units = {u.pk: u for u in Unit.objects.all()}
    by_unit = _split(qs.values("unit_id", "is_bko").annotate(n=Count("id")).order_by(), "unit_id")
    for row in by_unit:
        unit = units[row.pop("unit_id")]
        row.update({"unit": unit.name, "code": unit.code, "kind": unit.kind})
    by_unit.sort(key=lambda r: (r["kind"], r["unit"]))
    satgas = {s.pk: s.name for s in Satgas.objects.all()}
    by_satgas = _split(
        qs.values("satgas_id", "is_bko").annotate(n=Count("id")).order_by(), "satgas_id"
    )
    for row in by_satgas:
        sid = row.pop("satgas_id")
        row["satgas"] = satgas.get(sid, "-") if sid else "-"
    by_satgas.sort(key=lambda r: (r["satgas"] == "-", r["satgas"]))
    deployment = {
        "deployed": {"polres": 0, "bko": 0},
        "reserve": {"polres": 0, "bko": 0},
        "unavailable": {"polres": 0, "bko": 0},
    }
    for row in qs.values("is_bko", "deployed", "status").annotate(n=Count("id")).order_by():
        side = "bko" if row["is_bko"] else "polres"
        if row["deployed"]:
            deployment["deployed"][side] += row["n"]
        elif row["status"] in AVAILABLE_STATUSES:
            deployment["reserve"][side] += row["n"]
        else:
            deployment["unavailable"][side] += row["n"]
    return {
        "total": totals["polres"] + totals["bko"],
        "polres": totals["polres"],
        "bko": totals["bko"],
        "deployment": deployment,
        "by_status": by_status,
        "by_unit": by_unit,
        "by_satgas": by_satgas,
        "contingents": [
            {**c, "status_label": str(contingent_labels.get(c["status"], c["status"]))}
            for c in BkoContingent.objects.annotate(checked_in=Count("officers"))
            .values("id", "name", "strength", "checked_in", "status")
            .order_by("name")
        ],
    }
