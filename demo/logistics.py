"""The demo's distribution plan for the whole city (docs/logistics.md): warehouse -> 5 PPK -> 22
PPS -> every TPS before polling day, and back after counting, each leg escorted by two officers
of the roster; legs whose time has passed are handed over (their custody trail seeded), legs due
now are on the road. Built once: a database that already holds legs keeps them (custody is
append-only, so a plan that has run is never rewritten)."""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from core.access import Role
from logistics.models import (
    STAGES,
    CustodyEvent,
    Leg,
    LegStatus,
    ManifestItem,
    Site,
    SiteKind,
    Stage,
)
from logistics.services import GUDANG_CODE, KPU_CODE, sites_ensure
from operations.models import Kecamatan, Post, PostKind, RecapSession
from personnel.models import Officer, OfficerStatus

SEED = 2024
BALLOT_ITEMS = [
    ManifestItem.SS_PPWP,
    ManifestItem.SS_DPR,
    ManifestItem.SS_DPD,
    ManifestItem.SS_DPRD_PROV,
    ManifestItem.SS_DPRD_KOTA,
]
RESERVE = 1.02  # 2% spare ballots per TPS (PKPU)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _tps_manifest(dpt: int, outbound: bool) -> dict[str, int]:
    if not outbound:
        return {ManifestItem.KOTAK_SUARA: 5, ManifestItem.SAMPUL: 5}
    ballots = int(dpt * RESERVE + 0.999)
    return {
        ManifestItem.KOTAK_SUARA: 5,
        **{i: ballots for i in BALLOT_ITEMS},
        ManifestItem.FORMULIR: 1,
    }


def _sum(manifests: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for m in manifests:
        for k, v in m.items():
            total[k] = total.get(k, 0) + v
    return total


def _midpoint(a: Site, b: Site, share: float) -> tuple[float, float]:
    return (a.lat + (b.lat - a.lat) * share, a.lon + (b.lon - a.lon) * share)


def logistics_demo_seed(*, voting_day: dt.date, now: dt.datetime | None = None) -> int:
    """Build the demo plan around `voting_day`; returns the legs made (0 when a plan exists)."""
    if Leg.objects.exists():
        return 0
    now = now or timezone.now()
    rng = random.Random(SEED)  # noqa: S311 (demo data)
    sites_ensure()
    sites = {s.code: s for s in Site.objects.select_related("tps", "kelurahan", "kecamatan")}
    gudang, kpu = sites[GUDANG_CODE], sites[KPU_CODE]
    ppk = {s.kecamatan_id: s for s in sites.values() if s.kind == SiteKind.PPK}
    pps = {s.kelurahan_id: s for s in sites.values() if s.kind == SiteKind.PPS}
    tps_sites = sorted(
        (s for s in sites.values() if s.kind == SiteKind.TPS),
        key=lambda s: (s.kelurahan_id, s.code),
    )
    pool = list(
        Officer.objects.filter(
            user__isnull=True, status__in=[OfficerStatus.SIAGA, OfficerStatus.BERTUGAS]
        )
        .order_by("nrp")
        .values_list("pk", flat=True)
    )
    field_officer = Officer.objects.filter(user__username=Role.LAPANGAN).first()
    plan: list[tuple[Leg, list[int]]] = []
    d = voting_day

    def leg(code, origin, destination, depart, arrive, manifest, seals, vehicle):
        team = [pool[rng.randrange(len(pool))] for _ in range(2)] if pool else []
        obj = Leg(
            code=code,
            stage=STAGES[(origin.kind, destination.kind)],
            origin=origin,
            destination=destination,
            planned_departure=depart,
            planned_arrival=arrive,
            vehicle=vehicle,
            commander_id=team[0] if team else None,
            manifest=manifest,
            seals=seals,
        )
        plan.append((obj, team))
        return obj

    tps_out = {s.pk: _tps_manifest(s.tps.dpt, True) for s in tps_sites}
    for kec_id, site in sorted(ppk.items()):
        kel_tps = [s for s in tps_sites if s.kecamatan_id == kec_id]
        leg(
            f"d1-{site.code}", gudang, site, _at(d - dt.timedelta(days=3), 7),
            _at(d - dt.timedelta(days=3), 10), _sum([tps_out[s.pk] for s in kel_tps]),
            [f"G-{site.code[4:8].upper()}-{i}" for i in range(1, 5)], "truk KPU",
        )  # fmt: skip
    for kel_id, site in sorted(pps.items()):
        kel_tps = [s for s in tps_sites if s.kelurahan_id == kel_id]
        leg(
            f"d2-{site.code}", ppk[site.kecamatan_id], site, _at(d - dt.timedelta(days=2), 8),
            _at(d - dt.timedelta(days=2), 11), _sum([tps_out[s.pk] for s in kel_tps]),
            [f"P-{kel_id:02d}-{i}" for i in range(1, 3)], "pikap PPK",
        )  # fmt: skip
    for n, site in enumerate(tps_sites):
        depart = _at(d - dt.timedelta(days=1), 7) + dt.timedelta(minutes=5 * (n % 36))
        leg(
            f"d3-{site.code}", pps[site.kelurahan_id], site, depart, depart + dt.timedelta(hours=2),
            tps_out[site.pk], [f"T{site.tps_id:04d}-{i}" for i in range(1, 6)], "mobil PPS",
        )  # fmt: skip
        back = _at(d, 19) + dt.timedelta(minutes=5 * (n % 36))
        leg(
            f"k1-{site.code}", site, pps[site.kelurahan_id], back, back + dt.timedelta(hours=1),
            _tps_manifest(0, False), [f"H{site.tps_id:04d}-{i}" for i in range(1, 6)], "mobil PPS",
        )  # fmt: skip
    for kel_id, site in sorted(pps.items()):
        n_tps = sum(1 for s in tps_sites if s.kelurahan_id == kel_id)
        leg(
            f"k2-{site.code}", site, ppk[site.kecamatan_id], _at(d + dt.timedelta(days=1), 8),
            _at(d + dt.timedelta(days=1), 11),
            {ManifestItem.KOTAK_SUARA: 5 * n_tps, ManifestItem.SAMPUL: 5 * n_tps}, [], "pikap PPS",
        )  # fmt: skip
    for _kec_id, site in sorted(ppk.items()):
        leg(
            f"k3-{site.code}", site, kpu, _at(d + dt.timedelta(days=4), 9),
            _at(d + dt.timedelta(days=4), 11), {ManifestItem.SAMPUL: 10}, [], "truk KPU",
        )  # fmt: skip
    if field_officer is not None:
        # The demo field officer commands his kelurahan's first return leg and its PPS leg.
        kec = field_officer.unit.kecamatan_id
        todo = {Stage.TPS_PPS, Stage.PPS_PPK}
        for obj, team in plan:
            if obj.stage in todo and obj.origin.kecamatan_id in (kec, None):
                todo.discard(obj.stage)
                obj.commander_id = field_officer.pk
                team[0] = field_officer.pk
    legs = [obj for obj, _team in plan]
    events = _history(legs, now)  # sets each leg's state before the one insert
    Leg.objects.bulk_create(legs, batch_size=500)
    CustodyEvent.objects.bulk_create(events, batch_size=1000)
    through = Leg.escorts.through
    through.objects.bulk_create(
        [through(leg_id=obj.pk, officer_id=o) for obj, team in plan for o in set(team)],
        batch_size=1000,
    )
    return len(plan)


def _history(legs: list[Leg], now: dt.datetime) -> list[CustodyEvent]:
    """What has already happened by `now`: each leg (not saved yet) moved on, and the custody
    trail the escorts recorded, to insert once the legs are."""
    recorder = get_user_model().objects.filter(username=Role.KOMANDO).first()
    if recorder is None:
        return []
    events: list[CustodyEvent] = []
    for leg in legs:
        if leg.planned_departure > now:
            continue
        common = {"leg": leg, "recorded_by": recorder, "officer_id": leg.commander_id}
        events.append(
            CustodyEvent(
                kind=CustodyEvent.Kind.DEPARTED,
                at=leg.planned_departure,
                lat=leg.origin.lat,
                lon=leg.origin.lon,
                **common,
            )
        )
        if leg.planned_arrival > now:
            share = (now - leg.planned_departure) / (leg.planned_arrival - leg.planned_departure)
            lat, lon = _midpoint(leg.origin, leg.destination, share)
            leg.status, leg.departed_at = LegStatus.JALAN, leg.planned_departure
            leg.last_lat, leg.last_lon, leg.last_seen_at = lat, lon, now
            continue
        events.append(
            CustodyEvent(
                kind=CustodyEvent.Kind.HANDED_OVER,
                at=leg.planned_arrival,
                lat=leg.destination.lat,
                lon=leg.destination.lon,
                receiver_name="Petugas penerima",
                receiver_role=_receiver(leg.destination.kind),
                counts=dict(leg.manifest),
                seals=list(leg.seals),
                **common,
            )
        )
        leg.status = LegStatus.DISERAHKAN
        leg.departed_at, leg.arrived_at = leg.planned_departure, leg.planned_arrival
        leg.handed_over_at = leg.planned_arrival
        leg.last_lat, leg.last_lon, leg.last_seen_at = (
            leg.destination.lat,
            leg.destination.lon,
            leg.planned_arrival,
        )
    return events


def _receiver(kind: str) -> str:
    return {
        SiteKind.PPK: CustodyEvent.ReceiverRole.PPK,
        SiteKind.PPS: CustodyEvent.ReceiverRole.PPS,
        SiteKind.TPS: CustodyEvent.ReceiverRole.KPPS,
        SiteKind.KPU: CustodyEvent.ReceiverRole.KPU,
    }.get(kind, CustodyEvent.ReceiverRole.GUDANG)


def recap_demo_seed(*, voting_day: dt.date) -> int:
    """The recapitulation sessions of the demo (made once): each PPK from the day after polling
    day for three days, guarded by its PPK post; the KPU Kota's four days after, at the KPU
    office's post. Returns the sessions made."""
    if RecapSession.objects.exists():
        return 0
    posts = {
        (p.kind, p.kecamatan_id): p
        for p in Post.objects.filter(kind__in=[PostKind.PPK, PostKind.KPU], is_active=True)
    }
    kpu_post = next((p for (kind, _k), p in posts.items() if kind == PostKind.KPU), None)
    sessions = [
        RecapSession(
            kecamatan=kec,
            post=posts.get((PostKind.PPK, kec.pk)),
            starts_at=_at(voting_day + dt.timedelta(days=1), 9),
            ends_at=_at(voting_day + dt.timedelta(days=3), 17),
        )
        for kec in Kecamatan.objects.order_by("name")
    ]
    sessions.append(
        RecapSession(
            post=kpu_post,
            starts_at=_at(voting_day + dt.timedelta(days=4), 9),
            ends_at=_at(voting_day + dt.timedelta(days=5), 17),
        )
    )
    RecapSession.objects.bulk_create(sessions)
    return len(sessions)
