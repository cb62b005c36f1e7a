"""Kota Metro's reference data: kecamatan, kelurahan and the Pemilu 2024 timetable.

Centroids are approximate (read off public maps to about 500 m), good enough to place markers and
measure distances inside a 69 km2 city; replace them with survey values where they exist.
Loaded by a data migration and again (idempotently) by seed_demo.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.apps import apps as django_apps
from django.utils.text import slugify

WIB = ZoneInfo("Asia/Jakarta")

# kecamatan -> (centroid, [(kelurahan, lat, lon), ...])
KOTA_METRO: dict[str, tuple[tuple[float, float], list[tuple[str, float, float]]]] = {
    "Metro Pusat": (
        (-5.1120, 105.3060),
        [
            ("Metro", -5.1135, 105.3065),
            ("Hadimulyo Barat", -5.1045, 105.2990),
            ("Hadimulyo Timur", -5.1035, 105.3100),
            ("Yosomulyo", -5.1195, 105.3175),
            ("Imopuro", -5.1185, 105.2985),
        ],
    ),
    "Metro Barat": (
        (-5.1170, 105.2850),
        [
            ("Mulyojati", -5.1150, 105.2830),
            ("Mulyosari", -5.1305, 105.2760),
            ("Ganjaragung", -5.1235, 105.2915),
            ("Ganjarasri", -5.1075, 105.2875),
        ],
    ),
    "Metro Timur": (
        (-5.1120, 105.3290),
        [
            ("Tejosari", -5.0995, 105.3380),
            ("Tejoagung", -5.1115, 105.3325),
            ("Yosorejo", -5.1050, 105.3250),
            ("Iringmulyo", -5.1180, 105.3285),
            ("Yosodadi", -5.1265, 105.3225),
        ],
    ),
    "Metro Utara": (
        (-5.0850, 105.3000),
        [
            ("Purwoasri", -5.0780, 105.3050),
            ("Banjarsari", -5.0880, 105.2950),
            ("Purwosari", -5.0905, 105.3150),
            ("Karangrejo", -5.0820, 105.2820),
        ],
    ),
    "Metro Selatan": (
        (-5.1470, 105.3060),
        [
            ("Sumbersari", -5.1420, 105.3050),
            ("Rejomulyo", -5.1505, 105.2930),
            ("Margodadi", -5.1400, 105.3200),
            ("Margorejo", -5.1555, 105.3100),
        ],
    ),
}

# Registered voters by kecamatan (Pilkada 2024), used for proportions only.
VOTERS_BY_KECAMATAN = {
    "Metro Pusat": 40790,
    "Metro Timur": 30517,
    "Metro Utara": 25157,
    "Metro Barat": 21491,
    "Metro Selatan": 13527,
}


def _wib(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=WIB)


# Pemilu 2024 (PKPU 3/2022). Risk weights: polling day, counting and the results are the peaks.
PHASES_2024 = [
    ("kampanye", "Kampanye", _wib(2023, 11, 28), _wib(2024, 2, 10, 23, 59), 1.2),
    ("masa-tenang", "Masa tenang", _wib(2024, 2, 11), _wib(2024, 2, 13, 23, 59), 1.3),
    ("pemungutan", "Pemungutan suara", _wib(2024, 2, 14, 7), _wib(2024, 2, 14, 13), 2.0),
    ("penghitungan", "Penghitungan suara", _wib(2024, 2, 14, 13), _wib(2024, 2, 15, 23, 59), 1.8),
    ("rekapitulasi", "Rekapitulasi", _wib(2024, 2, 16), _wib(2024, 3, 20, 23, 59), 1.5),
    ("penetapan", "Penetapan hasil", _wib(2024, 3, 21), _wib(2024, 4, 30, 23, 59), 1.6),
]


# The six satgas of Operasi Mantap Brata at Polres level.
SATGAS = [
    ("preemtif", "Preemtif"),
    ("preventif", "Preventif"),
    ("kamseltibcarlantas", "Kamseltibcarlantas"),
    ("gakkum", "Gakkum"),
    ("humas", "Humas"),
    ("banops", "Banops"),
]

# TPS security patterns: Polda Lampung 2024 (the default) and Polres Metro Pilkada 2020.
PATTERNS = [
    (
        "Polda Lampung 2024",
        True,
        {
            "kurang_rawan": {"officers": 2, "max_tps": 20, "min_tps": 12},
            "rawan": {"officers": 2, "max_tps": 2, "min_tps": 1},
            "sangat_rawan": {"officers": 2, "max_tps": 1, "min_tps": 1},
            "khusus": {"officers": 2, "max_tps": 1, "min_tps": 1},
        },
        "Skema pengamanan TPS Polda Lampung, Pemilu 2024 (Tribratanews Polda Lampung).",
    ),
    (
        "Polres Metro Pilkada 2020",
        False,
        {
            "kurang_rawan": {"officers": 2, "max_tps": 5, "min_tps": 1},
            "rawan": {"officers": 2, "max_tps": 5, "min_tps": 1},
            "sangat_rawan": {"officers": 2, "max_tps": 1, "min_tps": 1},
            "khusus": {"officers": 2, "max_tps": 1, "min_tps": 1},
        },
        "2 personel Polri dan 10 Linmas per 5 TPS (Polres Metro, Pilkada 2020).",
    ),
]


def reference_load(apps=None, *, voting_day: dt.date | None = None) -> None:
    """Create or update kecamatan, kelurahan, phases (placed around `voting_day`: phases_place),
    satgas and the TPS patterns (idempotent).

    `apps` is the migration's app registry when called from a migration.
    """
    if apps is None:
        apps = django_apps
    places_load(apps, voting_day=voting_day)
    Satgas = apps.get_model("personnel", "Satgas")
    for order, (code, name) in enumerate(SATGAS, start=1):
        Satgas.objects.update_or_create(code=code, defaults={"name": name, "order": order})
    Pattern = apps.get_model("operations", "DeploymentPattern")
    for name, default, rules, description in PATTERNS:
        Pattern.objects.update_or_create(
            name=name, defaults={"is_default": default, "rules": rules, "description": description}
        )


def places_load(apps, *, voting_day: dt.date | None = None) -> None:
    """Kecamatan, kelurahan and the election phases (what migration 0002 loads)."""
    Kecamatan = apps.get_model("operations", "Kecamatan")
    Kelurahan = apps.get_model("operations", "Kelurahan")
    for kec_name, ((lat, lon), kels) in KOTA_METRO.items():
        kec, _ = Kecamatan.objects.update_or_create(
            code=slugify(kec_name), defaults={"name": kec_name, "lat": lat, "lon": lon}
        )
        for kel_name, klat, klon in kels:
            Kelurahan.objects.update_or_create(
                code=slugify(kel_name),
                defaults={"name": kel_name, "kecamatan": kec, "lat": klat, "lon": klon},
            )
    phases_place(voting_day, apps=apps)


# Polling day of the reference calendar: every phase is placed relative to it.
POLLING_DAY_2024 = dt.date(2024, 2, 14)


def polling_day_shift(voting_day: dt.date | None) -> dt.timedelta:
    """How far the reference calendar moves so that its polling day falls on `voting_day`
    (whole days, so every phase keeps its clock times in WIB); none for `None`."""
    if voting_day is None:
        return dt.timedelta(0)
    return dt.timedelta(days=(voting_day - POLLING_DAY_2024).days)


def phases_place(voting_day: dt.date | None, *, apps=None) -> int:
    """Move the election timetable so that polling day is `voting_day` (07:00-13:00 WIB), every
    other phase at its Pemilu 2024 distance from it; `None` puts the 2024 calendar back.
    Idempotent: computed from the reference table, never from the rows' current times.
    `apps` is the migration's app registry when called from one (places_load)."""
    ElectionPhase = (apps or django_apps).get_model("operations", "ElectionPhase")
    shift = polling_day_shift(voting_day)
    for code, name, start, end, weight in PHASES_2024:
        ElectionPhase.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "starts_at": start + shift,
                "ends_at": end + shift,
                "risk_weight": weight,
            },
        )
    return len(PHASES_2024)
