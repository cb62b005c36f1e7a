"""A demo situation on top of the demo roster: a polling day in progress.

Reports go through the real services (so they are scored and raise alerts the normal way),
then their times are spread over the last hours so the dashboard has something to show.
Idempotent: once the situation exists (its reports carry keys `demo-situation-*`) a second run
adds nothing. Deterministic in content; the times are relative to when it first ran.
"""

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from incidents import services
from incidents.models import Dispatch, Incident, IncidentStatus
from incidents.tps_returns import tps_return_create
from operations.models import Tps, TpsStatus
from operations.services import plan_accept, plan_run
from personnel.models import Officer

SEED = 20240214
KEY = "demo-situation-"

# (type, colour, crowd, text): what field officers report on a polling day in Kota Metro.
REPORTS = [
    (
        "gangguan_tps",
        "hijau",
        15,
        "Antrean pemilih panjang di TPS, petugas KPPS kewalahan, situasi tertib.",
    ),
    (
        "politik_uang",
        "kuning",
        6,
        "Warga melaporkan pembagian amplop berisi uang oleh tim sukses di dekat TPS.",
    ),
    (
        "intimidasi",
        "kuning",
        12,
        "Sekelompok orang berjaga di depan TPS dan menanyai pemilih, pemilih merasa terintimidasi.",
    ),
    (
        "hoaks",
        "hijau",
        0,
        "Beredar pesan berantai bahwa pemungutan suara diundur, dibantah KPPS.",
    ),
    (
        "unjuk_rasa",
        "kuning",
        80,
        "Massa pendukung berkumpul di depan kantor PPK menuntut penghitungan ulang.",
    ),
    (
        "bentrok",
        "merah",
        60,
        "Bentrok antar pendukung di dekat TPS, saling lempar batu, dua orang luka ringan.",
    ),
    (
        "perusakan",
        "kuning",
        5,
        "Alat peraga kampanye dirusak di simpang jalan, pelaku melarikan diri.",
    ),
    (
        "penghadangan",
        "merah",
        40,
        "Kendaraan pengangkut kotak suara ke PPK dihadang massa dan dilempari batu.",
    ),
    (
        "gangguan_tps",
        "kuning",
        25,
        "Pemilih tanpa undangan memaksa masuk TPS, terjadi adu mulut dengan KPPS.",
    ),
    (
        "kecelakaan",
        "hijau",
        0,
        "Petugas KPPS pingsan karena kelelahan, dibawa ke puskesmas.",
    ),
    (
        "lainnya",
        "hijau",
        0,
        "Listrik padam di lokasi TPS saat penghitungan, memakai lampu darurat.",
    ),
    (
        "unjuk_rasa",
        "merah",
        200,
        "Massa ricuh di depan kantor KPU Kota Metro, memaksa masuk dan membakar ban.",
    ),
]


@dataclass
class SituationResult:
    incidents: int
    tps_returns: int
    created: bool


def _users():
    users = get_user_model().objects
    return users.get(username="lapangan"), users.get(username="komando")


@transaction.atomic
def situation_seed(*, now=None, count: int = 36) -> SituationResult:
    """Build the demo situation once (a second run changes nothing)."""
    if Incident.objects.filter(idempotency_key__startswith=KEY).exists():
        n = Incident.objects.filter(idempotency_key__startswith=KEY).count()
        return SituationResult(incidents=n, tps_returns=0, created=False)
    now = now or timezone.now()
    rng = random.Random(SEED)  # noqa: S311 (demo data, not secrets)
    field, command = _users()
    tps_all = list(Tps.objects.select_related("kelurahan").order_by("kelurahan__name", "number"))
    hot = [t for t in tps_all if t.category != "kurang_rawan"] or tps_all
    # The polling-day deployment, planned and applied as the command post would.
    plan = plan_run(
        by=command,
        reserve_share=0.2,
        starts_at=now - dt.timedelta(hours=12),
        ends_at=now + dt.timedelta(hours=12),
    )
    plan_accept(plan=plan, by=command)
    responders = list(Officer.objects.order_by("nrp")[:60])
    made = []
    for i in range(count):
        kind, colour, crowd, text = REPORTS[i % len(REPORTS)]
        tps = rng.choice(hot if colour != "hijau" else tps_all)
        age = dt.timedelta(minutes=int((count - i) * 40 + rng.randint(0, 30)))
        incident, _created = services.incident_create(
            by=field,
            data={
                "type": kind,
                "colour": colour,
                "occurred_at": now - age,
                "tps": tps,
                "description": text,
                "crowd_size": crowd or None,
                "casualties": 2 if kind == "bentrok" else 0,
            },
            idempotency_key=f"{KEY}{i:03d}",
        )
        made.append((incident, age))
    for incident, age in made:
        reported = now - age + dt.timedelta(minutes=2)
        Incident.objects.filter(pk=incident.pk).update(reported_at=reported)
        incident.reported_at = reported
        if age < dt.timedelta(hours=2):
            continue  # the newest stay new for the duty officer to verify
        services.incident_transition(incident=incident, by=command, action="verify")
        officer = responders[incident.pk % len(responders)] if responders else None
        if officer is not None:
            (dispatch,) = services.dispatch_create(
                incident=incident, by=command, officers=[officer]
            ) or (None,)
            if dispatch is not None:
                Dispatch.objects.filter(pk=dispatch.pk).update(
                    dispatched_at=reported + dt.timedelta(minutes=3)
                )
                dispatch.refresh_from_db()
                services.dispatch_mark(
                    dispatch=dispatch,
                    by=command,
                    step="on_scene",
                    at=reported + dt.timedelta(minutes=rng.randint(8, 25)),
                )
        if age > dt.timedelta(hours=8):
            incident.refresh_from_db()
            if incident.status == IncidentStatus.DITANGANI:
                services.incident_transition(incident=incident, by=command, action="close")
    returns = 0
    steps = [TpsStatus.DIBUKA, TpsStatus.PEMUNGUTAN, TpsStatus.PENGHITUNGAN]
    # No TPS further along than the clock allows: opening from 07:00 WIB, voting until 13:00,
    # counting after it (PKPU 25/2023); before dawn every TPS is still closed.
    hour = timezone.localtime(now).hour
    clock = 0 if hour < 7 else 1 if hour < 8 else 2 if hour < 13 else 3
    for tps in tps_all:
        reached = min(clock, rng.choices([0, 1, 2, 3], weights=[5, 15, 55, 25])[0])
        for status in steps[:reached]:
            tps_return_create(by=field, tps=tps, status=status)
            returns += 1
    return SituationResult(incidents=len(made), tps_returns=returns, created=True)
