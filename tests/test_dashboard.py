"""The command dashboard and the liaison's view: the right figures, the right side of the line,
and a fixed number of queries however much data there is."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Alert, Incident
from operations.models import ElectionPhase, Kecamatan, Kelurahan, Post, Tps
from operations.reference import reference_load


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    cache.clear()


@pytest.fixture
def city(db):
    reference_load()
    metro = Kelurahan.objects.get(name="Metro")
    yosodadi = Kelurahan.objects.get(name="Yosodadi")
    t1 = Tps.objects.create(kelurahan=metro, number=1, lat=-5.113, lon=105.306, dpt=250)
    t2 = Tps.objects.create(
        kelurahan=yosodadi, number=2, lat=-5.120, lon=105.320, dpt=260, category="sangat_rawan"
    )
    t2.status = "pemungutan"
    t2.save(update_fields=["status"])
    return {"metro": metro, "yosodadi": yosodadi, "tps": [t1, t2]}


def incident(*, kel, reporter, colour="hijau", type="gangguan_tps", status="baru", **extra):
    return Incident.objects.create(
        type=type,
        colour=colour,
        status=status,
        occurred_at=timezone.now(),
        kelurahan=kel,
        description="uraian",
        reporter=reporter,
        lat=kel.lat,
        lon=kel.lon,
        **extra,
    )


def alert(*, kel, level="merah", status="open", **extra):
    return Alert.objects.create(
        kind="report",
        level=level,
        status=status,
        title=f"Ancaman di {kel.name}",
        kelurahan=kel,
        reasons=["kata ancaman: ricuh"],
        **extra,
    )


def test_the_stats_count_real_incidents_and_alerts_and_leave_exercises_out(city, personas, api_for):
    field = personas["lapangan"]
    incident(kel=city["metro"], reporter=field, colour="merah")
    incident(kel=city["metro"], reporter=field, colour="kuning", status="selesai")
    incident(kel=city["yosodadi"], reporter=field, colour="merah", is_exercise=True)
    alert(kel=city["metro"], ack_overdue_at=timezone.now())
    alert(kel=city["metro"], level="kuning", status="closed")
    alert(kel=city["yosodadi"], is_exercise=True)

    body = api_for("komando").get("/api/v1/dashboard/stats/").json()

    colours = {c["key"]: c["n"] for c in body["incidents_by_colour"]}
    assert colours == {"hijau": 0, "kuning": 1, "merah": 1}
    assert body["incidents_open"] == 1
    assert body["alerts_open"] == 1 and body["alerts_overdue"] == 1
    assert body["alerts_open_merah"] == 1
    statuses = {s["key"]: s["n"] for s in body["tps_by_status"]}
    assert statuses["pemungutan"] == 1 and statuses["belum_dibuka"] == 1
    assert body["tps"] == {"n": 2, "dpt": 510}
    assert sum(p["n"] for p in body["incidents_per_hour"]) == 2
    risk = {r["kecamatan"]: r for r in body["risk_by_kecamatan"]}
    metro_pusat = risk[city["metro"].kecamatan.name]
    assert metro_pusat["incidents"] == 1 and metro_pusat["alerts"] == 1
    assert body["risk_by_kecamatan"][0]["kecamatan"] == city["metro"].kecamatan.name


def test_response_times_are_the_minutes_from_report_to_first_on_scene(city, personas, api_for):
    field = personas["lapangan"]
    for minutes in (5, 10, 30):
        i = incident(kel=city["metro"], reporter=field)
        Incident.objects.filter(pk=i.pk).update(
            first_on_scene_at=i.reported_at + dt.timedelta(minutes=minutes)
        )
    body = api_for("intel").get("/api/v1/dashboard/stats/").json()
    assert body["response_minutes"] == {"n": 3, "median": 10.0, "p90": 30.0}


def test_the_kecamatan_and_phase_filters_narrow_every_figure(city, personas, api_for):
    field = personas["lapangan"]
    incident(kel=city["metro"], reporter=field, colour="merah")
    old = incident(kel=city["yosodadi"], reporter=field, colour="kuning")
    Incident.objects.filter(pk=old.pk).update(reported_at=timezone.now() - dt.timedelta(days=3))
    api = api_for("komando")
    kec = city["metro"].kecamatan

    body = api.get(f"/api/v1/dashboard/stats/?kec={kec.pk}&window=0").json()
    assert {c["key"]: c["n"] for c in body["incidents_by_colour"]}["merah"] == 1
    assert sum(c["n"] for c in body["incidents_by_colour"]) == 1
    assert body["tps"]["n"] == 1
    assert [r["kecamatan"] for r in body["risk_by_kecamatan"]] == [kec.name]

    day = api.get("/api/v1/dashboard/stats/?window=24").json()
    assert sum(c["n"] for c in day["incidents_by_colour"]) == 1
    everything = api.get("/api/v1/dashboard/stats/?window=0").json()
    assert sum(c["n"] for c in everything["incidents_by_colour"]) == 2

    now = timezone.now()
    ElectionPhase.objects.create(
        code="uji",
        name="Tahap uji",
        starts_at=now - dt.timedelta(days=4),
        ends_at=now - dt.timedelta(days=2),
    )
    phase = api.get("/api/v1/dashboard/stats/?phase=uji").json()
    assert {c["key"]: c["n"] for c in phase["incidents_by_colour"]} == {
        "hijau": 0,
        "kuning": 1,
        "merah": 0,
    }


@pytest.mark.parametrize(
    "query",
    ["kec=999999", "kec=abc", "window=5", "window=x", "phase=tidak-ada"],
)
def test_a_bad_filter_is_a_400_naming_the_field(city, api_for, client_for, query):
    answer = api_for("komando").get(f"/api/v1/dashboard/stats/?{query}")
    assert answer.status_code == 400
    field = query.split("=")[0]
    assert field in answer.json()["detail"]
    page = client_for("komando").get(f"/operasi/dasbor/?{query}")
    assert page.status_code == 400
    assert "Saringan tidak sah" in page.content.decode()


def test_the_command_map_has_posts_alerts_and_exercise_marks(city, personas, api_for):
    field = personas["lapangan"]
    incident(kel=city["metro"], reporter=field, colour="merah", is_exercise=True)
    incident(kel=city["metro"], reporter=field, type="kecelakaan")
    Post.objects.create(kind="kpu", name="Kantor KPU", lat=-5.116, lon=105.305, required_strength=4)
    alert(kel=city["metro"])
    body = api_for("komando").get("/api/v1/dashboard/map/").json()
    assert len(body["tps"]) == 2
    assert {i["exercise"] for i in body["incidents"]} == {True, False}
    assert body["posts"][0] == {
        "id": body["posts"][0]["id"],
        "name": "Kantor KPU",
        "kind": "kpu",
        "lat": -5.116,
        "lon": 105.305,
        "required": 4,
        "assigned": 0,
    }
    assert body["alerts"][0]["title"] == "Ancaman di Metro"
    assert {k["name"] for k in body["labels"]["kecamatan"]} == set(
        Kecamatan.objects.values_list("name", flat=True)
    )


def test_the_liaison_map_holds_tps_and_real_election_incidents_only(city, personas, api_for):
    field = personas["lapangan"]
    incident(kel=city["metro"], reporter=field, type="politik_uang", colour="kuning")
    incident(kel=city["metro"], reporter=field, type="kecelakaan")  # not the election process
    incident(kel=city["metro"], reporter=field, type="bentrok", is_exercise=True)
    Post.objects.create(kind="kpu", name="Kantor KPU", lat=-5.116, lon=105.305, required_strength=4)
    alert(kel=city["metro"])
    body = api_for("penghubung_kpu").get("/api/v1/dashboard/map/").json()
    assert set(body) == {"labels", "tps", "incidents"}
    assert [i["type"] for i in body["incidents"]] == ["politik_uang"]
    assert set(body["incidents"][0]) == {
        "id",
        "type",
        "status",
        "colour",
        "at",
        "kelurahan",
        "lat",
        "lon",
    }
    # The liaison may not read the command's counters at all.
    assert api_for("penghubung_kpu").get("/api/v1/dashboard/stats/").status_code == 403


def test_the_liaison_page_shows_statuses_and_incidents_without_people(city, personas, client_for):
    field = personas["lapangan"]
    field.first_name, field.last_name = "Bripda", "Santoso"
    field.save()
    incident(kel=city["metro"], reporter=field, type="politik_uang", colour="kuning")
    incident(kel=city["metro"], reporter=field, type="bentrok", is_exercise=True)
    alert(kel=city["metro"])
    page = client_for("penghubung_kpu").get("/kpu/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "politik uang" in html
    table = html.split('id="liaison-incidents"')[1].split("</table>")[0]
    assert "politik uang" in table and "bentrok" not in table  # exercises stay out
    assert "Santoso" not in html and "lapangan" not in html
    assert "Ancaman di Metro" not in html and "ricuh" not in html  # no alerts, no reasons
    assert "pemungutan berjalan" in html


def test_the_printable_summary_is_dated_and_names_who_printed_it(city, client_for):
    page = client_for("penghubung_kpu").get("/kpu/ringkasan/?window=24")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Ringkasan Pengamanan Pemilu Kota Metro" in html
    today = timezone.localtime().strftime("%Y")
    assert today in html and "Dicetak oleh Penghubung KPU" in html  # by function, no name
    assert "Tidak memuat data intelijen maupun data pribadi" in html


def test_the_liaison_summary_api_gives_statuses_per_kecamatan(city, api_for):
    body = api_for("penghubung_kpu").get("/api/v1/liaison/summary/").json()
    assert body["tps_total"] == 2
    rows = {r["kecamatan"]: r for r in body["kecamatan"]}
    statuses = [s["status"] for s in body["statuses"]]
    yosodadi_kec = rows[Kelurahan.objects.get(name="Yosodadi").kecamatan.name]
    assert yosodadi_kec["by_status"][statuses.index("pemungutan")] == 1
    assert "officers" not in str(body).lower()


def _grow(city, personas, n: int) -> None:
    field = personas["lapangan"]
    for i in range(n):
        kel = city["metro"] if i % 2 else city["yosodadi"]
        incident(kel=kel, reporter=field, colour=["hijau", "kuning", "merah"][i % 3])
        alert(kel=kel, level=["kuning", "merah"][i % 2], status=["open", "acknowledged"][i % 2])
        Post.objects.create(
            kind="tps", name=f"Pos {i}", lat=-5.116, lon=105.305, required_strength=2
        )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/dashboard/stats/",
        "/api/v1/dashboard/map/",
        "/api/v1/liaison/summary/",
        "/operasi/dasbor/panel/",
        "/operasi/dasbor/",
        "/api/v1/alerts/?open=true&page_size=200",
        "/api/v1/alerts/?since=0&page_size=200",
        "/kpu/",
        "/kpu/ringkasan/",
    ],
)
def test_the_query_count_does_not_grow_with_the_data(city, personas, client_for, url):
    role = "penghubung_kpu" if url.startswith("/kpu/") else "komando"
    client = client_for(role)
    _grow(city, personas, 3)
    client.get(url)  # warm: sessions, content types
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(city, personas, 30)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]


def test_the_dashboard_page_renders_the_feed_with_reasons_and_report_links(
    city, personas, client_for
):
    from incidents.models import EwScore

    i = incident(kel=city["metro"], reporter=personas["lapangan"], colour="merah")
    a = alert(kel=city["metro"])
    score = EwScore.objects.create(
        incident=i, engine_version="t", score=90, level="merah", reasons=["x"]
    )
    a.scores.add(score)
    html = client_for("komando").get("/operasi/dasbor/").content.decode()
    assert f'data-id="{a.pk}"' in html
    assert "kata ancaman: ricuh" in html
    assert f'href="/kejadian/{i.pk}/"' in html
    assert re.search(r'id="dash-config"', html)
    assert "cdn" not in html.lower()


def test_the_alert_list_and_the_alert_detail_say_the_same(city, personas, api_for):
    from incidents.models import EwScore

    i = incident(kel=city["metro"], reporter=personas["lapangan"], colour="merah")
    a = alert(kel=city["metro"], ack_overdue_at=timezone.now())
    a.scores.add(EwScore.objects.create(incident=i, engine_version="t", score=90, level="merah"))
    alert(kel=city["yosodadi"], level="kuning")
    api = api_for("komando")
    listed = {row["id"]: row for row in api.get("/api/v1/alerts/?open=true").json()["results"]}
    assert len(listed) == 2
    detail = api.get(f"/api/v1/alerts/{a.pk}/").json()
    assert listed[a.pk] == detail
    assert detail["reports"] == 1 and detail["report_refs"][0]["url"] == f"/kejadian/{i.pk}/"


def test_a_shared_answer_is_rebuilt_after_a_change_and_not_before(settings):
    from command.api_dashboard import cached
    from core.changes import data_changed_mark

    settings.DASHBOARD_CACHE_SECONDS = 60
    builds = []

    def build():
        builds.append(1)
        return len(builds)

    assert cached("t:key", build) == 1
    assert cached("t:key", build) == 1  # shared, not rebuilt
    data_changed_mark()
    assert cached("t:key", build) == 2  # an incident or alert changed: built again
    assert cached("t:key", build) == 2


def test_the_command_posts_reason_for_a_tps_category_stays_with_the_police(
    city, client_for, api_for
):
    tps = city["tps"][0]
    Tps.objects.filter(pk=tps.pk).update(
        category_override="sangat_rawan", override_reason="Info intel: rencana pengerahan massa"
    )
    for role, sees in (("penghubung_kpu", False), ("komando", True), ("intel", True)):
        page = client_for(role).get(f"/operasi/tps/{tps.pk}/").content.decode()
        body = api_for(role).get(f"/api/v1/tps/{tps.pk}/").json()
        assert ("rencana pengerahan" in page) is sees, role
        assert ("override_reason" in body) is sees, role
        assert body["category_override"] == "sangat_rawan"


def test_the_filter_form_shows_the_24_hour_window_unless_asked_otherwise(city, client_for):
    client = client_for("komando")
    selected = 'value="24" selected'
    assert selected in client.get("/operasi/dasbor/").content.decode()
    assert selected in client.get("/operasi/dasbor/?dinding=1").content.decode()
    assert 'value="6" selected' in client.get("/operasi/dasbor/?window=6").content.decode()


def test_an_incident_past_its_verification_time_counts_as_late_on_the_dashboard(
    city, personas, api_for, client_for
):
    field = personas["lapangan"]
    past = timezone.now() - dt.timedelta(minutes=1)
    incident(kel=city["metro"], reporter=field, colour="merah", verify_due_at=past)
    incident(
        kel=city["metro"], reporter=field, verify_due_at=timezone.now() + dt.timedelta(hours=1)
    )
    incident(kel=city["metro"], reporter=field, status="diverifikasi", verify_due_at=past)
    body = api_for("komando").get("/api/v1/dashboard/stats/").json()
    assert body["incidents_open"] == 3 and body["incidents_overdue"] == 1
    page = client_for("komando").get("/operasi/dasbor/").content.decode()
    assert 'class="counter late"' in page
    assert re.search(r'data-k="incidents-overdue">terlambat 1<', page)


def test_response_times_read_in_minutes_not_seconds(city, personas, client_for):
    done = incident(kel=city["metro"], reporter=personas["lapangan"])
    Incident.objects.filter(pk=done.pk).update(
        first_on_scene_at=done.reported_at + dt.timedelta(seconds=1320)
    )
    client = client_for("komando")
    listing = client.get("/kejadian/").content.decode()
    assert "22 menit" in listing and "1320 s" not in listing
    detail = client.get(f"/kejadian/{done.pk}/").content.decode()
    assert "22 menit" in detail
