"""Field incident reports: filing (idempotent, validated), the response lifecycle, dispatch,
escalation, use of force, Gakkumdu, photos, TPS returns and the overdue sweep."""

import datetime as dt
import io
import uuid

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.utils import timezone
from PIL import Image

from core.models import AppendOnlyError
from incidents.models import Alert, Incident, IncidentEvent, UseOfForce
from incidents.services import incident_escalate_overdue
from operations.models import Assignment, ElectionPhase, Kelurahan, Post, Tps
from operations.reference import reference_load
from personnel.models import Officer, Unit, UnitKind


@pytest.fixture
def place(db):
    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    return Tps.objects.create(kelurahan=kel, number=5, lat=-5.1135, lon=105.3065, dpt=280)


def report(**extra):
    return {
        "type": "unjuk_rasa",
        "occurred_at": timezone.now().isoformat(),
        "description": "Massa sekitar 200 orang berkumpul di depan TPS.",
        "crowd_size": 200,
        "colour": "kuning",
        **extra,
    }


def post(api, body, key=None):
    return api.post(
        "/api/v1/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4())
    )


def test_a_retried_submission_returns_the_first_report_and_never_a_second(api_for, place):
    api = api_for("lapangan")
    key = str(uuid.uuid4())
    body = report(tps=place.pk)
    first = post(api, body, key)
    assert first.status_code == 201, first.json()
    again = post(api, body, key)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Incident.objects.count() == 1
    different = post(api, {**body, "description": "laporan lain"}, key)
    assert different.status_code == 422
    assert different.json()["code"] == "idempotency_conflict"
    no_key = api.post("/api/v1/incidents/", body, format="json")
    assert no_key.status_code == 400 and no_key.json()["code"] == "idempotency_key_required"
    assert Incident.objects.count() == 1
    incident = Incident.objects.get()
    assert incident.kelurahan.name == "Metro"  # from the TPS
    assert (incident.lat, incident.lon) == (place.lat, place.lon)
    assert incident.verify_due_at > incident.reported_at
    assert incident.control == "kapolres"  # kuning: control with the Kapolres


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": None}, "type"),
        ({"description": ""}, "description"),
        ({"description": "x" * 1_000_000}, "description"),
        ({"occurred_at": "kemarin"}, "occurred_at"),
        ({"occurred_at": (timezone.now() + dt.timedelta(hours=2)).isoformat()}, "occurred_at"),
        ({"tps": None, "lat": 14.6, "lon": 121.0}, "lat"),  # Manila
        ({"tps": None}, "location"),
        ({"tps": 999999}, "tps"),
        ({"colour": "ungu"}, "colour"),
        ({"casualties": -1}, "casualties"),
    ],
)
def test_bad_input_gets_a_400_naming_the_field_and_writes_nothing(api_for, place, change, field):
    body = {k: v for k, v in {**report(tps=place.pk), **change}.items() if v is not None}
    response = post(api_for("lapangan"), body)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Incident.objects.exists()


def _variants(place, post):
    now = timezone.now()
    good = report(tps=place.pk)
    yield good, True
    yield {**good, "colour": "merah", "casualties": 3, "crowd_size": None}, True
    yield {k: v for k, v in good.items() if k not in ("colour", "crowd_size")}, True
    yield {**good, "tps": None, "lat": -5.11, "lon": 105.3}, True
    yield {**good, "tps": None, "lat": -5, "lon": 105}, True  # integers: floats for the serializer
    yield {**good, "tps": None, "kelurahan": "Metro"}, True
    yield {**good, "tps": None, "post": post.pk}, True
    yield {**good, "description": "  spasi di tepi  ", "occurred_at": "2024-02-14T10:00:00"}, True
    yield {**good, "occurred_at": (now - dt.timedelta(hours=1)).isoformat(), "extra": [1]}, True
    yield {**good, "occurred_at": (now + dt.timedelta(minutes=4)).isoformat()}, True
    for change in (
        {"type": None},
        {"type": ["unjuk_rasa"]},
        {"type": ""},
        {"colour": {"a": 1}},
        {"colour": None},
        {"description": "   "},
        {"description": "x" * 5001},
        {"description": "a\x00b"},
        {"description": 12},
        {"occurred_at": "kemarin"},
        {"occurred_at": 1700000000},
        {"occurred_at": (now + dt.timedelta(hours=2)).isoformat()},
        {"tps": 999999},
        {"tps": "1"},
        {"tps": True},
        {"tps": None},
        {"tps": None, "lat": 14.6, "lon": 121.0},
        {"tps": None, "lat": -5.1},
        {"tps": None, "lat": "-5.1", "lon": "105.3"},
        {"tps": None, "lat": float("nan"), "lon": 105.3},
        {"tps": None, "kelurahan": "Atlantis"},
        {"tps": None, "kelurahan": 3},
        {"tps": None, "post": 999999},
        {"casualties": -1},
        {"casualties": None},
        {"casualties": 2.0},
        {"casualties": True},
        {"crowd_size": 1_000_001},
        {"crowd_size": "12"},
    ):
        yield {**good, **change}, False  # wrong, or a shape the phone never sends
    yield ["not", "an", "object"], False


def test_the_fast_check_of_a_report_agrees_with_the_serializer(place):
    """incident_create_fast either gives what the serializer gives, or steps aside (None)."""
    from incidents.inputs import IncidentCreateSerializer, incident_create_fast
    from operations.models import Post

    post = Post.objects.create(
        name="Pos Uji", kind="kpu", lat=-5.11, lon=105.30, required_strength=2
    )
    for body, common in _variants(place, post):
        slow = IncidentCreateSerializer(data=body)
        fast = incident_create_fast(body)
        if not slow.is_valid():
            assert fast is None, body
            continue
        if fast is None:  # the serializer handles the odd shapes, never the common ones
            assert not common, body
            continue
        pks = {k: getattr(v, "pk", v) for k, v in slow.validated_data.items()}
        assert {k: getattr(v, "pk", v) for k, v in fast.items()} == pks, body
        assert {k: type(v) for k, v in fast.items()} == {
            k: type(v) for k, v in slow.validated_data.items()
        }, body


def test_the_answer_to_a_filed_report_is_the_documented_one(api_for, place):
    from incidents.api import IncidentCreatedSerializer

    key, body = str(uuid.uuid4()), report(tps=place.pk)
    first = post(api_for("lapangan"), body, key)
    assert first.json() == IncidentCreatedSerializer(Incident.objects.get()).data
    assert post(api_for("lapangan"), body, key).json() == first.json()


def test_a_report_outside_the_city_is_accepted_and_flagged(api_for, place):
    response = post(api_for("lapangan"), report(lat=-5.40, lon=105.25))  # Bandar Lampung
    assert response.status_code == 201
    assert response.json()["outside_city"] is True


def test_a_script_in_the_description_is_stored_and_always_shown_escaped(api_for, client_for, place):
    text = '<script>alert("x")</script> massa ricuh'
    created = post(api_for("lapangan"), report(tps=place.pk, description=text)).json()
    assert Incident.objects.get().description == text
    page = client_for("komando").get(f"/kejadian/{created['id']}/").content.decode()
    assert "&lt;script&gt;alert(" in page
    assert '<script>alert("x")' not in page


def test_a_field_officer_sees_only_his_own_reports(api_for, personas, place):
    mine = post(api_for("lapangan"), report(tps=place.pk)).json()
    other = Incident.objects.create(
        type="bentrok", occurred_at=timezone.now(), description="x", reporter=personas["komando"]
    )
    listing = api_for("lapangan").get("/api/v1/incidents/").json()
    assert [i["id"] for i in listing["results"]] == [mine["id"]]
    assert api_for("lapangan").get(f"/api/v1/incidents/{other.pk}/").status_code == 404


def test_the_lifecycle_moves_only_by_allowed_steps_and_keeps_a_timeline(api_for, place):
    created = post(api_for("lapangan"), report(tps=place.pk)).json()
    url = f"/api/v1/incidents/{created['id']}/transition/"
    komando = api_for("komando")
    assert api_for("lapangan").post(url, {"action": "verify"}, format="json").status_code == 403
    assert komando.post(url, {"action": "close"}, format="json").status_code == 400
    assert komando.post(url, {"action": "verify"}, format="json").json()["status"] == "diverifikasi"
    assert komando.post(url, {"action": "handle"}, format="json").json()["status"] == "ditangani"
    assert komando.post(url, {"action": "close"}, format="json").json()["status"] == "selesai"
    no_reason = komando.post(url, {"action": "reopen"}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    reopened = komando.post(url, {"action": "reopen", "reason": "massa kembali"}, format="json")
    assert reopened.json()["status"] == "diverifikasi"
    timeline = komando.get(f"/api/v1/incidents/{created['id']}/").json()["timeline"]
    assert [e["kind"] for e in timeline] == ["created", "verify", "handle", "close", "reopen"]
    assert timeline[1]["by"] == "komando"


def test_a_rejection_needs_a_reason(api_for, place):
    created = post(api_for("lapangan"), report(tps=place.pk)).json()
    url = f"/api/v1/incidents/{created['id']}/transition/"
    komando = api_for("komando")
    assert komando.post(url, {"action": "reject"}, format="json").status_code == 400
    rejected = komando.post(url, {"action": "reject", "reason": "laporan ganda"}, format="json")
    assert rejected.json()["status"] == "ditolak"
    assert rejected.json()["rejected_reason"] == "laporan ganda"


def test_escalating_the_colour_suggests_the_force_and_moves_control_up(api_for, place):
    created = post(api_for("lapangan"), report(tps=place.pk, colour="hijau")).json()
    komando = api_for("komando")
    url = f"/api/v1/incidents/{created['id']}/colour/"
    kuning = komando.post(url, {"colour": "kuning", "note": "massa dorong pagar"}, format="json")
    assert "Dalmas Lanjut" in kuning.json()["suggested_force"]
    assert kuning.json()["control"] == "kapolres"
    merah = komando.post(url, {"colour": "merah"}, format="json").json()
    assert "PHH Brimob" in merah["suggested_force"] and "BKO" in merah["suggested_force"]
    assert merah["control"] == "kapolda"
    kinds = list(IncidentEvent.objects.values_list("kind", flat=True))
    assert kinds.count("colour") == 2 and kinds.count("control") == 2


@pytest.fixture
def responders(db):
    reference_load()
    kec = Kelurahan.objects.get(name="Metro").kecamatan
    near = Unit.objects.create(
        code="polsek-metro-pusat", name="Polsek Metro Pusat", kind=UnitKind.POLSEK, kecamatan=kec
    )
    far_kec = Kelurahan.objects.get(name="Margorejo").kecamatan
    far = Unit.objects.create(
        code="polsek-metro-selatan",
        name="Polsek Metro Selatan",
        kind=UnitKind.POLSEK,
        kecamatan=far_kec,
    )
    return [
        Officer.objects.create(nrp="90000001", name="Dekat", rank=8, unit=near),
        Officer.objects.create(nrp="90000002", name="Jauh", rank=8, unit=far),
        Officer.objects.create(
            nrp="90000003", name="Sakit", rank=8, unit=near, status="sakit_cuti"
        ),
    ]


def test_dispatch_suggests_the_nearest_available_and_measures_the_response(
    api_for, place, responders
):
    created = post(api_for("lapangan"), report(tps=place.pk)).json()
    komando = api_for("komando")
    base = f"/api/v1/incidents/{created['id']}"
    komando.post(f"{base}/transition/", {"action": "verify"}, format="json")
    suggested = komando.get(f"{base}/suggestions/").json()
    names = [o["name"] for o in suggested["officers"]]
    assert names == ["Dekat", "Jauh"]  # the sick officer is not available
    sent = komando.post(f"{base}/dispatch/", {"officers": [responders[0].pk]}, format="json")
    assert sent.status_code == 201
    dispatch_id = sent.json()[0]["id"]
    responders[0].refresh_from_db()
    assert responders[0].status == "bertugas"
    for step in ("en_route", "on_scene"):
        assert (
            komando.post(
                f"{base}/mark/", {"dispatch": dispatch_id, "step": step}, format="json"
            ).status_code
            == 200
        )
    again = komando.post(
        f"{base}/mark/", {"dispatch": dispatch_id, "step": "on_scene"}, format="json"
    )
    assert again.status_code == 400
    detail = komando.get(f"{base}/").json()
    assert detail["status"] == "ditangani"
    assert detail["response_seconds"] is not None and detail["response_seconds"] >= 0
    stats = komando.get("/api/v1/incidents/stats/").json()
    assert stats["response_time"]["count"] == 1


def test_the_use_of_force_log_is_append_only_and_stage_5_needs_its_justification(api_for, place):
    created = post(api_for("lapangan"), report(tps=place.pk)).json()
    url = f"/api/v1/incidents/{created['id']}/force/"
    komando = api_for("komando")
    now = timezone.now().isoformat()
    ok = komando.post(
        url, {"stage": 2, "used_at": now, "justification": "perintah bubar"}, format="json"
    )
    assert ok.status_code == 201
    tear_gas = {"stage": 5, "used_at": now, "justification": "massa melempar batu"}
    missing = komando.post(url, tear_gas, format="json")
    assert missing.status_code == 400
    assert {"authorised_by", "threat", "injuries", "follow_up"} <= set(missing.json())
    full = komando.post(
        url,
        {
            **tear_gas,
            "authorised_by": "Kapolres AKBP X",
            "threat": "lemparan batu ke petugas",
            "injuries": "2 petugas",
            "follow_up": "visum, laporan ke Propam",
        },
        format="json",
    )
    assert full.status_code == 201
    assert api_for("lapangan").post(url, tear_gas, format="json").status_code == 403
    assert api_for("penghubung_kpu").get(url).status_code == 403
    entry = UseOfForce.objects.first()
    entry.justification = "diubah"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with (
        pytest.raises((IntegrityError, InternalError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM incidents_useofforce WHERE id=%s", [entry.pk])
    assert [e["stage"] for e in komando.get(url).json()] == [2, 5]


def test_a_money_politics_report_is_referred_to_gakkumdu(api_for, place):
    created = post(api_for("lapangan"), report(tps=place.pk, type="politik_uang")).json()
    response = api_for("komando").post(
        f"/api/v1/incidents/{created['id']}/gakkumdu/",
        {
            "category": "pidana",
            "article": "UU 7/2017 ps. 523",
            "handed_over": "amplop berisi uang Rp50.000 (12 buah), foto, keterangan 2 saksi",
        },
        format="json",
    )
    assert response.status_code == 201
    detail = api_for("komando").get(f"/api/v1/incidents/{created['id']}/").json()
    assert detail["referrals"][0]["category"] == "pidana"


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x8825] = {2: (5.0, 7.0, 1.0), 1: "S", 4: (105.0, 18.0, 0.0), 3: "E"}  # GPSInfo
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_photos_are_checked_hashed_and_shown_without_location(api_for, place, settings, tmp_path):
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    created = post(api_for("lapangan"), report(tps=place.pk)).json()
    url = f"/api/v1/incidents/{created['id']}/photos/"
    api = api_for("lapangan")
    raw = jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif().get(0x8825)
    ok = api.post(
        url, {"photo": SimpleUploadedFile("a.jpg", raw, "image/jpeg")}, format="multipart"
    )
    assert ok.status_code == 201, ok.json()
    assert ok.json()["sha256"] == hashlib.sha256(raw).hexdigest()
    photo = Incident.objects.get().photos.get()
    assert photo.original.read() == raw  # the original is kept for Gakkumdu
    shown = Image.open(photo.display.path)
    assert not shown.getexif()
    fake = api.post(
        url,
        {"photo": SimpleUploadedFile("b.jpg", b"MZ\x90\x00 not a picture", "image/jpeg")},
        format="multipart",
    )
    assert fake.status_code == 400 and "photo" in fake.json()
    huge = api.post(
        url,
        {"photo": SimpleUploadedFile("c.jpg", b"\xff" * (30 * 1024 * 1024), "image/jpeg")},
        format="multipart",
    )
    assert huge.status_code == 400
    assert Incident.objects.get().photos.count() == 1


def test_the_liaison_sees_election_incidents_without_identities(api_for, personas, place):
    post(api_for("lapangan"), report(tps=place.pk))
    Incident.objects.create(
        type="kecelakaan",
        occurred_at=timezone.now(),
        description="x",
        reporter=personas["lapangan"],
    )
    Incident.objects.create(
        type="bentrok",
        occurred_at=timezone.now(),
        description="x",
        reporter=personas["lapangan"],
        is_exercise=True,
    )
    body = api_for("penghubung_kpu").get("/api/v1/incidents/").json()
    assert [i["type"] for i in body["results"]] == ["unjuk_rasa"]
    row = body["results"][0]
    assert "reporter" not in row and "description" not in row
    assert "lapangan" not in str(body)


def test_a_report_not_verified_in_time_is_escalated_by_the_sweep(api_for, place):
    created = post(api_for("lapangan"), report(tps=place.pk)).json()
    assert incident_escalate_overdue() == 0
    later = timezone.now() + dt.timedelta(minutes=11)
    assert incident_escalate_overdue(now=later) == 1
    assert incident_escalate_overdue(now=later) == 0  # once
    alert = Alert.objects.get()
    assert alert.kind == "incident_overdue" and alert.status == "open"
    listing = api_for("komando").get("/api/v1/incidents/", {"overdue": "true"}).json()
    assert [i["id"] for i in listing["results"]] == [created["id"]]
    assert listing["results"][0]["overdue"] is True


def test_tps_returns_set_the_tps_status_and_late_ones_are_flagged(api_for, personas, place):
    # A field officer files only a TPS of the post he guards now (tps_return_check).
    officer = Officer.objects.create(
        nrp="95020077",
        name="Rudi",
        rank=7,
        unit=Unit.objects.create(code="polsek-x", name="Polsek X", kind=UnitKind.POLSEK),
        user=personas["lapangan"],
    )
    post = Post.objects.create(
        kind="tps", name="Klaster TPS 005", lat=place.lat, lon=place.lon, required_strength=2
    )
    post.tps.add(place)
    now = timezone.now()
    Assignment.objects.create(
        officer=officer,
        post=post,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=8),
        source="manual",
    )
    api = api_for("lapangan")
    key = str(uuid.uuid4())
    first = api.post(
        "/api/v1/tps-returns/",
        {"tps": place.pk, "status": "dibuka"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert first.status_code == 201
    api.post(
        "/api/v1/tps-returns/",
        {"tps": place.pk, "status": "dibuka"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    place.refresh_from_db()
    assert place.status == "dibuka" and place.returns.count() == 1
    assert (
        api.post(
            "/api/v1/tps-returns/", {"tps": place.pk, "status": "tutup"}, format="json"
        ).status_code
        == 400
    )
    from incidents.selectors import tps_overdue_list

    polling = ElectionPhase.objects.get(code="pemungutan").starts_at
    noon = timezone.localtime(polling).replace(hour=12, minute=0)
    late = tps_overdue_list(at=noon)
    assert [(t["tps"], t["expected"]) for t in late] == [(place.pk, "pemungutan")]
    evening = timezone.localtime(polling).replace(hour=14, minute=0)
    assert tps_overdue_list(at=evening)[0]["expected"] == "penghitungan"
    assert tps_overdue_list(at=timezone.localtime(polling).replace(hour=6)) == []


def test_the_form_works_without_javascript_and_a_resubmit_makes_no_second_report(client_for, place):
    client = client_for("lapangan")
    page = client.get("/lapor/").content.decode()
    assert 'name="idempotency_key"' in page and "TPS 005" in page
    form = {
        "idempotency_key": "form-key-1",
        "type": "intimidasi",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "tps": place.pk,
        "description": "Saksi diancam",
        "casualties": 0,
        "colour": "hijau",
    }
    first = client.post("/lapor/", form)
    assert first.status_code == 302
    client.post("/lapor/", form)
    assert Incident.objects.count() == 1
    bad = client.post("/lapor/", {**form, "idempotency_key": "form-key-2", "description": ""})
    assert bad.status_code == 400
    assert "Periksa isian" in bad.content.decode()
    assert Incident.objects.count() == 1


def test_a_late_tps_return_raises_one_alert_for_the_command_post(db, place):
    from incidents.tps_returns import tps_returns_flag_overdue

    polling = ElectionPhase.objects.get(code="pemungutan").starts_at
    noon = timezone.localtime(polling).replace(hour=12, minute=0)
    assert tps_returns_flag_overdue(at=noon) == 1
    assert tps_returns_flag_overdue(at=noon) == 0  # already open
    alert = Alert.objects.get()
    assert alert.kind == "tps_overdue" and "TPS 005 Metro" in alert.title
