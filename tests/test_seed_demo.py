"""seed_demo builds the Kota Metro demo: the right counts, the same rows every run."""

import datetime as dt
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from operations.models import ElectionPhase, Kecamatan, Kelurahan, Tps
from operations.reference import WIB
from operations.selectors import operation_window_default, phase_current
from personnel.models import BkoContingent, BkoRequest, Officer, Unit, UnitKind


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
    # Without the logistics plan: its custody trail is append-only, so its officers and TPS
    # cannot be deleted to make the database empty again.
    call_command("seed_demo", "--allow-production", "--without-logistics", verbosity=0)
    first = snapshot()
    Officer.objects.all().delete()
    Tps.objects.all().delete()
    call_command("seed_demo", "--allow-production", "--without-logistics", verbosity=0)
    second = snapshot()
    strip = lambda rows: [r[1:] for r in rows]  # noqa: E731 (ids differ after a delete)
    assert strip(second["officers"]) == strip(first["officers"])
    assert strip(second["tps"]) == strip(first["tps"])
    assert second["units"] == first["units"]


def _wib(phase) -> str:
    return timezone.localtime(phase.starts_at).strftime("%Y-%m-%d %H:%M")


def test_the_demo_election_is_today_by_default(db, settings):
    settings.TIME_ZONE = "Asia/Jakarta"
    call_command("seed_demo", "--allow-production", verbosity=0)
    polling = ElectionPhase.objects.get(code="pemungutan")
    assert _wib(polling) == f"{timezone.localdate():%Y-%m-%d} 07:00"
    start, end = operation_window_default()
    assert timezone.localdate(start) == timezone.localdate() - dt.timedelta(days=1)
    assert end > timezone.now()  # the planner proposes today's operation, not 2024's


def test_voting_day_places_every_phase_and_the_bko_dates_around_it(db, settings):
    settings.TIME_ZONE = "Asia/Jakarta"
    call_command("seed_demo", "--allow-production", "--voting-day", "2027-04-21", verbosity=0)
    phases = {p.code: p for p in ElectionPhase.objects.all()}
    assert _wib(phases["pemungutan"]) == "2027-04-21 07:00"
    assert _wib(phases["penghitungan"]) == "2027-04-21 13:00"
    # The 2024 calendar's distances are kept: masa tenang the three days before polling day.
    assert _wib(phases["masa-tenang"]) == "2027-04-18 00:00"
    assert timezone.localtime(phases["kampanye"].ends_at).strftime("%Y-%m-%d %H:%M") == (
        "2027-04-17 23:59"
    )
    assert phase_current(dt.datetime(2027, 4, 21, 10, 0, tzinfo=WIB)).code == "pemungutan"
    request = BkoRequest.objects.get()
    assert timezone.localtime(request.needed_from).strftime("%Y-%m-%d %H:%M") == (
        "2027-04-19 06:00"
    )
    arrived = {timezone.localtime(c.arrived_at).date() for c in BkoContingent.objects.all()}
    assert arrived == {dt.date(2027, 4, 19)}
    # Placed again on another day: the rows move, nothing is added.
    call_command("seed_demo", "--allow-production", "--voting-day", "2024-02-14", verbosity=0)
    assert _wib(ElectionPhase.objects.get(code="pemungutan")) == "2024-02-14 07:00"
    assert BkoRequest.objects.count() == 1 and ElectionPhase.objects.count() == 6


def test_a_voting_day_that_is_not_a_date_is_refused(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("seed_demo", "--allow-production", "--voting-day", "14/02/2024")
    assert not Officer.objects.exists()


def test_between_two_phases_the_banner_names_the_next(db, settings, client_for):
    settings.TIME_ZONE = "Asia/Jakarta"
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    call_command("seed_demo", "--allow-production", "--voting-day", f"{tomorrow}", verbosity=0)
    # The night before polling day is masa tenang; make it end now to stand between phases.
    ElectionPhase.objects.filter(code="masa-tenang").update(
        ends_at=timezone.now() - dt.timedelta(minutes=1)
    )
    page = client_for("komando").get("/operasi/dasbor/").content.decode()
    assert "di luar jadwal tahapan" in page
    assert f"berikutnya Pemungutan suara, {tomorrow:%d} " in page
