"""Ballot logistics under escort (docs/logistics.md), on PostgreSQL and Redis: a whole
distribution from a CSV plan through custody to the alerts, the board, the situation report
and the liaison's trail; and bad input refused with nothing half-written."""

import datetime as dt
import json
import uuid

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from core import realtime
from incidents.models import Alert, AlertLevel
from logistics.models import CustodyEvent, Leg, LegStatus, Problem
from logistics.services import logistics_sweep
from operations.models import Kelurahan
from operations.reference import reference_load
from tests import factories

ESCORT_NRP = "86010001"
OTHER_NRP = "86010002"
STRANGER_NRP = "86010003"


@pytest.fixture
def city(db, personas):
    """Two TPS in Purwoasri (Metro Utara), three officers: the field persona commands."""
    reference_load()
    kel = Kelurahan.objects.select_related("kecamatan").get(name="Purwoasri")
    tps = [factories.TpsFactory(kelurahan=kel, number=n, dpt=200) for n in (1, 2)]
    escort = factories.OfficerFactory(
        nrp=ESCORT_NRP, name="Budi Santoso", user=personas["lapangan"]
    )
    other = factories.OfficerFactory(nrp=OTHER_NRP, name="Agus Wirawan")
    stranger_user = factories.UserFactory(username="petugas-lain")
    from django.contrib.auth.models import Group

    stranger_user.groups.add(Group.objects.get_or_create(name="lapangan")[0])
    stranger = factories.OfficerFactory(nrp=STRANGER_NRP, name="Joko", user=stranger_user)
    return {"kel": kel, "tps": tps, "escort": escort, "other": other, "stranger": stranger}


def _when(hours: float) -> str:
    return timezone.localtime(timezone.now() + dt.timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


def plan_csv(kel, kec_code: str) -> bytes:
    header = (
        "kode,asal,tujuan,berangkat,tiba,kendaraan,komandan_nrp,pengawal_nrp,"
        "kotak_suara,ss_ppwp,segel"
    )
    ppk, pps = f"ppk-{kec_code}", f"pps-{kel.code}"
    rows = [
        ["d1-ppk", "gudang-kpu", ppk, _when(-6), _when(-5), "truk KPU", ESCORT_NRP, OTHER_NRP]
        + ["10", "408", "G-1 G-2"],
        ["d2-pps", ppk, pps, _when(-4), _when(-3), "pikap", ESCORT_NRP, OTHER_NRP]
        + ["10", "408", "P-1"],
        ["d3-tps1", pps, f"tps-{kel.code}-001", _when(-2), _when(-1), "mobil", ESCORT_NRP, ""]
        + ["5", "204", "T1-A T1-B"],
        ["d3-tps2", pps, f"tps-{kel.code}-002", _when(-2), _when(-1.5), "mobil", OTHER_NRP, ""]
        + ["5", "204", "T2-A"],
    ]
    return ("\n".join([header, *(",".join(r) for r in rows)]) + "\n").encode()


def _upload(client, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/logistik/impor/", {"file": SimpleUploadedFile("jadwal.csv", data, "text/csv")}
    )


def _step(api, leg, body, key=None):
    return api.post(
        f"/api/v1/logistics/legs/{leg.pk}/steps/",
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
    )


def _pushed() -> list[dict]:
    client = realtime.push_queue_redis()
    return [json.loads(raw)[1] for raw in client.lrange(realtime.PUSH_QUEUE, 0, -1)]


def test_a_whole_distribution_with_a_seal_mismatch_and_an_overdue_leg(
    city, client_for, api_for, django_capture_on_commit_callbacks
):
    komando = client_for("komando")
    answer = _upload(komando, plan_csv(city["kel"], city["kel"].kecamatan.code))
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert Leg.objects.count() == 4
    assert all(leg.commander_id for leg in Leg.objects.all())  # every leg escorted
    legs = {leg.code: leg for leg in Leg.objects.all()}
    assert legs["d3-tps1"].manifest == {"kotak_suara": 5, "ss_ppwp": 204}
    assert legs["d3-tps1"].seals == ["T1-A", "T1-B"]

    realtime.push_queue_redis().delete(realtime.PUSH_QUEUE)
    field, boss = api_for("lapangan"), api_for("komando")
    with django_capture_on_commit_callbacks(execute=True):
        for code in ("d1-ppk", "d2-pps"):
            leg = legs[code]
            assert (
                _step(field, leg, {"kind": "berangkat", "lat": -5.1, "lon": 105.3}).status_code
                == 201
            )
            assert _step(field, leg, {"kind": "tiba"}).status_code == 201
            handed = _step(
                field,
                leg,
                {
                    "kind": "serah_terima",
                    "receiver_name": "Siti Aminah",
                    "receiver_role": "ppk" if code == "d1-ppk" else "pps",
                    "counts": dict(leg.manifest),
                    "seals": list(leg.seals),
                },
            )
            assert handed.status_code == 201, handed.json()
            assert handed.json()["differences"] == []
        # TPS 1: one seal found is not the manifest's (T1-B replaced by T1-X).
        leg = legs["d3-tps1"]
        assert _step(field, leg, {"kind": "berangkat"}).status_code == 201
        mismatch = _step(
            field,
            leg,
            {
                "kind": "serah_terima",
                "receiver_name": "Ketua KPPS",
                "receiver_role": "kpps",
                "counts": {"kotak_suara": 5, "ss_ppwp": 204},
                "seals": ["t1-a", "T1-X"],
            },
        )
        assert mismatch.status_code == 201
        assert {"seal": "T1-B", "problem": "hilang"} in mismatch.json()["differences"]
        # TPS 2 left but never arrived: the sweep finds it late.
        assert _step(boss, legs["d3-tps2"], {"kind": "berangkat"}).status_code == 201
        assert logistics_sweep(now=timezone.now() + dt.timedelta(hours=1)) == 1

    leg1, leg2 = Leg.objects.get(code="d3-tps1"), Leg.objects.get(code="d3-tps2")
    assert leg1.status == LegStatus.DISERAHKAN and leg1.problem == Problem.MISMATCH
    assert leg2.status == LegStatus.JALAN and leg2.problem == Problem.OVERDUE
    seal_alert = Alert.objects.get(kind=Alert.Kind.LOG_MISMATCH)
    assert seal_alert.level == AlertLevel.MERAH and "T1-B" in " ".join(seal_alert.reasons)
    late_alert = Alert.objects.get(kind=Alert.Kind.LOG_OVERDUE)
    assert late_alert.level == AlertLevel.KUNING and "d3-tps2" in late_alert.title
    pushed = _pushed()
    created = {e["alert"]["id"] for e in pushed if e["type"] == "alert.created"}
    assert {seal_alert.pk, late_alert.pk} <= created
    assert any(e["type"] == "logistics.changed" and e["leg"]["code"] == "d3-tps1" for e in pushed)
    # The sweep again changes nothing: one alert per leg and kind.
    assert logistics_sweep(now=timezone.now() + dt.timedelta(hours=2)) == 0

    # The board (the dashboard's fragment) and the situation report show both problems.
    board = komando.get("/logistik/papan/").content.decode()
    assert 'data-column="masalah"' in board and "d3-tps1" in board and "d3-tps2" in board
    assert 'data-count="2"' in board
    sitrep = komando.get("/operasi/laporan-situasi/unduh.csv").content.decode()
    assert "Masalah logistik" in sitrep and "d3-tps1" in sitrep and "d3-tps2" in sitrep
    dashboard = komando.get("/operasi/dasbor/").content.decode()
    assert "convoy-board" in dashboard

    # The liaison reads the trail and the legs without a person's name.
    liaison_api = api_for("penghubung_kpu")
    trail = liaison_api.get(f"/api/v1/logistics/legs/{leg1.pk}/trail/").json()
    assert [t["kind"] for t in trail] == ["berangkat", "serah_terima"]
    assert all(t["receiver_name"] == "" and t["officer"] == "" for t in trail)
    assert trail[1]["receiver_role"] and trail[1]["differences"]
    detail = liaison_api.get(f"/api/v1/logistics/legs/{leg1.pk}/").json()
    assert detail["commander"] is None and detail["escorts"] == [] and detail["team_size"] == 1
    liaison = client_for("penghubung_kpu")
    for url in ("/logistik/", f"/logistik/{leg1.pk}/"):
        page = liaison.get(url).content.decode()
        for secret in ("Budi Santoso", ESCORT_NRP, "Ketua KPPS", "Siti Aminah"):
            assert secret not in page, (url, secret)
    full = komando.get(f"/logistik/{leg1.pk}/").content.decode()
    assert "Budi Santoso" in full and "Ketua KPPS" in full

    # The export gives the plan back with what became of it, and imports again unchanged.
    exported = komando.get("/logistik/ekspor.csv").content.decode()
    assert "d3-tps1" in exported and "diserahkan" in exported and "selisih" in exported


def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(city, client_for, api_for):
    komando = client_for("komando")
    kel, kec = city["kel"], city["kel"].kecamatan.code
    good = plan_csv(kel, kec).decode().splitlines()
    cases = {
        "TPS tidak dikenal: tps-purwoasri-099": good[3].replace(
            "tps-purwoasri-001", "tps-purwoasri-099"
        ),
        "tidak boleh negatif": good[3].replace(",5,204,", ",-5,204,"),
        "disebut dua kali": good[3].replace("T1-A T1-B", "T1-A T1-A"),
        "NRP tidak dikenal": good[3].replace(ESCORT_NRP, "99999999"),
        "waktu tiba harus sesudah": good[3].replace(_when(-1), _when(-3)),
    }
    for message, row in cases.items():
        answer = _upload(komando, "\n".join([good[0], good[1], row]).encode())
        assert answer.status_code == 400, message
        assert message in answer.content.decode(), message
        assert Leg.objects.count() == 0, message  # not even the good first row
    assert _upload(komando, plan_csv(kel, kec)).status_code == 302
    leg = Leg.objects.get(code="d3-tps1")
    field = api_for("lapangan")
    assert _step(field, leg, {"kind": "berangkat"}).status_code == 201
    before = CustodyEvent.objects.count()
    handover = {"kind": "serah_terima", "receiver_name": "Ketua", "receiver_role": "kpps"}
    refused = [
        (field, {**handover, "counts": {"kotak_suara": -1}, "seals": []}, 400, "negatif"),
        (
            field,
            {**handover, "counts": {"kotak_suara": 5}, "seals": ["T1-A", "t1-a"]},
            400,
            "dua kali",
        ),
        (field, {**handover, "counts": {"kotak": 5}}, 400, "tidak dikenal"),
        (
            field,
            {**handover, "receiver_name": "", "counts": {"kotak_suara": 5}},
            400,
            "nama penerima",
        ),
        (field, {"kind": "terhenti"}, 400, "terhenti"),
        (field, {"kind": "berangkat"}, 400, "dalam perjalanan"),
        (field, ["not", "an", "object"], 400, "objek"),
        (api_for("penghubung_kpu"), {"kind": "tiba"}, 403, ""),
    ]
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    stranger = APIClient()
    stranger.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=city['stranger'].user).key}"
    )
    for client, body, code, words in refused:
        answer = _step(client, leg, body)
        assert answer.status_code == code, (body, answer.content)
        assert words.lower() in answer.content.decode().lower(), (body, answer.content)
    # A field officer not on the escort: refused with the reason, nothing written.
    answer = _step(stranger, leg, {"kind": "tiba"})
    assert answer.status_code == 403
    assert "tidak termasuk tim pengawal" in answer.json()["detail"]
    assert _step(field, Leg.objects.get(code="d2-pps"), {"kind": "xx"}).status_code == 400
    assert _step(field, leg, {"kind": "tiba", "lat": 200, "lon": 0}).status_code == 400
    assert CustodyEvent.objects.count() == before
    leg.refresh_from_db()
    assert leg.status == LegStatus.JALAN and leg.handed_over_at is None


def test_a_step_by_someone_not_on_the_escort_is_forbidden_with_the_reason(city):
    from django.core.exceptions import PermissionDenied

    from logistics.services import custody_record

    kel = city["kel"]
    from logistics.csv_io import legs_import

    assert legs_import(data=plan_csv(kel, kel.kecamatan.code), by=None).ok
    leg = Leg.objects.get(code="d3-tps1")
    with pytest.raises(PermissionDenied, match="tidak termasuk tim pengawal"):
        custody_record(by=city["stranger"].user, leg=leg, kind="berangkat")
    assert not CustodyEvent.objects.exists()


def test_a_retried_step_is_recorded_once_and_the_trail_cannot_be_rewritten(city, api_for):
    from logistics.csv_io import legs_import

    kel = city["kel"]
    assert legs_import(data=plan_csv(kel, kel.kecamatan.code), by=None).ok
    leg = Leg.objects.get(code="d3-tps1")
    field = api_for("lapangan")
    first = _step(field, leg, {"kind": "berangkat"}, key="langkah-1")
    again = _step(field, leg, {"kind": "berangkat"}, key="langkah-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert CustodyEvent.objects.filter(leg=leg).count() == 1
    event = CustodyEvent.objects.get(leg=leg)
    with pytest.raises(DatabaseError), transaction.atomic():
        CustodyEvent.objects.filter(pk=event.pk).update(note="diubah")
    with pytest.raises(DatabaseError), transaction.atomic():
        CustodyEvent.objects.filter(pk=event.pk).delete()


def test_a_leg_without_escort_is_flagged_before_it_leaves(city, client_for):
    from logistics.csv_io import legs_import

    kel = city["kel"]
    rows = plan_csv(kel, kel.kecamatan.code).decode().splitlines()
    late_start = rows[4].replace(_when(-2), _when(0.5)).replace(_when(-1.5), _when(1.5))
    late_start = late_start.replace(f",{OTHER_NRP},", ",,")
    assert legs_import(data="\n".join([rows[0], late_start]).encode(), by=None).ok
    leg = Leg.objects.get(code="d3-tps2")
    assert leg.commander_id is None
    assert logistics_sweep() == 1
    leg.refresh_from_db()
    assert leg.problem == Problem.NO_ESCORT
    assert Alert.objects.get(kind=Alert.Kind.LOG_NO_ESCORT).level == AlertLevel.KUNING
    # The command post names a commander on the leg's page: the flag goes.
    answer = client_for("komando").post(
        f"/logistik/{leg.pk}/", {"commander_nrp": OTHER_NRP, "escort_nrps": ESCORT_NRP}
    )
    assert answer.status_code == 302
    leg.refresh_from_db()
    assert leg.problem == Problem.NONE and leg.commander_id == city["other"].pk
    assert set(leg.escorts.values_list("nrp", flat=True)) == {OTHER_NRP, ESCORT_NRP}
    bad = client_for("komando").post(f"/logistik/{leg.pk}/", {"commander_nrp": "12345678"})
    assert bad.status_code == 400 and "NRP tidak dikenal" in bad.content.decode()


def _photo_with_gps() -> bytes:
    import io

    from PIL import Image

    image = Image.new("RGB", (80, 60), (30, 90, 160))
    exif = Image.Exif()
    exif[0x8825] = {2: (5.0, 7.0, 0.0), 4: (105.0, 18.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_handover_photo_is_kept_without_its_gps_and_shown_to_who_may(
    city, api_for, client_for, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from logistics.csv_io import legs_import

    settings.MEDIA_ROOT = tmp_path
    kel = city["kel"]
    assert legs_import(data=plan_csv(kel, kel.kecamatan.code), by=None).ok
    leg = Leg.objects.get(code="d3-tps1")
    field = api_for("lapangan")
    step = _step(field, leg, {"kind": "berangkat"}).json()
    raw = _photo_with_gps()
    assert Image.open(__import__("io").BytesIO(raw)).getexif().get(0x8825)

    def upload(client):
        return client.post(
            f"/api/v1/logistics/steps/{step['id']}/photos/",
            {"photo": SimpleUploadedFile("segel.jpg", raw, "image/jpeg")},
            format="multipart",
        )

    first, again = upload(field), upload(field)
    assert first.status_code == 201 and first.json()["id"] == again.json()["id"]
    url = first.json()["url"]
    shown = client_for("komando").get(url)
    assert shown.status_code == 200 and shown["Cache-Control"] == "private, no-store"
    served = Image.open(__import__("io").BytesIO(b"".join(shown.streaming_content)))
    assert not served.getexif().get(0x8825)  # no GPS in the copy shown
    page = client_for("komando").get(f"/logistik/{leg.pk}/").content.decode()
    assert f'href="{url}"' in page
    assert client_for("penghubung_kpu").get(url).status_code == 403
    liaison_page = client_for("penghubung_kpu").get(f"/logistik/{leg.pk}/").content.decode()
    assert url not in liaison_page
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    stranger = APIClient()
    stranger.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=city['stranger'].user).key}"
    )
    assert upload(stranger).status_code == 404  # not a step of his legs
