"""seed_demo builds the Kota Metro demo: the right counts, the same rows every run."""

import time

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Sum

from operations.models import Kecamatan, Kelurahan, Tps
from personnel.models import BkoContingent, Officer, Unit, UnitKind


def snapshot() -> dict:
    """Every row the demo makes, by natural key, with the values a user sees."""
    return {
        "units": sorted(Unit.objects.values_list("code", "name", "kind", "parent__code")),
        "officers": sorted(
            Officer.objects.values_list(
                "id",
                "nrp",
                "name",
                "rank",
                "unit__code",
                "function",
                "phone",
                "status",
                "contingent__code",
                "user__username",
            )
        ),
        "tps": sorted(
            Tps.objects.values_list(
                "id",
                "kelurahan__name",
                "number",
                "address",
                "lat",
                "lon",
                "dpt",
                "is_khusus",
                "category",
            )
        ),
        "contingents": sorted(BkoContingent.objects.values_list("code", "strength", "status")),
    }


def test_it_builds_the_kota_metro_demo_with_the_published_figures(db):
    started = time.perf_counter()
    call_command("seed_demo", "--allow-production", verbosity=0)
    assert time.perf_counter() - started < 30

    assert Kecamatan.objects.count() == 5
    assert Kelurahan.objects.count() == 22
    polres = Officer.objects.filter(contingent__isnull=True)
    assert polres.count() == 565
    assert Officer.objects.filter(contingent__isnull=False).count() == 260
    assert Officer.objects.values("nrp").distinct().count() == 825
    assert all(len(n) == 8 and n.isdigit() for n in Officer.objects.values_list("nrp", flat=True))
    bko = dict(BkoContingent.objects.values_list("name", "strength"))
    assert sorted(bko.values()) == [30, 30, 100, 100]
    assert sum(bko.values()) == 260
    assert Unit.objects.filter(kind=UnitKind.POLSEK).count() == 5
    assert {UnitKind.BAG, UnitKind.SAT, UnitKind.SI} <= set(
        Unit.objects.values_list("kind", flat=True)
    )
    # Every Polres unit (not the BKO home units) has officers.
    assert not Unit.objects.exclude(kind=UnitKind.EXTERNAL).filter(officers__isnull=True).exists()

    assert Tps.objects.count() == 462
    assert Tps.objects.filter(is_khusus=True).count() == 2
    assert Tps.objects.aggregate(s=Sum("dpt"))["s"] == 128_370
    assert Tps.objects.filter(dpt__gt=300).count() == 0
    assert set(Tps.objects.values_list("category", flat=True)) == {
        "kurang_rawan",
        "rawan",
        "sangat_rawan",
    }
    assert Kelurahan.objects.filter(tps__isnull=True).count() == 0
    for lat, lon in Tps.objects.values_list("lat", "lon"):
        assert -5.175 <= lat <= -5.055 and 105.245 <= lon <= 105.365

    users = get_user_model().objects.filter(
        username__in=["komando", "intel", "lapangan", "penghubung_kpu", "admin"]
    )
    assert {u.username: [g.name for g in u.groups.all()] for u in users} == {
        "komando": ["komando"],
        "intel": ["intel"],
        "lapangan": ["lapangan"],
        "penghubung_kpu": ["penghubung_kpu"],
        "admin": ["admin"],
    }
    assert users.get(username="lapangan").officer.unit.code == "polsek-metro-pusat"
    assert users.get(username="komando").check_password("sispam-demo-2024")


def test_running_it_twice_changes_nothing(db):
    call_command("seed_demo", "--allow-production", verbosity=0)
    first = snapshot()
    password = get_user_model().objects.get(username="komando").password
    call_command("seed_demo", "--allow-production", verbosity=0)
    assert snapshot() == first
    assert get_user_model().objects.get(username="komando").password == password


def test_it_builds_the_same_rows_on_an_empty_database_every_time(db):
    call_command("seed_demo", "--allow-production", verbosity=0)
    first = snapshot()
    Officer.objects.all().delete()
    Tps.objects.all().delete()
    call_command("seed_demo", "--allow-production", verbosity=0)
    second = snapshot()
    strip = lambda rows: [r[1:] for r in rows]  # noqa: E731 (ids differ after a delete)
    assert strip(second["officers"]) == strip(first["officers"])
    assert strip(second["tps"]) == strip(first["tps"])
    assert second["units"] == first["units"]
