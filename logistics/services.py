"""Writes of election logistics: the sites of the chain, a leg's escort, the custody trail and
the alerts it raises (docs/logistics.md). The plan's CSV import is logistics/csv_io.py."""

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import CAN_RECORD_ANY_CUSTODY, user_has_role
from core.realtime import ALERTS_GROUP, realtime_publish_after_commit
from core.services import audit_record
from incidents.alerts import alert_place_raise
from incidents.models import Alert, AlertLevel
from incidents.photos import photo_prepare
from logistics.models import (
    STAGES,
    CustodyEvent,
    CustodyPhoto,
    Leg,
    LegStatus,
    ManifestItem,
    Problem,
    Site,
    SiteKind,
)
from logistics.selectors import difference_text
from operations.models import Kecamatan, Kelurahan, Post, PostKind, Tps
from personnel.models import Officer

GUDANG_CODE = "gudang-kpu"
KPU_CODE = "kpu-kota"
# Where the KPU's two sites are when no post of the roster says it (the seed's positions).
GUDANG_AT = (-5.1220, 105.3120)
KPU_AT = (-5.1160, 105.3050)
SEAL_MAX = 40
SEALS_MAX = 200
COUNT_MAX = 100_000

Kind = CustodyEvent.Kind
# Which step may follow which status, and the status it leaves the leg in (None: unchanged).
STEPS: dict[str, tuple[set[str], str | None]] = {
    Kind.DEPARTED: ({LegStatus.RENCANA, LegStatus.MUAT}, LegStatus.JALAN),
    Kind.CHECKPOINT: ({LegStatus.JALAN, LegStatus.TERHENTI}, None),
    Kind.STOPPED: ({LegStatus.JALAN}, LegStatus.TERHENTI),
    Kind.RESUMED: ({LegStatus.TERHENTI}, LegStatus.JALAN),
    Kind.ARRIVED: ({LegStatus.JALAN, LegStatus.TERHENTI}, LegStatus.TIBA),
    Kind.HANDED_OVER: ({LegStatus.JALAN, LegStatus.TIBA}, LegStatus.DISERAHKAN),
}


def site_code_for_tps(tps: Tps) -> str:
    return f"tps-{tps.kelurahan.code}-{tps.number:03d}"


def sites_ensure() -> int:
    """Make the chain's sites from the city's places (idempotent): the KPU warehouse and the
    KPU Kota, a PPK per kecamatan, a PPS per kelurahan, one per TPS. Returns how many were new."""
    posts = {p.kind: p for p in Post.objects.filter(kind__in=[PostKind.GUDANG, PostKind.KPU])}
    ppk_posts = {
        p.kecamatan_id: p for p in Post.objects.filter(kind=PostKind.PPK, kecamatan__isnull=False)
    }
    wanted: list[Site] = []
    gudang, kpu = posts.get(PostKind.GUDANG), posts.get(PostKind.KPU)
    wanted.append(
        Site(
            code=GUDANG_CODE,
            kind=SiteKind.GUDANG,
            name=_("Gudang logistik KPU Kota Metro"),
            lat=gudang.lat if gudang else GUDANG_AT[0],
            lon=gudang.lon if gudang else GUDANG_AT[1],
        )
    )
    wanted.append(
        Site(
            code=KPU_CODE,
            kind=SiteKind.KPU,
            name=_("KPU Kota Metro"),
            lat=kpu.lat if kpu else KPU_AT[0],
            lon=kpu.lon if kpu else KPU_AT[1],
        )
    )
    for kec in Kecamatan.objects.all():
        post = ppk_posts.get(kec.pk)
        wanted.append(
            Site(
                code=f"ppk-{kec.code}",
                kind=SiteKind.PPK,
                name=_("PPK %(k)s") % {"k": kec.name},
                kecamatan=kec,
                lat=post.lat if post else kec.lat,
                lon=post.lon if post else kec.lon,
            )
        )
    for kel in Kelurahan.objects.select_related("kecamatan"):
        wanted.append(
            Site(
                code=f"pps-{kel.code}",
                kind=SiteKind.PPS,
                name=_("PPS %(k)s") % {"k": kel.name},
                kecamatan=kel.kecamatan,
                kelurahan=kel,
                lat=kel.lat,
                lon=kel.lon,
            )
        )
    for tps in Tps.objects.select_related("kelurahan"):
        wanted.append(
            Site(
                code=site_code_for_tps(tps),
                kind=SiteKind.TPS,
                name=f"TPS {tps.number:03d} {tps.kelurahan.name}",
                kecamatan_id=tps.kelurahan.kecamatan_id,
                kelurahan=tps.kelurahan,
                tps=tps,
                lat=tps.lat,
                lon=tps.lon,
            )
        )
    have = set(Site.objects.values_list("code", flat=True))
    new = [s for s in wanted if s.code not in have]
    Site.objects.bulk_create(new, batch_size=500)
    return len(new)


def _leg_event(leg: Leg) -> dict:
    return {
        "type": "logistics.changed",
        "leg": {
            "id": leg.pk,
            "code": leg.code,
            "status": leg.status,
            "problem": leg.problem,
            "lat": leg.last_lat,
            "lon": leg.last_lon,
        },
    }


def _changed(leg: Leg) -> None:
    # The publish path counts the change for the dashboard caches (core.realtime._publish).
    realtime_publish_after_commit(group=ALERTS_GROUP, event=_leg_event(leg))


def _place(leg: Leg):
    return leg.destination.kelurahan or leg.origin.kelurahan


def _raise(leg: Leg, *, kind: str, level: str, title: str, reasons: list[str]) -> None:
    alert_place_raise(
        kind=kind,
        level=level,
        title=title,
        reasons=reasons,
        kelurahan=_place(leg),
        key=f"leg:{leg.pk}:{kind}",
        exercise=leg.is_exercise,
    )


def _route(leg: Leg) -> str:
    return f"{leg.origin.name} → {leg.destination.name}"


def escort_team(commander: Officer | None, escorts: list[Officer]) -> list[Officer]:
    """The officers of an escort: the escorts and the commander, each once."""
    team = {o.pk: o for o in escorts}
    if commander is not None:
        team[commander.pk] = commander
    return list(team.values())


def nrps_split(text: str) -> list[str]:
    """NRP written in a form or a CSV cell, separated by spaces, commas or semicolons."""
    return text.replace(";", " ").replace(",", " ").split()


@transaction.atomic
def leg_escort_set(*, leg: Leg, by, commander: Officer | None, escorts: list[Officer]) -> Leg:
    """Set who escorts a leg (the commander is one of them); audited, pushed."""
    leg = Leg.objects.select_for_update().select_related("origin", "destination").get(pk=leg.pk)
    if leg.status == LegStatus.DISERAHKAN:
        raise ValidationError({"commander": _("Perjalanan ini sudah diserahterimakan.")})
    team = escort_team(commander, escorts)
    if commander is None and team:
        raise ValidationError({"commander": _("Tunjuk komandan pengawalan dari para pengawal.")})
    before = {
        "commander": leg.commander_id,
        "escorts": sorted(leg.escorts.values_list("pk", flat=True)),
    }
    leg.commander = commander
    if leg.problem == Problem.NO_ESCORT and commander is not None:
        leg.problem, leg.problem_note = Problem.NONE, ""
    leg.save(update_fields=["commander", "problem", "problem_note", "updated_at"])
    leg.escorts.set(team)
    audit_record(
        actor=by,
        action="logistics.escort",
        obj=leg,
        changes={
            "commander": [before["commander"], leg.commander_id],
            "escorts": [before["escorts"], sorted(o.pk for o in team)],
        },
    )
    _changed(leg)
    return leg


def custody_check(*, by, leg: Leg) -> Officer | None:
    """May `by` record custody of `leg`? His officer record when he may (None for a command-post
    account without one); PermissionDenied when he is not on the leg's escort."""
    officer = Officer.objects.filter(user=by).first()
    if user_has_role(by, CAN_RECORD_ANY_CUSTODY):
        return officer
    on_escort = officer is not None and (
        leg.commander_id == officer.pk or leg.escorts.filter(pk=officer.pk).exists()
    )
    if not on_escort:
        raise PermissionDenied(
            _("Anda tidak termasuk tim pengawal %(leg)s: hanya pengawalnya yang mencatat.")
            % {"leg": leg.code}
        )
    return officer


def seals_clean(raw, *, field: str = "seals") -> list[str]:
    """Seal numbers as a list of distinct strings; a number given twice is refused."""
    if raw in (None, ""):
        return []
    items = raw.replace(";", "\n").replace(",", "\n").split() if isinstance(raw, str) else raw
    if not isinstance(items, list) or len(items) > SEALS_MAX:
        raise ValidationError({field: _("Daftar nomor segel tidak sah.")})
    seals: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip() or len(item.strip()) > SEAL_MAX:
            raise ValidationError(
                {field: _("Nomor segel harus teks, 1-%(n)d karakter.") % {"n": SEAL_MAX}}
            )
        seal = item.strip().upper()
        if seal in seals:
            raise ValidationError({field: _("Nomor segel %(s)s disebut dua kali.") % {"s": seal}})
        seals.append(seal)
    return seals


def counts_clean(raw, *, field: str = "counts") -> dict[str, int]:
    """{item: count} over ManifestItem, every count a whole number from 0."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise ValidationError({field: _("Jumlah harus berupa daftar barang dan jumlahnya.")})
    counts: dict[str, int] = {}
    items = {i.value: i.label for i in ManifestItem}
    for item, value in raw.items():
        if item not in items:
            raise ValidationError({field: _("Barang tidak dikenal: %(i)s.") % {"i": item}})
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(
                {field: _("Jumlah %(i)s harus bilangan bulat.") % {"i": items[item]}}
            )
        if value < 0:
            raise ValidationError(
                {field: _("Jumlah %(i)s tidak boleh negatif.") % {"i": items[item]}}
            )
        if value > COUNT_MAX:
            raise ValidationError({field: _("Jumlah %(i)s terlalu besar.") % {"i": items[item]}})
        counts[item] = value
    return counts


def _differences(leg: Leg, counts: dict[str, int], seals: list[str]) -> list[dict]:
    diffs: list[dict] = []
    for item, expected in leg.manifest.items():
        found = counts.get(item)
        if found != expected:
            diffs.append({"item": item, "expected": expected, "found": found})
    for item, found in counts.items():
        if item not in leg.manifest and found:
            diffs.append({"item": item, "expected": 0, "found": found})
    planned = set(leg.seals)
    diffs += [{"seal": s, "problem": "hilang"} for s in leg.seals if s not in seals]
    diffs += [{"seal": s, "problem": "asing"} for s in seals if s not in planned]
    return diffs


def _handover_fields(kind, receiver_name: str, receiver_role: str, counts: dict) -> None:
    if kind != Kind.HANDED_OVER:
        return
    errors = {}
    if not receiver_name.strip():
        errors["receiver_name"] = _("Tuliskan nama penerima.")
    if receiver_role not in CustodyEvent.ReceiverRole.values:
        errors["receiver_role"] = _("Pilih jabatan penerima.")
    if not counts:
        errors["counts"] = _("Isi jumlah barang yang diterima.")
    if errors:
        raise ValidationError(errors)


def _coordinates(lat, lon) -> tuple[float | None, float | None]:
    if lat is None and lon is None:
        return None, None
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise ValidationError({"lat": _("Koordinat tidak sah.")}) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError({"lat": _("Koordinat tidak sah.")})
    return lat, lon


def custody_record(
    *,
    by,
    leg: Leg,
    kind: str,
    key: str | None = None,
    lat=None,
    lon=None,
    receiver_name: str = "",
    receiver_role: str = "",
    counts=None,
    seals=None,
    note: str = "",
    system: bool = False,
) -> tuple[CustodyEvent, bool]:
    """Record one custody step of `leg` (its escort, or the command post): the leg moves on
    (STEPS), a handover's counts and seals are checked against the manifest, and an alert is
    raised for a stop, a handover that differs, or a departure without escort. The same key
    again from the same user gives back the first event (created False): a phone's retry.
    `system`: the exercise runner, whose controller account has no role, records its own
    exercise legs without custody_check."""
    with transaction.atomic():
        if key:
            done = CustodyEvent.objects.filter(recorded_by=by, idempotency_key=key).first()
            if done is not None:
                return done, False
        leg = (
            Leg.objects.select_for_update(of=("self",))
            .select_related("origin__kelurahan", "destination__kelurahan")
            .get(pk=leg.pk)
        )
        officer = None if system else custody_check(by=by, leg=leg)
        if kind not in STEPS:
            raise ValidationError({"kind": _("Jenis catatan tidak dikenal.")})
        allowed, after = STEPS[kind]
        if leg.status not in allowed:
            raise ValidationError(
                {
                    "kind": _("Tidak dapat mencatat %(k)s: perjalanan %(s)s.")
                    % {"k": Kind(kind).label, "s": LegStatus(leg.status).label}
                }
            )
        counts = counts_clean(counts)
        seals = seals_clean(seals)
        note = (note or "").strip()[:500]
        receiver_name = (receiver_name or "").strip()[:128]
        _handover_fields(kind, receiver_name, receiver_role or "", counts)
        if kind == Kind.STOPPED and not note:
            raise ValidationError({"note": _("Tuliskan mengapa perjalanan terhenti.")})
        lat, lon = _coordinates(lat, lon)
        diffs = _differences(leg, counts, seals) if kind == Kind.HANDED_OVER else []
        event = CustodyEvent.objects.create(
            leg=leg,
            kind=kind,
            recorded_by=by,
            officer=officer,
            lat=lat,
            lon=lon,
            receiver_name=receiver_name if kind == Kind.HANDED_OVER else "",
            receiver_role=receiver_role if kind == Kind.HANDED_OVER else "",
            counts=counts,
            seals=seals,
            differences=diffs,
            note=note,
            idempotency_key=key,
        )
        before = leg.status
        _leg_move(leg, event, after, diffs)
        audit_record(
            actor=by,
            action=f"logistics.{kind}",
            obj=leg,
            note=note,
            changes={"status": [before, leg.status], "differences": [None, len(diffs)]},
        )
        _changed(leg)
    return event, True


def _leg_move(leg: Leg, event: CustodyEvent, after: str | None, diffs: list[dict]) -> None:
    """The leg after `event`: status, times, position, problem, and the alert it calls for."""
    now = event.at
    if after:
        leg.status = after
    if event.lat is not None:
        leg.last_lat, leg.last_lon, leg.last_seen_at = event.lat, event.lon, now
    kind = event.kind
    if kind == Kind.DEPARTED:
        leg.departed_at = now
        if not leg.is_escorted and not leg.is_exercise:  # an exercise's escort is the scenario's
            leg.problem, leg.problem_note = Problem.NO_ESCORT, _("berangkat tanpa pengawal")
            _raise(
                leg,
                kind=Alert.Kind.LOG_NO_ESCORT,
                level=AlertLevel.MERAH,
                title=_("Logistik berangkat tanpa pengawalan: %(l)s") % {"l": leg.code},
                reasons=[_route(leg)],
            )
    elif kind == Kind.STOPPED:
        leg.problem, leg.problem_note = Problem.STOPPED, event.note[:255]
        _raise(
            leg,
            kind=Alert.Kind.LOG_STOPPED,
            level=AlertLevel.MERAH,
            title=_("Logistik terhenti di jalan: %(l)s") % {"l": leg.code},
            reasons=[_route(leg), event.note],
        )
    elif kind == Kind.RESUMED and leg.problem == Problem.STOPPED:
        leg.problem, leg.problem_note = Problem.NONE, ""
    elif kind in (Kind.ARRIVED, Kind.HANDED_OVER):
        leg.arrived_at = leg.arrived_at or now
        if leg.problem == Problem.OVERDUE:
            leg.problem, leg.problem_note = Problem.NONE, ""
        if leg.problem == Problem.STOPPED:
            leg.problem, leg.problem_note = Problem.NONE, ""
    if kind == Kind.HANDED_OVER:
        leg.handed_over_at = now
        if diffs:
            texts = [difference_text(d) for d in diffs]
            leg.problem, leg.problem_note = Problem.MISMATCH, "; ".join(texts)[:255]
            serious = any("seal" in d or d.get("item") == ManifestItem.KOTAK_SUARA for d in diffs)
            _raise(
                leg,
                kind=Alert.Kind.LOG_MISMATCH,
                level=AlertLevel.MERAH if serious else AlertLevel.KUNING,
                title=_("Selisih serah terima logistik: %(l)s") % {"l": leg.code},
                reasons=[_route(leg), *texts],
            )
    leg.save()


def logistics_sweep(*, now: dt.datetime | None = None) -> int:
    """Flag legs that are late (no arrival by the planned time plus LOGISTICS_LATE_MINUTES) or
    about to leave without escort (LOGISTICS_ESCORT_LEAD_MINUTES before departure), each with
    its alert (Celery beat, every minute). Returns how many legs it flagged."""
    now = now or timezone.now()
    late = now - dt.timedelta(minutes=settings.LOGISTICS_LATE_MINUTES)
    lead = now + dt.timedelta(minutes=settings.LOGISTICS_ESCORT_LEAD_MINUTES)
    flagged = 0
    overdue = Leg.objects.filter(
        arrived_at__isnull=True, planned_arrival__lt=late, problem=Problem.NONE
    ).exclude(status=LegStatus.DISERAHKAN)
    for leg_id in overdue.values_list("pk", flat=True)[:500]:
        flagged += _flag(leg_id, Problem.OVERDUE, now)
    unescorted = Leg.objects.filter(
        commander__isnull=True,
        planned_departure__lt=lead,
        status__in=[LegStatus.RENCANA, LegStatus.MUAT],
        problem=Problem.NONE,
    )
    for leg_id in unescorted.values_list("pk", flat=True)[:500]:
        flagged += _flag(leg_id, Problem.NO_ESCORT, now)
    return flagged


def _flag(leg_id: int, problem: str, now: dt.datetime) -> int:
    with transaction.atomic():
        leg = (
            Leg.objects.select_for_update(of=("self",))
            .select_related("origin__kelurahan", "destination__kelurahan")
            .get(pk=leg_id)
        )
        if leg.problem != Problem.NONE or leg.status == LegStatus.DISERAHKAN:
            return 0
        if problem == Problem.OVERDUE:
            minutes = int((now - leg.planned_arrival).total_seconds() // 60)
            leg.problem_note = _("belum tiba, terlambat %(m)d menit") % {"m": minutes}
            _raise(
                leg,
                kind=Alert.Kind.LOG_OVERDUE,
                level=AlertLevel.KUNING,
                title=_("Logistik terlambat tiba: %(l)s") % {"l": leg.code},
                reasons=[_route(leg), leg.problem_note],
            )
        else:
            leg.problem_note = _("belum ada pengawal, berangkat %(t)s") % {
                "t": timezone.localtime(leg.planned_departure).strftime("%H:%M")
            }
            _raise(
                leg,
                kind=Alert.Kind.LOG_NO_ESCORT,
                level=AlertLevel.KUNING,
                title=_("Logistik belum dikawal: %(l)s") % {"l": leg.code},
                reasons=[_route(leg), leg.problem_note],
            )
        leg.problem = problem
        leg.save(update_fields=["problem", "problem_note", "updated_at"])
        audit_record(actor=None, action=f"logistics.flag.{problem}", obj=leg)
        _changed(leg)
    return 1


def custody_photo_add(*, event: CustodyEvent, by, upload) -> CustodyPhoto:
    """Keep a photo of a custody step (photo_prepare: checked, hashed, a copy without metadata);
    only who may record the leg's custody adds one. The same bytes again give back the first."""
    custody_check(by=by, leg=event.leg)
    prepared = photo_prepare(upload=upload)
    existing = event.photos.filter(sha256=prepared.sha256).first()
    if existing is not None:
        return existing
    photo = CustodyPhoto(
        event=event,
        sha256=prepared.sha256,
        content_type=prepared.content_type,
        size=len(prepared.raw),
        uploaded_by=by,
    )
    name = uuid.uuid4().hex
    photo.original.save(f"{name}.{prepared.ext}", ContentFile(prepared.raw), save=False)
    photo.display.save(f"{name}-clean.{prepared.ext}", ContentFile(prepared.clean), save=False)
    with transaction.atomic():
        photo.save()
        audit_record(
            actor=by,
            action="logistics.photo",
            obj=event.leg,
            changes={"event": [None, event.pk], "sha256": [None, prepared.sha256]},
        )
    return photo


def exercise_leg_stop(*, by, origin: str, destination: str, note: str, key: str) -> Leg:
    """An exercise's leg from `origin` to `destination` (site codes) leaves now and is stopped
    on the road (the penghadangan-logistik scenario): a real leg marked exercise, on the board,
    raising its exercise alert through the chain. `key` ("<run>-<inject>": the leg is
    "latihan-<key>") makes a replay a no-op."""
    sites_ensure()
    ends = {s.code: s for s in Site.objects.filter(code__in=[origin, destination])}
    if origin not in ends or destination not in ends:
        raise ValidationError({"origin": _("Lokasi logistik tidak dikenal.")})
    stage = STAGES.get((ends[origin].kind, ends[destination].kind))
    if stage is None:
        raise ValidationError({"destination": _("Rute ini bukan tahap logistik.")})
    now = timezone.now()
    leg, _created = Leg.objects.get_or_create(
        code=f"latihan-{key}",
        defaults={
            "stage": stage,
            "origin": ends[origin],
            "destination": ends[destination],
            "planned_departure": now,
            "planned_arrival": now + dt.timedelta(hours=1),
            "vehicle": _("truk logistik (latihan)"),
            "is_exercise": True,
        },
    )
    a, b = ends[origin], ends[destination]
    custody_record(by=by, leg=leg, kind=Kind.DEPARTED, key=f"{key}:1", system=True)
    custody_record(
        by=by,
        leg=leg,
        kind=Kind.STOPPED,
        key=f"{key}:2",
        lat=(a.lat + b.lat) / 2,
        lon=(a.lon + b.lon) / 2,
        note=note,
        system=True,
    )
    return Leg.objects.get(pk=leg.pk)


def exercise_legs_end(*, by, prefix: str, note: str) -> int:
    """At an exercise's end, its legs ("latihan-<prefix>...") still on the road arrive (the
    stop ends with it)."""
    ended = 0
    for leg in Leg.objects.filter(
        is_exercise=True,
        code__startswith=f"latihan-{prefix}",
        status__in=[LegStatus.JALAN, LegStatus.TERHENTI],
    ):
        custody_record(by=by, leg=leg, kind=Kind.ARRIVED, note=note, system=True)
        ended += 1
    return ended
