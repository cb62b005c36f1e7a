"""Personnel: the roster, status history, satgas, BKO from request to release, strength."""

import datetime as dt

import pytest
from django.utils import timezone

from core.models import AuditEvent
from operations.models import Assignment, Post
from operations.reference import reference_load
from personnel.models import BkoContingent, Officer, OfficerStatusChange, Unit, UnitKind


@pytest.fixture
def unit(db):
    reference_load()
    return Unit.objects.create(code="sat-samapta", name="Sat Samapta", kind=UnitKind.SAT)


def officer_body(**extra):
    return {
        "nrp": "85010123",
        "name": "Agus Setiawan",
        "rank": 9,
        "unit": "sat-samapta",
        "function": "Anggota",
        "phone": "081234567890",
        **extra,
    }


def test_komando_adds_an_officer_and_the_addition_is_audited(api_for, unit):
    response = api_for("komando").post("/api/v1/officers/", officer_body(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["rank_label"] == "Brigpol"
    assert AuditEvent.objects.filter(action="officer.create").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (officer_body(nrp="1234"), "nrp"),
        (officer_body(nrp="8501012A"), "nrp"),
        (officer_body(rank=99), "rank"),
        (officer_body(unit="sat-tidak-ada"), "unit"),
    ],
)
def test_bad_officer_input_gets_a_400_naming_the_field(api_for, unit, body, field):
    response = api_for("komando").post("/api/v1/officers/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Officer.objects.exists()


def test_a_duplicate_nrp_is_refused(api_for, unit):
    api = api_for("komando")
    assert api.post("/api/v1/officers/", officer_body(), format="json").status_code == 201
    again = api.post("/api/v1/officers/", officer_body(name="Lain"), format="json")
    assert again.status_code == 400
    assert "nrp" in again.json()
    assert Officer.objects.count() == 1


def test_a_status_change_is_kept_in_the_officers_history(api_for, unit):
    officer = Officer.objects.create(nrp="85010123", name="Agus", rank=9, unit=unit)
    api = api_for("komando")
    response = api.post(
        f"/api/v1/officers/{officer.pk}/status/",
        {"status": "sakit_cuti", "note": "demam"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "sakit_cuti"
    change = OfficerStatusChange.objects.get()
    assert (change.from_status, change.to_status, change.by.username) == (
        "siaga",
        "sakit_cuti",
        "komando",
    )
    history = api.get(f"/api/v1/officers/{officer.pk}/history/").json()
    assert history[0]["to_status"] == "sakit_cuti"
    bad = api.post(f"/api/v1/officers/{officer.pk}/status/", {"status": "hilang"}, format="json")
    assert bad.status_code == 400
    # Status is not writable by a plain PATCH: it always goes through the history.
    patch = api.patch(f"/api/v1/officers/{officer.pk}/", {"status": "siaga"}, format="json")
    assert patch.status_code == 200
    officer.refresh_from_db()
    assert officer.status == "sakit_cuti"


def test_a_field_officer_sees_only_himself_and_the_liaison_no_one(api_for, personas, unit):
    me = Officer.objects.create(
        nrp="85010123", name="Saya", rank=7, unit=unit, user=personas["lapangan"]
    )
    other = Officer.objects.create(nrp="85010124", name="Orang Lain", rank=7, unit=unit)
    listing = api_for("lapangan").get("/api/v1/officers/").json()
    assert [o["nrp"] for o in listing["results"]] == [me.nrp]
    assert api_for("lapangan").get(f"/api/v1/officers/{other.pk}/").status_code == 404
    assert api_for("penghubung_kpu").get("/api/v1/officers/").status_code == 403
    assert (
        api_for("lapangan")
        .post("/api/v1/officers/", officer_body(nrp="85010999"), format="json")
        .status_code
        == 403
    )


def test_bko_goes_from_request_to_partial_approval_check_in_and_release(api_for, unit):
    api = api_for("komando")
    now = timezone.now()
    request = api.post(
        "/api/v1/bko/requests/",
        {
            "kind": "Brimob",
            "count": 100,
            "location": "Kantor KPU Kota Metro",
            "reason": "unjuk rasa hasil rekapitulasi",
            "needed_from": now.isoformat(),
            "needed_until": (now + dt.timedelta(days=2)).isoformat(),
        },
        format="json",
    )
    assert request.status_code == 201, request.json()
    rid = request.json()["id"]
    decided = api.post(
        f"/api/v1/bko/requests/{rid}/decide/",
        {"approved_count": 60, "note": "sebagian"},
        format="json",
    )
    assert decided.json()["status"] == "sebagian"
    assert (
        api.post(
            f"/api/v1/bko/requests/{rid}/decide/", {"approved_count": 60}, format="json"
        ).status_code
        == 400
    )  # decided once
    contingent = api.post(
        "/api/v1/bko/contingents/",
        {
            "name": "BKO Brimob Kompi 2",
            "home_unit": "Sat Brimob Polda Lampung",
            "strength": 60,
            "request": rid,
        },
        format="json",
    )
    assert contingent.status_code == 201, contingent.json()
    cid = contingent.json()["id"]
    roster = [{"nrp": f"9801{i:04d}", "name": f"Bharada {i}", "rank": 1} for i in range(3)]
    bad = api.post(
        f"/api/v1/bko/contingents/{cid}/check-in/",
        {"officers": [*roster, roster[0]]},
        format="json",
    )
    assert bad.status_code == 400
    assert not Officer.objects.filter(contingent_id=cid).exists()
    ok = api.post(f"/api/v1/bko/contingents/{cid}/check-in/", {"officers": roster}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["status"] == "arrived" and ok.json()["checked_in"] == 3
    strength = api.get("/api/v1/strength/").json()
    assert strength["bko"] == 3 and strength["polres"] == 0

    bko_officer = Officer.objects.filter(contingent_id=cid).first()
    post = Post.objects.create(kind="kpu", name="KPU", lat=-5.116, lon=105.305, required_strength=2)
    Assignment.objects.create(
        officer=bko_officer,
        post=post,
        starts_at=now,
        ends_at=now + dt.timedelta(hours=8),
        source="manual",
    )
    released = api.post(f"/api/v1/bko/contingents/{cid}/release/")
    assert released.json()["status"] == "released"
    assert Assignment.objects.get().status == "cancelled"
    assert api.get("/api/v1/strength/").json()["bko"] == 0
    assert BkoContingent.objects.get(pk=cid).released_at is not None


def test_strength_shows_polres_and_bko_apart_on_the_page_and_in_the_api(client_for, api_for):
    from django.core.management import call_command

    call_command("seed_demo", "--allow-production", verbosity=0)
    data = api_for("intel").get("/api/v1/strength/").json()
    assert (data["total"], data["polres"], data["bko"]) == (825, 565, 260)
    units = {row["unit"]: row for row in data["by_unit"]}
    assert units["Sat Samapta"]["polres"] == 84 and units["Sat Samapta"]["bko"] == 0
    assert units["Sat Brimob Polda Lampung"]["bko"] == 100
    assert sum(r["total"] for r in data["by_satgas"]) == 825
    assert {r["satgas"] for r in data["by_satgas"]} >= {"Preemtif", "Preventif", "Gakkum"}
    dep = data["deployment"]
    assert sum(v["polres"] + v["bko"] for v in dep.values()) == 825
    page = client_for("komando").get("/personel/kekuatan/").content.decode()
    assert "Sat Samapta" in page and ">825<" in page
