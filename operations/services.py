"""Writes of the operations app: TPS vulnerability, posts, assignments, deployment plans, the
field officer's check-ins at his posts."""

import datetime as dt
import math
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.phonetime import PhoneTime, phone_time_check
from core.services import audit_diff, audit_record, audit_snapshot
from operations import planner
from operations.models import (
    Assignment,
    CheckIn,
    DeploymentPattern,
    DeploymentPlan,
    Kelurahan,
    Post,
    PostKind,
    Tps,
    TpsCategory,
    validate_in_city,
)
from operations.selectors import plan_window_assignments, planner_input_build
from operations.vulnerability import vulnerability_category
from personnel.models import Officer

TPS_FIELDS = [
    "kelurahan",
    "number",
    "address",
    "lat",
    "lon",
    "dpt",
    "is_khusus",
    "khusus_kind",
    "indicators",
    "category_computed",
    "category_override",
    "override_reason",
    "category",
]


INDICATOR_FIELDS = ["indicators", "category_computed", "category"]
POST_FIELDS = ["kind", "name", "lat", "lon", "required_strength"]


def tps_apply_category(tps: Tps) -> None:
    """Recompute the category from the indicators; an override, when set, stays in force."""
    tps.category_computed = vulnerability_category(list(tps.indicators or []))
    tps.category = tps.category_override or tps.category_computed


def tps_create(*, by, **fields) -> Tps:
    """Add a TPS, its category computed from its indicators, checked and audited."""
    tps = Tps(**fields)
    tps_apply_category(tps)
    tps.full_clean()
    tps.save()
    audit_record(actor=by, action="tps.create", obj=tps)
    return tps


@transaction.atomic
def tps_set_indicators(*, tps: Tps, by, indicators: list[str]) -> Tps:
    """Record the Bawaslu-style indicators that hold for a TPS; its category follows the rule."""
    tps = Tps.objects.select_for_update().get(pk=tps.pk)
    before = audit_snapshot(tps, INDICATOR_FIELDS)
    tps.indicators = sorted(set(indicators))
    try:
        tps_apply_category(tps)
    except ValueError as exc:
        raise ValidationError({"indicators": str(exc)}) from None
    tps.save(update_fields=["indicators", "category_computed", "category"])
    audit_record(
        actor=by,
        action="tps.indicators",
        obj=tps,
        changes=audit_diff(
            before, audit_snapshot(tps, ["indicators", "category_computed", "category"])
        ),
    )
    return tps


@transaction.atomic
def tps_override_category(*, tps: Tps, by, category: str, reason: str) -> Tps:
    """Set the category by command-post decision (with a reason), or clear it with ''."""
    if category and category not in TpsCategory.values:
        raise ValidationError({"category": _("Kategori tidak dikenal.")})
    if category and not reason.strip():
        raise ValidationError({"reason": _("Alasan penetapan wajib diisi.")})
    tps = Tps.objects.select_for_update().get(pk=tps.pk)
    before = audit_snapshot(tps, ["category_override", "override_reason", "category"])
    tps.category_override = category
    tps.override_reason = reason.strip() if category else ""
    tps.category = category or tps.category_computed
    tps.save(update_fields=["category_override", "override_reason", "category"])
    audit_record(
        actor=by,
        action="tps.override",
        obj=tps,
        changes=audit_diff(
            before, audit_snapshot(tps, ["category_override", "override_reason", "category"])
        ),
        note=reason,
    )
    return tps


@transaction.atomic
def post_create(*, by, tps_ids: list[int] | None = None, **fields) -> Post:
    """Open a security post (KPU office, warehouse, a TPS cluster, ...)."""
    post = Post(**fields)
    post.full_clean(exclude=["tps"])
    post.save()
    if tps_ids:
        post.tps.set(Tps.objects.filter(pk__in=tps_ids))
    audit_record(
        actor=by,
        action="post.create",
        obj=post,
        changes=audit_diff(
            {}, audit_snapshot(post, ["kind", "name", "lat", "lon", "required_strength"])
        ),
    )
    return post


def _overlapping(officer_id: int, starts_at, ends_at):
    return Assignment.objects.filter(
        officer_id=officer_id,
        status=Assignment.Status.ACTIVE,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )


@transaction.atomic
def assignment_create(
    *,
    by,
    officer: Officer,
    post: Post,
    starts_at,
    ends_at,
    reason: str = "",
    source: str = Assignment.Source.MANUAL,
    plan: DeploymentPlan | None = None,
) -> Assignment:
    """Put an officer at a post for a window; refused if he is elsewhere at any moment of it.

    Locking: the officer's row is locked first, so two concurrent assignments of the same
    officer are serialised and the overlap check cannot be raced.
    """
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("Waktu selesai harus sesudah waktu mulai.")})
    officer = (
        Officer.objects.select_for_update(of=("self",))
        .select_related("contingent")
        .get(pk=officer.pk)
    )
    if officer.contingent is not None and officer.contingent.status == "released":
        raise ValidationError({"officer": _("Personel BKO ini sudah dikembalikan.")})
    if not post.is_active:
        raise ValidationError({"post": _("Pos ini tidak aktif.")})
    clash = _overlapping(officer.pk, starts_at, ends_at).select_related("post").first()
    if clash is not None:
        raise ValidationError(
            {
                "officer": _(
                    "%(o)s sudah ditugaskan di %(p)s pada %(a)s – %(b)s (penugasan #%(id)d)."
                )
                % {
                    "o": officer,
                    "p": clash.post.name,
                    "a": timezone.localtime(clash.starts_at).strftime("%d-%m-%Y %H:%M"),
                    "b": timezone.localtime(clash.ends_at).strftime("%d-%m-%Y %H:%M"),
                    "id": clash.pk,
                }
            }
        )
    assignment = Assignment.objects.create(
        officer=officer,
        post=post,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason[:255],
        source=source,
        plan=plan,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit_record(
        actor=by,
        action="assignment.create",
        obj=assignment,
        changes={"officer": [None, officer.pk], "post": [None, post.pk], "source": [None, source]},
    )
    return assignment


@transaction.atomic
def assignment_cancel(*, assignment: Assignment, by, note: str = "") -> Assignment:
    """Cancel an assignment (kept, marked cancelled: nothing is deleted)."""
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.status == Assignment.Status.CANCELLED:
        return assignment
    assignment.status = Assignment.Status.CANCELLED
    assignment.save(update_fields=["status"])
    audit_record(
        actor=by,
        action="assignment.cancel",
        obj=assignment,
        changes={"status": ["active", "cancelled"]},
        note=note,
    )
    return assignment


def plan_run(
    *,
    by,
    reserve_share: float,
    starts_at,
    ends_at,
    pattern: DeploymentPattern | None = None,
    keep_manual: bool = True,
) -> DeploymentPlan:
    """Run the planner on the current TPS, posts and officers; store the result as a draft."""
    if not 0 <= reserve_share < 1:
        raise ValidationError({"reserve_share": _("Porsi cadangan harus 0 sampai kurang dari 1.")})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("Waktu selesai harus sesudah waktu mulai.")})
    pattern = pattern or DeploymentPattern.objects.filter(is_default=True).first()
    if pattern is None:
        raise ValidationError(
            {"pattern": _("Belum ada pola penempatan bawaan: pilih pola atau tetapkan satu.")}
        )
    data = planner_input_build(
        pattern=pattern,
        reserve_share=reserve_share,
        starts_at=starts_at,
        ends_at=ends_at,
        keep_manual=keep_manual,
    )
    started = time.perf_counter()
    result = planner.plan(data)
    elapsed_ms = int((time.perf_counter() - started) * 1000)
    as_dict = result.as_dict()
    with transaction.atomic():
        plan = DeploymentPlan.objects.create(
            pattern=pattern,
            reserve_share=reserve_share,
            starts_at=starts_at,
            ends_at=ends_at,
            keep_manual=keep_manual,
            coverage=as_dict["coverage"],
            result={"clusters": as_dict["clusters"], "reserve_ids": as_dict["reserve_ids"]},
            duration_ms=elapsed_ms,
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        audit_record(
            actor=by,
            action="plan.run",
            obj=plan,
            changes={"coverage": [None, as_dict["coverage"]]},
        )
    return plan


@transaction.atomic
def plan_accept(*, plan: DeploymentPlan, by) -> DeploymentPlan:
    """Apply a draft plan: TPS-cluster posts are created or updated by their stable key, the
    planner's previous assignments in the window are cancelled and the new ones made. Manual
    assignments stay unless the plan was run with keep_manual off, when they are cancelled too."""
    plan = DeploymentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != DeploymentPlan.Status.DRAFT:
        raise ValidationError({"status": _("Hanya rencana draf yang dapat diterapkan.")})
    active, old = plan_window_assignments(plan)
    cancelled = old.update(status=Assignment.Status.CANCELLED)
    DeploymentPlan.objects.filter(status=DeploymentPlan.Status.ACCEPTED).update(
        status=DeploymentPlan.Status.SUPERSEDED
    )
    clusters = plan.result.get("clusters", [])
    posts_by_key: dict[str, Post] = {}
    kelurahan_by_name = {k.name: k for k in Kelurahan.objects.select_related("kecamatan")}
    live_keys = []
    for cluster in clusters:
        if cluster["kind"] == "post":
            posts_by_key[cluster["key"]] = Post.objects.get(pk=int(cluster["key"].split("-")[1]))
            continue
        kel = kelurahan_by_name.get(cluster["kelurahan"])
        post, _created = Post.objects.update_or_create(
            plan_key=cluster["key"],
            defaults={
                "kind": PostKind.TPS,
                "name": cluster["name"],
                "kelurahan": kel,
                "kecamatan": kel.kecamatan if kel else None,
                "lat": cluster["lat"],
                "lon": cluster["lon"],
                "required_strength": cluster["required"],
                "is_active": True,
            },
        )
        post.tps.set(cluster["tps_ids"])
        posts_by_key[cluster["key"]] = post
        live_keys.append(cluster["key"])
    Post.objects.filter(kind=PostKind.TPS, plan_key__isnull=False).exclude(
        plan_key__in=live_keys
    ).update(is_active=False)
    # Someone may have been assigned by hand between the run and now: leave him where he is.
    busy = set(active.values_list("officer_id", flat=True))
    rows = []
    skipped = 0
    for cluster in clusters:
        for a in cluster["officers"]:
            if a["pinned"]:
                continue  # a kept manual assignment already exists
            if a["officer_id"] in busy:
                skipped += 1
                continue
            rows.append(
                Assignment(
                    officer_id=a["officer_id"],
                    post=posts_by_key[cluster["key"]],
                    starts_at=plan.starts_at,
                    ends_at=plan.ends_at,
                    source=Assignment.Source.PLANNER,
                    reason=a["reason"][:255],
                    plan=plan,
                    created_by=by if getattr(by, "is_authenticated", False) else None,
                )
            )
    # The planner gives each officer one target and busy officers are skipped above, so no new
    # row overlaps another active one in this window.
    Assignment.objects.bulk_create(rows, batch_size=1000)
    plan.status = DeploymentPlan.Status.ACCEPTED
    plan.accepted_by = by if getattr(by, "is_authenticated", False) else None
    plan.accepted_at = timezone.now()
    plan.save(update_fields=["status", "accepted_by", "accepted_at"])
    audit_record(
        actor=by,
        action="plan.accept",
        obj=plan,
        changes={"assignments": [cancelled, len(rows)], "posts": [None, len(live_keys)]},
        note=f"{skipped} skipped: assigned by hand since the run" if skipped else "",
    )
    return plan


# A check-in (apel) is taken from this long before an assignment starts until it ends.
CHECKIN_EARLY = dt.timedelta(hours=2)


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Equirectangular: well under 0.1 % off across a city.
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return 111_195.0 * math.hypot(lat2 - lat1, (lon2 - lon1) * k)


@transaction.atomic
def checkin_create(
    *,
    by,
    officer: Officer,
    assignment: Assignment,
    lat: float | None,
    lon: float | None,
    accuracy: float | None,
    phone_time: PhoneTime | None,
) -> CheckIn:
    """Record an officer's check-in at the post of his own assignment (PermissionDenied for
    anyone else's; ValidationError for a cancelled or finished one, or a point outside the
    city), with how far from the post the phone was."""
    if assignment.officer_id != officer.pk:
        raise PermissionDenied(
            _("Penugasan #%(n)d bukan penugasan Anda: apel hanya di pos penugasan sendiri.")
            % {"n": assignment.pk}
        )
    now = timezone.now()
    if assignment.status != Assignment.Status.ACTIVE:
        raise ValidationError({"assignment": _("Penugasan ini sudah dibatalkan.")})
    if now >= assignment.ends_at:
        raise ValidationError({"assignment": _("Penugasan ini sudah berakhir.")})
    if now < assignment.starts_at - CHECKIN_EARLY:
        raise ValidationError(
            {"assignment": _("Apel paling cepat 2 jam sebelum penugasan dimulai.")}
        )
    if (lat is None) != (lon is None):
        raise ValidationError({"lat": _("Lintang dan bujur harus diisi bersama.")})
    try:
        validate_in_city(lat, lon)
    except ValidationError as exc:
        raise ValidationError({"lat": exc.messages}) from None
    phone_at, suspect = phone_time_check(phone_time, now)
    post = assignment.post
    distance = None if lat is None else round(_distance_m(lat, lon, post.lat, post.lon))
    checkin = CheckIn.objects.create(
        officer=officer,
        assignment=assignment,
        phone_time=phone_at,
        phone_time_suspect=suspect,
        lat=lat,
        lon=lon,
        accuracy=None if lat is None else accuracy,
        distance_m=distance,
    )
    audit_record(
        actor=by,
        action="checkin.create",
        obj=checkin,
        changes={
            "assignment": [None, assignment.pk],
            "post": [None, post.pk],
            "at": [None, checkin.at],
            "phone_time": [None, phone_time.raw if phone_time else None],
            "phone_time_suspect": [None, suspect],
            "lat": [None, lat],
            "lon": [None, lon],
            "accuracy": [None, checkin.accuracy],
            "distance_m": [None, distance],
        },
    )
    return checkin
