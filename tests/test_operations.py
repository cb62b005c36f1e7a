"""TPS and their vulnerability, posts, and assignments without double-booking."""

import datetime as dt

import pytest
from django.utils import timezone

from core.models import AuditEvent
from operations.models import Assignment, Kelurahan, Post, Tps
from operations.reference import reference_load
from personnel.models import Officer, Unit, UnitKind


@pytest.fixture
def kel(db):
    reference_load()
    return Kelurahan.objects.get(name="Metro")


@pytest.fixture
def tps(kel):
    return Tps.objects.create(kelurahan=kel, number=1, lat=-5.1135, lon=105.3065, dpt=280)


def tps_body(**extra):
    return {
        "kelurahan": "Metro",
        "number": 7,
        "lat": -5.113,
        "lon": 105.306,
        "dpt": 250,
        "address": "Jl. Jend. Sudirman No. 1",
        **extra,
    }


def test_komando_adds_a_tps_and_its_category_follows_its_indicators(api_for, kel):
    body = tps_body(indicators=["politik_uang", "dekat_posko"])
    response = api_for("komando").post("/api/v1/tps/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["category"] == "rawan"
    assert response.json()["kecamatan"] == "Metro Pusat"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (tps_body(lat=-5.3, lon=105.3), "lat"),  # south of the city
        (tps_body(lat=-6.2, lon=106.8), "lat"),  # Jakarta
        (tps_body(dpt=-5), "dpt"),
        (tps_body(kelurahan="Atlantis"), "kelurahan"),
        (tps_body(indicators=["hantu"]), "indicators"),
    ],
)
def test_bad_tps_input_gets_a_400_naming_the_field(api_for, kel, body, field):
    response = api_for("komando").post("/api/v1/tps/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Tps.objects.exists()


@pytest.mark.parametrize(
    ("indicators", "category"),
    [
        ([], "kurang_rawan"),
        (["pemilih_tms"], "kurang_rawan"),
        (["pemilih_tms", "kpps_luar"], "rawan"),
        (["sara"], "rawan"),
        (["riwayat_kekerasan", "intimidasi"], "sangat_rawan"),
        (["tidak_netral", "logistik", "dekat_posko", "rawan_bencana"], "sangat_rawan"),
    ],
)
def test_the_documented_rule_turns_indicators_into_a_category(api_for, tps, indicators, category):
    response = api_for("komando").post(
        f"/api/v1/tps/{tps.pk}/indicators/", {"indicators": indicators}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["category"] == category


def test_an_override_needs_a_reason_and_survives_new_indicators(api_for, tps):
    api = api_for("komando")
    no_reason = api.post(
        f"/api/v1/tps/{tps.pk}/override/", {"category": "sangat_rawan"}, format="json"
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    ok = api.post(
        f"/api/v1/tps/{tps.pk}/override/",
        {"category": "sangat_rawan", "reason": "info intelijen: massa bayaran"},
        format="json",
    )
    assert ok.json()["category"] == "sangat_rawan"
    again = api.post(f"/api/v1/tps/{tps.pk}/indicators/", {"indicators": []}, format="json")
    assert again.json()["category"] == "sangat_rawan"
    assert again.json()["category_computed"] == "kurang_rawan"
    cleared = api.post(f"/api/v1/tps/{tps.pk}/override/", {"category": ""}, format="json")
    assert cleared.json()["category"] == "kurang_rawan"
    assert AuditEvent.objects.filter(action="tps.override").count() == 2
    assert (
        api_for("intel")
        .post(f"/api/v1/tps/{tps.pk}/override/", {"category": ""}, format="json")
        .status_code
        == 403
    )


def test_the_override_form_on_the_tps_page_works_for_komando_only(client_for, tps):
    client = client_for("komando")
    response = client.post(
        f"/operasi/tps/{tps.pk}/",
        {"category": "rawan", "reason": "laporan Bawaslu", "override-submit": "1"},
    )
    assert response.status_code == 302
    tps.refresh_from_db()
    assert tps.category == "rawan" and tps.override_reason == "laporan Bawaslu"
    assert (
        client_for("penghubung_kpu")
        .post(f"/operasi/tps/{tps.pk}/", {"category": "", "override-submit": "1"})
        .status_code
        == 403
    )


def test_the_tps_list_filters_and_serves_geojson(api_for, kel, tps):
    Tps.objects.create(
        kelurahan=Kelurahan.objects.get(name="Margorejo"),
        number=1,
        lat=-5.155,
        lon=105.31,
        dpt=200,
        category="rawan",
    )
    api = api_for("penghubung_kpu")
    listing = api.get("/api/v1/tps/", {"kecamatan": "metro-selatan"}).json()
    assert [t["kelurahan"] for t in listing["results"]] == ["Margorejo"]
    geo = api.get("/api/v1/tps/geojson/", {"category": "rawan"}).json()
    assert geo["type"] == "FeatureCollection"
    assert len(geo["features"]) == 1
    assert geo["features"][0]["geometry"]["coordinates"] == [105.31, -5.155]


@pytest.fixture
def officer(db):
    unit = Unit.objects.create(
        code="polsek-metro-pusat", name="Polsek Metro Pusat", kind=UnitKind.POLSEK
    )
    return Officer.objects.create(nrp="95020001", name="Rudi", rank=7, unit=unit)


@pytest.fixture
def posts(kel):
    kpu = Post.objects.create(
        kind="kpu", name="Kantor KPU", lat=-5.116, lon=105.305, required_strength=20
    )
    gudang = Post.objects.create(
        kind="gudang", name="Gudang", lat=-5.122, lon=105.312, required_strength=4
    )
    return kpu, gudang


def test_an_officer_cannot_be_in_two_places_at_once(api_for, officer, posts):
    api = api_for("komando")
    t0 = timezone.now().replace(microsecond=0)
    first = api.post(
        "/api/v1/assignments/",
        {
            "officer": officer.pk,
            "post": posts[0].pk,
            "starts_at": t0.isoformat(),
            "ends_at": (t0 + dt.timedelta(hours=8)).isoformat(),
        },
        format="json",
    )
    assert first.status_code == 201, first.json()
    clash = api.post(
        "/api/v1/assignments/",
        {
            "officer": officer.pk,
            "post": posts[1].pk,
            "starts_at": (t0 + dt.timedelta(hours=7)).isoformat(),
            "ends_at": (t0 + dt.timedelta(hours=12)).isoformat(),
        },
        format="json",
    )
    assert clash.status_code == 400
    assert "Kantor KPU" in clash.json()["officer"][0]
    after = api.post(
        "/api/v1/assignments/",
        {
            "officer": officer.pk,
            "post": posts[1].pk,
            "starts_at": (t0 + dt.timedelta(hours=8)).isoformat(),
            "ends_at": (t0 + dt.timedelta(hours=16)).isoformat(),
        },
        format="json",
    )
    assert after.status_code == 201  # back to back is fine
    backwards = api.post(
        "/api/v1/assignments/",
        {
            "officer": officer.pk,
            "post": posts[1].pk,
            "starts_at": (t0 + dt.timedelta(days=2)).isoformat(),
            "ends_at": (t0 + dt.timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert backwards.status_code == 400
    cancelled = api.post(f"/api/v1/assignments/{first.json()['id']}/cancel/")
    assert cancelled.json()["status"] == "cancelled"
    assert Assignment.objects.count() == 2  # cancelled, never deleted


def test_a_field_officer_sees_his_own_assignment(api_for, client_for, personas, officer, posts):
    officer.user = personas["lapangan"]
    officer.save(update_fields=["user"])
    t0 = timezone.now()
    Assignment.objects.create(
        officer=officer,
        post=posts[0],
        starts_at=t0,
        ends_at=t0 + dt.timedelta(hours=8),
        source="manual",
        reason="jaga pintu utama",
    )
    mine = api_for("lapangan").get("/api/v1/assignments/").json()
    assert [a["post_name"] for a in mine["results"]] == ["Kantor KPU"]
    page = client_for("lapangan").get("/lapangan/").content.decode()
    assert "Kantor KPU" in page and "jaga pintu utama" in page


def test_the_liaison_sees_posts_with_counts_but_no_officer_anywhere(api_for, officer, posts):
    t0 = timezone.now()
    Assignment.objects.create(
        officer=officer,
        post=posts[0],
        starts_at=t0,
        ends_at=t0 + dt.timedelta(hours=8),
        source="manual",
    )
    api = api_for("penghubung_kpu")
    body = api.get("/api/v1/posts/").content.decode()
    assert '"assigned":1' in body.replace(" ", "")
    assert officer.name not in body and officer.nrp not in body
    assert api.get("/api/v1/assignments/").status_code == 403
    assert api.get("/api/v1/officers/").status_code == 403


def test_the_import_page_reports_bad_rows_by_line_and_changes_nothing(client_for, kel):
    from django.core.files.uploadedfile import SimpleUploadedFile

    good = "kelurahan,number,lat,lon,dpt\nMetro,1,-5.1135,105.3065,250\n"
    bad = good + "Metro,2,-5.1135,105.3065,-3\nAtlantis,3,-5.11,105.30,200\n"
    client = client_for("komando")
    response = client.post(
        "/impor/",
        {
            "kind": "tps",
            "file": SimpleUploadedFile("tps.csv", bad.encode(), content_type="text/csv"),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Atlantis" in page and ">3<" in page and ">4<" in page
    assert not Tps.objects.exists()
    response = client.post(
        "/impor/",
        {
            "kind": "tps",
            "file": SimpleUploadedFile("tps.csv", good.encode(), content_type="text/csv"),
        },
    )
    assert response.status_code == 302
    assert Tps.objects.count() == 1
    export = client.get("/operasi/tps/ekspor.csv")
    assert export["Content-Type"].startswith("text/csv")
    assert "Metro,1," in export.content.decode()
