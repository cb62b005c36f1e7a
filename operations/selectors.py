"""Reads of the operations app."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import CAN_READ_ALL_ASSIGNMENTS, Role, user_roles
from operations import planner
from operations.models import Assignment, ElectionPhase, Kecamatan, Post, PostKind, Tps, TpsCategory
from personnel.models import BkoContingent, Officer, OfficerStatus, UnitKind

CATEGORY_KEYS = [c.value for c in TpsCategory] + ["khusus"]


def tps_counts_by_category(queryset=None) -> dict[str, int]:
    """TPS per category; a TPS khusus counts as khusus whatever its vulnerability."""
    qs = Tps.objects.all() if queryset is None else queryset
    counts = dict.fromkeys(CATEGORY_KEYS, 0)
    for row in qs.values("category", "is_khusus").annotate(n=Count("id")):
        key = "khusus" if row["is_khusus"] else row["category"]
        counts[key] += row["n"]
    return counts


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


def planner_input_build(*, pattern, reserve_share: float, starts_at, ends_at, keep_manual: bool):
    """The planner's input from the database: TPS, fixed posts, available officers, pins.

    Available: status siaga or bertugas, and for BKO a contingent that has arrived and not been
    released. Manual assignments overlapping the window become pins when kept (or make the
    officer unavailable when their post is not one the planner fills); the planner's own earlier
    assignments are replaced, so they neither pin nor block.
    """
    tps = [
        planner.PlanTps(
            id=t["id"],
            kelurahan=t["kelurahan__name"],
            kecamatan=t["kelurahan__kecamatan__name"],
            lat=t["lat"],
            lon=t["lon"],
            category="khusus" if t["is_khusus"] else t["category"],
        )
        for t in Tps.objects.values(
            "id",
            "kelurahan__name",
            "kelurahan__kecamatan__name",
            "lat",
            "lon",
            "is_khusus",
            "category",
        )
    ]
    posts = [
        planner.PlanPost(
            key=f"post-{p.pk}",
            name=p.name,
            kecamatan=p.kecamatan.name if p.kecamatan else None,
            lat=p.lat,
            lon=p.lon,
            required=p.required_strength,
            priority=p.priority,
        )
        for p in Post.objects.filter(is_active=True)
        .exclude(kind=PostKind.TPS)
        .select_related("kecamatan")
    ]
    officers_qs = (
        Officer.objects.filter(status__in=[OfficerStatus.SIAGA, OfficerStatus.BERTUGAS])
        .filter(Q(contingent__isnull=True) | Q(contingent__status=BkoContingent.Status.ARRIVED))
        .values("id", "rank", "unit__name", "unit__kind", "unit__kecamatan__name", "contingent_id")
    )
    officers = []
    for o in officers_qs:
        if o["contingent_id"] is not None:
            tier = "bko"
        elif o["unit__kind"] == UnitKind.POLSEK:
            tier = "polsek"
        else:
            tier = "polres"
        officers.append(
            planner.PlanOfficer(
                id=o["id"],
                tier=tier,
                kecamatan=o["unit__kecamatan__name"] if tier == "polsek" else None,
                unit=o["unit__name"],
                rank=o["rank"],
            )
        )
    pins: dict[int, str] = {}
    if keep_manual:
        manual = Assignment.objects.filter(
            status=Assignment.Status.ACTIVE,
            source=Assignment.Source.MANUAL,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        ).values("officer_id", "post_id", "post__kind", "post__plan_key", "post__is_active")
        busy = set()
        for a in manual:
            if not a["post__is_active"]:
                busy.add(a["officer_id"])
            elif a["post__kind"] == PostKind.TPS:
                if a["post__plan_key"]:
                    pins[a["officer_id"]] = a["post__plan_key"]
                else:
                    busy.add(a["officer_id"])
            else:
                pins[a["officer_id"]] = f"post-{a['post_id']}"
        officers = [o for o in officers if o.id not in busy]
    rules = {
        cat: planner.PatternRule(
            officers=int(r["officers"]), max_tps=int(r["max_tps"]), min_tps=int(r.get("min_tps", 1))
        )
        for cat, r in pattern.rules.items()
    }
    return planner.PlanInput(
        tps=tps,
        officers=officers,
        posts=posts,
        pattern=rules,
        reserve_share=reserve_share,
        pins=pins,
    )


def assignment_list_for_user(*, user):
    """Assignments `user` may see: all for komando, intel and admin; his own for a field officer;
    none for the KPU liaison (they name officers)."""
    roles = user_roles(user)
    qs = Assignment.objects.select_related("officer", "post").order_by("starts_at", "id")
    if roles & CAN_READ_ALL_ASSIGNMENTS:
        return qs
    if Role.LAPANGAN in roles:
        return qs.filter(officer__user=user)
    return qs.none()


def assignment_get_for_checkin(*, officer, pk: int) -> Assignment | None:
    """The assignment `pk` for `officer` to check in at: his own, with its post; None when
    there is none; PermissionDenied when it is another officer's (a check-in is only ever at
    one's own post, so the answer says so rather than hiding it)."""
    assignment = Assignment.objects.select_related("post").filter(pk=pk).first()
    if assignment is not None and assignment.officer_id != officer.pk:
        raise PermissionDenied(
            _("Penugasan #%(n)d bukan penugasan Anda: apel hanya di pos penugasan sendiri.")
            % {"n": assignment.pk}
        )
    return assignment


def operation_window_default():
    """H-1 to H+1 around polling day (00:00 the day before to 23:59 the day after, WIB), the
    three days Polda Lampung kept officers on TPS duty; from now for three days without one."""
    polling = ElectionPhase.objects.filter(code="pemungutan").first()
    if polling is None:
        start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + dt.timedelta(days=3) - dt.timedelta(minutes=1)
    day = timezone.localtime(polling.starts_at).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - dt.timedelta(days=1), day + dt.timedelta(days=2) - dt.timedelta(minutes=1)


def _post_key(plan_key: str | None, post_id: int) -> str:
    # The planner's target key: a TPS-cluster post by its stable plan key, any other post by id.
    return plan_key or f"post-{post_id}"


def plan_window_assignments(plan):
    """The active assignments in the plan's window, and those of them applying it replaces
    (the planner's; every one when it was run without keeping manual ones): shared by the
    preview (plan_changes) and operations.services.plan_accept, so they cannot drift apart."""
    window = {"starts_at__lt": plan.ends_at, "ends_at__gt": plan.starts_at}
    active = Assignment.objects.filter(status=Assignment.Status.ACTIVE, **window)
    replaced = active.filter(source=Assignment.Source.PLANNER) if plan.keep_manual else active
    return active, replaced


def plan_changes(plan) -> dict:
    """What applying the draft `plan` would do to the assignments in its window, as
    :func:`operations.services.plan_accept` does it: officers added (not on duty there now),
    moved (now at another post), staying, removed (a planner assignment the plan does not
    make again; manual ones too when the plan was run without keeping them) and skipped
    (assigned by hand since the run). Counts, and the first rows of each with names."""
    active, replaced_qs = plan_window_assignments(plan)
    rows = replaced_qs.values_list("officer_id", "post__plan_key", "post_id", "post__name")
    replaced = {o: (_post_key(k, p), name) for o, k, p, name in rows}
    kept = set(active.exclude(pk__in=replaced_qs.values("pk")).values_list("officer_id", flat=True))
    planned: dict[int, tuple[str, str]] = {}
    for cluster in plan.result.get("clusters", []):
        for a in cluster["officers"]:
            if not a["pinned"]:
                planned[a["officer_id"]] = (cluster["key"], cluster["name"])
    out: dict[str, list] = {"add": [], "move": [], "stay": [], "remove": [], "skip": []}
    for officer_id, (key, name) in planned.items():
        if officer_id in kept:
            out["skip"].append((officer_id, name, None))
        elif officer_id not in replaced:
            out["add"].append((officer_id, name, None))
        elif replaced[officer_id][0] != key:
            out["move"].append((officer_id, name, replaced[officer_id][1]))
        else:
            out["stay"].append((officer_id, name, None))
    for officer_id, (_key, name) in replaced.items():
        if officer_id not in planned:
            out["remove"].append((officer_id, None, name))
    shown = {k: v[:30] for k, v in out.items()}
    names = dict(
        Officer.objects.filter(
            pk__in={o for rows in shown.values() for o, _to, _from in rows}
        ).values_list("pk", "name")
    )
    return {
        "counts": {k: len(v) for k, v in out.items()},
        "rows": {
            k: [{"officer": names.get(o, o), "to": to, "from": frm} for o, to, frm in v]
            for k, v in shown.items()
        },
    }
