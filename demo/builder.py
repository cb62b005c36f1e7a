"""The Kota Metro demo: Polres Metro's units and 565 officers, 260 BKO, 462 TPS, demo logins.

Deterministic: every value comes from a seeded random generator, so every run builds the same rows,
and rows are upserted on their natural keys (unit code, NRP, kelurahan + TPS number, username), so
a second run changes nothing. Names, NRP and phone numbers are invented.
"""

import datetime as dt
import random
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.text import slugify

from command.scenario import scenario_load_files
from core.access import Role
from demo.logistics import logistics_demo_seed, recap_demo_seed
from demo.names import FIRST_NAMES, LAST_NAMES, STREETS
from operations.models import Kecamatan, Kelurahan, Post, PostKind, Tps
from operations.reference import (
    POLLING_DAY_2024,
    VOTERS_BY_KECAMATAN,
    WIB,
    polling_day_shift,
    reference_load,
)
from operations.vulnerability import vulnerability_category
from personnel.models import (
    BkoContingent,
    BkoRequest,
    Officer,
    OfficerStatus,
    Rank,
    Satgas,
    Unit,
    UnitKind,
)

SEED = 20240214
DPT_TOTAL = 128_370
TPS_TOTAL = 462
TPS_MAX_VOTERS = 300  # PKPU: at most 300 voters per TPS in 2024

# (code, name, kind, strength); heads' ranks follow the Polri table of organisation.
POLRES_UNITS = [
    ("polres-metro", "Polres Metro", UnitKind.POLRES, 2),
    ("bag-ops", "Bag Ops", UnitKind.BAG, 25),
    ("bag-ren", "Bag Ren", UnitKind.BAG, 12),
    ("bag-sdm", "Bag SDM", UnitKind.BAG, 15),
    ("bag-log", "Bag Log", UnitKind.BAG, 14),
    ("sat-intelkam", "Sat Intelkam", UnitKind.SAT, 35),
    ("sat-reskrim", "Sat Reskrim", UnitKind.SAT, 50),
    ("sat-resnarkoba", "Sat Resnarkoba", UnitKind.SAT, 22),
    ("sat-binmas", "Sat Binmas", UnitKind.SAT, 18),
    ("sat-samapta", "Sat Samapta", UnitKind.SAT, 84),
    ("sat-lantas", "Sat Lantas", UnitKind.SAT, 60),
    ("sat-pamobvit", "Sat Pamobvit", UnitKind.SAT, 16),
    ("sat-tahti", "Sat Tahti", UnitKind.SAT, 10),
    ("spkt", "SPKT", UnitKind.SPKT, 15),
    ("si-propam", "Si Propam", UnitKind.SI, 10),
    ("si-humas", "Si Humas", UnitKind.SI, 8),
    ("si-keu", "Si Keu", UnitKind.SI, 6),
    ("si-umum", "Si Umum", UnitKind.SI, 8),
    ("si-tik", "Si Tik", UnitKind.SI, 6),
    ("si-dokkes", "Si Dokkes", UnitKind.SI, 8),
    ("si-was", "Si Was", UnitKind.SI, 5),
]
POLSEK_STRENGTH = {
    "Metro Pusat": 30,
    "Metro Barat": 26,
    "Metro Timur": 28,
    "Metro Utara": 28,
    "Metro Selatan": 24,
}
HEAD_RANK = {
    UnitKind.BAG: Rank.KOMPOL,
    UnitKind.SAT: Rank.AKP,
    UnitKind.SI: Rank.IPTU,
    UnitKind.SPKT: Rank.IPTU,
    UnitKind.POLSEK: Rank.AKP,
}

# (code, contingent name, home unit, strength, rank pool)
BKO = [
    ("bko-brimob", "BKO Sat Brimob Polda Lampung", "Sat Brimob Polda Lampung", 100, "brimob"),
    ("bko-samapta", "BKO Dit Samapta Polda Lampung", "Dit Samapta Polda Lampung", 100, "bintara"),
    ("bko-lamtim", "BKO Polres Lampung Timur", "Polres Lampung Timur", 30, "bintara"),
    ("bko-lamteng", "BKO Polres Lampung Tengah", "Polres Lampung Tengah", 30, "bintara"),
]

RANK_POOLS = {
    "bintara": [
        (Rank.BRIPDA, 18),
        (Rank.BRIPTU, 20),
        (Rank.BRIGPOL, 18),
        (Rank.BRIPKA, 16),
        (Rank.AIPDA, 10),
        (Rank.AIPTU, 8),
        (Rank.IPDA, 5),
        (Rank.IPTU, 3),
        (Rank.BHARADA, 2),
    ],
    "brimob": [
        (Rank.BHARADA, 22),
        (Rank.BHARATU, 20),
        (Rank.BHARAKA, 14),
        (Rank.ABRIPDA, 10),
        (Rank.BRIPDA, 10),
        (Rank.BRIPTU, 10),
        (Rank.BRIGPOL, 8),
        (Rank.BRIPKA, 4),
        (Rank.IPDA, 2),
    ],
}

DEMO_USERS = {
    # role (= username): (first name, last name, unit of the linked officer or None)
    Role.KOMANDO: ("Perwira Piket", "Posko", "bag-ops"),
    Role.INTEL: ("Analis", "Intelkam", "sat-intelkam"),
    Role.LAPANGAN: ("Petugas", "Lapangan", "polsek-metro-pusat"),
    Role.PENGHUBUNG_KPU: ("Penghubung", "KPU Kota Metro", None),
    Role.ADMIN: ("Administrator", "Sispam", None),
}


@dataclass
class DemoResult:
    units: int
    officers_polres: int
    officers_bko: int
    tps: int
    dpt: int
    users: int
    posts: int


def _weighted(rng: random.Random, pool: list[tuple[Rank, int]]) -> Rank:
    ranks, weights = zip(*pool, strict=True)
    return rng.choices(ranks, weights=weights, k=1)[0]


class _Registry:
    """Hands out unique NRP, names and phone numbers from one seeded generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.nrps: set[str] = set()
        self.names = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
        rng.shuffle(self.names)
        self.phones: set[str] = set()

    def nrp(self, rank: Rank) -> str:
        # NRP: birth year (2 digits) and month, then a serial; older for higher ranks.
        while True:
            age = 21 + int(rank) * 1.6 + self.rng.randint(0, 8)
            year = (2024 - int(age)) % 100
            candidate = f"{year:02d}{self.rng.randint(1, 12):02d}{self.rng.randint(0, 9999):04d}"
            if candidate not in self.nrps:
                self.nrps.add(candidate)
                return candidate

    def name(self) -> str:
        return self.names.pop()

    def phone(self) -> str:
        while True:
            candidate = f"08{self.rng.choice(['12', '13', '21', '22', '52', '53', '57'])}"
            candidate += f"{self.rng.randint(0, 99_999_999):08d}"
            if candidate not in self.phones:
                self.phones.add(candidate)
                return candidate


def _status(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.03:
        return OfficerStatus.SAKIT_CUTI
    if roll < 0.08:
        return OfficerStatus.LEPAS_DINAS
    return OfficerStatus.SIAGA


def _units() -> dict[str, Unit]:
    polres, _ = Unit.objects.update_or_create(
        code="polres-metro",
        defaults={"name": "Polres Metro", "kind": UnitKind.POLRES, "parent": None},
    )
    units = {"polres-metro": polres}
    for code, name, kind, _n in POLRES_UNITS[1:]:
        units[code], _ = Unit.objects.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "parent": polres}
        )
    for kec in Kecamatan.objects.order_by("name"):
        code = f"polsek-{kec.code}"
        units[code], _ = Unit.objects.update_or_create(
            code=code,
            defaults={
                "name": f"Polsek {kec.name}",
                "kind": UnitKind.POLSEK,
                "parent": polres,
                "kecamatan": kec,
            },
        )
    for code, _name, home, _n, _pool in BKO:
        units[f"{code}-home"], _ = Unit.objects.update_or_create(
            code=f"{code}-home", defaults={"name": home, "kind": UnitKind.EXTERNAL, "parent": None}
        )
    return units


def _officer_rows(rng: random.Random, units: dict[str, Unit]) -> list[Officer]:
    reg = _Registry(rng)
    rows: list[Officer] = []

    def add(unit: Unit, rank: Rank, function: str, contingent=None) -> None:
        rows.append(
            Officer(
                nrp=reg.nrp(rank),
                name=reg.name(),
                rank=rank,
                unit=unit,
                function=function,
                phone=reg.phone(),
                status=_status(rng),
                contingent=contingent,
            )
        )

    plan = [(code, name, kind, n) for code, name, kind, n in POLRES_UNITS]
    plan += [
        (f"polsek-{slugify(k)}", f"Polsek {k}", UnitKind.POLSEK, n)
        for k, n in POLSEK_STRENGTH.items()
    ]
    for code, name, kind, strength in plan:
        unit = units[code]
        if kind == UnitKind.POLRES:
            add(unit, Rank.AKBP, "Kapolres Metro")
            add(unit, Rank.KOMPOL, "Wakapolres Metro")
            continue
        head = "Ka " + name if kind == UnitKind.SPKT else "Ka" + name[0].lower() + name[1:]
        add(unit, HEAD_RANK[kind], head)
        for i in range(strength - 1):
            rank = _weighted(rng, RANK_POOLS["bintara"])
            function = "Kanit" if i < 2 and rank >= Rank.AIPDA else "Anggota"
            add(unit, rank, f"{function} {name}")
    for code, _name, _home, strength, pool in BKO:
        contingent = BkoContingent.objects.get(code=code)
        home = units[f"{code}-home"]
        add(home, Rank.AKP if strength >= 100 else Rank.IPTU, "Komandan kontingen", contingent)
        for _ in range(strength - 1):
            add(home, _weighted(rng, RANK_POOLS[pool]), "Anggota BKO", contingent)
    return rows


def _users_exist() -> None:
    """The demo logins exist before anything refers to them (the BKO request names komando)."""
    User = get_user_model()
    for role, (first, last, _unit) in DEMO_USERS.items():
        if User.objects.filter(username=role.value).exists():
            # Never touch an existing account's password: where "komando" is a real login a
            # reset to the published demo password would hand the account to anyone.
            continue
        User.objects.create(
            username=role.value,
            first_name=first,
            last_name=last,
            is_staff=role == Role.ADMIN,
            password=make_password(settings.DEMO_PASSWORD),
        )


def _contingents(units: dict[str, Unit], request: BkoRequest, shift: dt.timedelta) -> None:
    arrived = dt.datetime(2024, 2, 12, 8, 0, tzinfo=WIB) + shift
    for code, name, _home, strength, _pool in BKO:
        BkoContingent.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "home_unit": units[f"{code}-home"],
                "strength": strength,
                "request": request,
                "status": BkoContingent.Status.ARRIVED,
                "arrived_at": arrived,
                "released_at": None,
            },
        )


def _largest_remainder(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split `total` into integers proportional to `weights` (Hamilton's method)."""
    wsum = sum(weights.values())
    exact = {k: total * w / wsum for k, w in weights.items()}
    out = {k: int(v) for k, v in exact.items()}
    left = total - sum(out.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - out[k]), k))[:left]:
        out[k] += 1
    return out


def _tps_rows(rng: random.Random) -> list[Tps]:
    bounds = settings.CITY_BOUNDS
    tps_per_kec = _largest_remainder(TPS_TOTAL, VOTERS_BY_KECAMATAN)
    dpt_per_kec = _largest_remainder(DPT_TOTAL, VOTERS_BY_KECAMATAN)
    kels_by_kec: dict[str, list[Kelurahan]] = {}
    for kel in Kelurahan.objects.select_related("kecamatan").order_by("name"):
        kels_by_kec.setdefault(kel.kecamatan.name, []).append(kel)
    # Where trouble has history: the city centre (KPU, Bawaslu) and a few border kelurahan.
    hot = {"Metro", "Imopuro", "Yosomulyo", "Hadimulyo Barat", "Iringmulyo", "Rejomulyo"}
    rows: list[Tps] = []
    for kec_name in sorted(VOTERS_BY_KECAMATAN):
        kels = kels_by_kec[kec_name]
        per_kel = _largest_remainder(
            tps_per_kec[kec_name], {k.name: rng.uniform(0.7, 1.3) for k in kels}
        )
        n_kec = tps_per_kec[kec_name]
        weights = [rng.uniform(0.94, 1.06) for _ in range(n_kec)]
        wsum = sum(weights)
        dpts = [int(dpt_per_kec[kec_name] * w / wsum) for w in weights]
        for i in range(dpt_per_kec[kec_name] - sum(dpts)):
            dpts[i % n_kec] += 1
        idx = 0
        for kel in kels:
            for number in range(1, per_kel[kel.name] + 1):
                lat = min(max(rng.gauss(kel.lat, 0.0035), bounds["south"]), bounds["north"])
                lon = min(max(rng.gauss(kel.lon, 0.0035), bounds["west"]), bounds["east"])
                indicators = _indicators(rng, hot=kel.name in hot)
                rows.append(
                    Tps(
                        kelurahan=kel,
                        number=number,
                        address=(
                            f"{rng.choice(STREETS)} No. {rng.randint(1, 120)}, "
                            f"RT {rng.randint(1, 40):03d}/RW {rng.randint(1, 12):03d}"
                        ),
                        lat=round(lat, 6),
                        lon=round(lon, 6),
                        dpt=min(dpts[idx], TPS_MAX_VOTERS),
                        is_khusus=False,
                        khusus_kind="",
                        indicators=indicators,
                        category_computed=vulnerability_category(indicators),
                        category=vulnerability_category(indicators),
                    )
                )
                idx += 1
    # The two TPS khusus: the prison and the regional hospital, both in the city centre.
    for tps, kind, address in (
        (_find(rows, "Yosomulyo"), "lapas", "Lapas Kelas IIA Metro"),
        (_find(rows, "Imopuro"), "rumah sakit", "RSUD Jend. Ahmad Yani Metro"),
    ):
        tps.is_khusus, tps.khusus_kind, tps.address = True, kind, address
    return rows


# (indicator, chance per TPS); hot kelurahan see each more often.
INDICATOR_CHANCES = [
    ("pemilih_tms", 0.06),
    ("dptb_banyak", 0.05),
    ("kpps_luar", 0.03),
    ("listrik_internet", 0.04),
    ("dekat_posko", 0.06),
    ("rawan_bencana", 0.02),
    ("sulit_dijangkau", 0.02),
    ("logistik", 0.03),
    ("tidak_netral", 0.015),
    ("politik_uang", 0.04),
    ("sara", 0.012),
    ("riwayat_kekerasan", 0.02),
    ("intimidasi", 0.02),
]


def _indicators(rng: random.Random, *, hot: bool) -> list[str]:
    factor = 2.2 if hot else 1.0
    return sorted(code for code, chance in INDICATOR_CHANCES if rng.random() < chance * factor)


# Fixed posts: (name, kind, lat, lon, kecamatan, required, priority). Locations approximate.
FIXED_POSTS = [
    ("Kantor KPU Kota Metro", PostKind.KPU, -5.1160, 105.3050, "Metro Pusat", 30, 100),
    ("Kantor Bawaslu Kota Metro", PostKind.BAWASLU, -5.1125, 105.3000, "Metro Pusat", 10, 90),
    ("Gudang Logistik KPU", PostKind.GUDANG, -5.1220, 105.3120, "Metro Pusat", 8, 80),
]


def _find(rows: list[Tps], kelurahan: str) -> Tps:
    return max((t for t in rows if t.kelurahan.name == kelurahan), key=lambda t: t.number)


def _users(units: dict[str, Unit]) -> int:
    User = get_user_model()
    for role, (_first, _last, unit_code) in DEMO_USERS.items():
        user = User.objects.get(username=role.value)  # made by _users_exist, password untouched
        group, _ = Group.objects.get_or_create(name=role.value)
        user.groups.add(group)
        if unit_code and not Officer.objects.filter(user=user).exists():
            officer = (
                Officer.objects.filter(unit=units[unit_code], user__isnull=True)
                .order_by("-rank", "nrp")
                .first()
            )
            if role == Role.LAPANGAN:  # a field officer is a bintara, not the Kapolsek
                officer = (
                    Officer.objects.filter(
                        unit=units[unit_code], user__isnull=True, rank__lte=Rank.BRIPKA
                    )
                    .order_by("nrp")
                    .first()
                )
            officer.user = user
            officer.save(update_fields=["user"])
    return len(DEMO_USERS)


def _posts() -> int:
    rows = list(FIXED_POSTS)
    for kec in Kecamatan.objects.order_by("name"):
        rows.append(
            (f"PPK {kec.name}", PostKind.PPK, kec.lat + 0.001, kec.lon + 0.001, kec.name, 6, 70)
        )
        rows.append(
            (
                f"Pengawalan logistik {kec.name}",
                PostKind.PENGAWALAN,
                kec.lat,
                kec.lon,
                kec.name,
                4,
                60,
            )
        )
    kecamatan = {k.name: k for k in Kecamatan.objects.all()}
    for name, kind, lat, lon, kec, required, priority in rows:
        Post.objects.update_or_create(
            name=name,
            kind=kind,
            defaults={
                "lat": lat,
                "lon": lon,
                "kecamatan": kecamatan[kec],
                "required_strength": required,
                "priority": priority,
                "is_active": True,
            },
        )
    return len(rows)


def _bko_request(shift: dt.timedelta) -> BkoRequest:
    """The request behind the demo contingents: 300 asked, 260 approved (partial approval),
    its dates `shift` away from Pemilu 2024's."""
    komando = get_user_model().objects.get(username=Role.KOMANDO.value)
    request, _ = BkoRequest.objects.update_or_create(
        # Its natural key: what was asked for where (its dates move with the calendar).
        kind="Brimob, Samapta dan Polres tetangga",
        location="Kota Metro: KPU, Bawaslu, gudang logistik, TPS rawan",
        requested_by=komando,
        defaults={
            "needed_from": dt.datetime(2024, 2, 12, 6, 0, tzinfo=WIB) + shift,
            "count": 300,
            "reason": "Pengamanan pemungutan, penghitungan dan rekapitulasi suara pemilu.",
            "needed_until": dt.datetime(2024, 3, 20, 23, 0, tzinfo=WIB) + shift,
            "status": BkoRequest.Status.SEBAGIAN,
            "approved_count": 260,
            "decision_note": "Polda Lampung menyetujui 260 personel.",
            "decided_by": komando,
            "decided_at": dt.datetime(2024, 2, 5, 10, 0, tzinfo=WIB) + shift,
        },
    )
    return request


def _satgas_for(
    officer: Officer, units_by_id: dict[int, Unit], satgas: dict[str, Satgas]
) -> Satgas:
    """Put each officer in the satgas his unit's work belongs to."""
    if officer.contingent_id is not None:
        return satgas["preventif"]
    code = units_by_id[officer.unit_id].code
    for prefix, target in SATGAS_BY_UNIT:
        if code.startswith(prefix):
            return satgas[target]
    return satgas["banops"]


SATGAS_BY_UNIT = [
    ("sat-intelkam", "preemtif"),
    ("sat-binmas", "preemtif"),
    ("sat-lantas", "kamseltibcarlantas"),
    ("sat-reskrim", "gakkum"),
    ("sat-resnarkoba", "gakkum"),
    ("si-propam", "gakkum"),
    ("si-humas", "humas"),
    ("sat-samapta", "preventif"),
    ("sat-pamobvit", "preventif"),
    ("polsek-", "preventif"),
    ("spkt", "preventif"),
]


OFFICER_FIELDS = ["name", "rank", "unit", "function", "phone", "status", "contingent", "satgas"]
TPS_FIELDS = [
    "address",
    "lat",
    "lon",
    "dpt",
    "is_khusus",
    "khusus_kind",
    "indicators",
    "category_computed",
    "category",
]


@transaction.atomic
def demo_seed(*, voting_day: dt.date | None = None, logistics: bool = True) -> DemoResult:
    """Build (or bring back to) the deterministic Kota Metro demo, its election calendar placed
    so that polling day is `voting_day` (the Pemilu 2024 calendar itself when `None`)."""
    rng = random.Random(SEED)  # noqa: S311 (demo data, not secrets)
    shift = polling_day_shift(voting_day)
    reference_load(voting_day=voting_day)
    units = _units()
    _users_exist()
    _contingents(units, _bko_request(shift), shift)
    officers = _officer_rows(rng, units)
    units_by_id = {u.pk: u for u in units.values()}
    satgas = {s.code: s for s in Satgas.objects.all()}
    for officer in officers:
        officer.satgas = _satgas_for(officer, units_by_id, satgas)
    Officer.objects.bulk_create(
        officers, update_conflicts=True, unique_fields=["nrp"], update_fields=OFFICER_FIELDS
    )
    tps = _tps_rows(rng)
    Tps.objects.bulk_create(
        tps, update_conflicts=True, unique_fields=["kelurahan", "number"], update_fields=TPS_FIELDS
    )
    users = _users(units)
    posts = _posts()
    # The shipped Sispamkota scenarios (idempotent: an unchanged file changes nothing).
    scenario_load_files()
    # The distribution plan of the ballots under escort, placed around polling day.
    if logistics:
        logistics_demo_seed(voting_day=voting_day or POLLING_DAY_2024)
    recap_demo_seed(voting_day=voting_day or POLLING_DAY_2024)
    bko = sum(1 for o in officers if o.contingent is not None)
    return DemoResult(
        units=len(units),
        officers_polres=len(officers) - bko,
        officers_bko=bko,
        tps=len(tps),
        dpt=sum(t.dpt for t in tps),
        users=users,
        posts=posts,
    )
