"""Public tips are triaged in the UI: promoted to an incident or an LI, or marked noise (taught to
the early-warning engine); the command post's incoming queue lists what still waits (issue #18)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from command.incoming import incoming_list
from core.models import AuditEvent
from incidents import triage
from incidents.models import EwCorrection, Incident, IntelReport, Tip
from tests.factories import (
    EwScoreFactory,
    IncidentFactory,
    IntelReportFactory,
    KelurahanFactory,
    TipFactory,
)


@pytest.fixture
def scored_tip(db):
    score = EwScoreFactory(level="kuning", score=42)
    return score.tip


def test_noise_closes_the_tip_and_teaches_the_engine_hijau(scored_tip, personas):
    triage.tip_mark_noise(tip=scored_tip, by=personas["intel"], note="hoaks lama, sudah dibantah")
    tip = Tip.objects.get(pk=scored_tip.pk)
    assert (tip.status, tip.triaged_by, tip.triage_note) == (
        "noise",
        personas["intel"],
        "hoaks lama, sudah dibantah",
    )
    correction = EwCorrection.objects.get()
    assert (correction.level, correction.score.tip_id) == ("hijau", tip.pk)
    assert AuditEvent.objects.filter(action="tip.noise").count() == 1
    with pytest.raises(ValidationError, match="sudah dipilah"):
        triage.tip_mark_noise(tip=tip, by=personas["intel"], note="lagi")


def test_noise_needs_a_reason(scored_tip, personas):
    with pytest.raises(ValidationError, match="alasan"):
        triage.tip_mark_noise(tip=scored_tip, by=personas["intel"], note=" ")
    assert Tip.objects.get(pk=scored_tip.pk).status == "baru"


def test_promoting_to_an_incident_files_a_new_report_the_command_post_verifies(
    scored_tip, personas
):
    incident = triage.tip_promote_incident(
        tip=scored_tip, by=personas["komando"], type="politik_uang", colour="kuning"
    )
    assert incident.status == "baru" and incident.verify_due_at is not None
    assert f"informasi masyarakat #{scored_tip.pk}" in incident.description
    assert incident.kelurahan == scored_tip.kelurahan
    tip = Tip.objects.get(pk=scored_tip.pk)
    assert (tip.status, tip.promoted_incident) == ("diangkat", incident)
    assert not EwCorrection.objects.exists()  # the officer agrees with kuning


def test_promoting_to_an_li_grades_it_f6(scored_tip, personas):
    report = triage.tip_promote_intel(
        tip=scored_tip, by=personas["intel"], subject="Politik uang di RT 03"
    )
    assert (report.source_reliability, report.info_credibility) == ("F", 6)
    assert report.what == scored_tip.text and report.field == "keamanan"
    assert Tip.objects.get(pk=scored_tip.pk).promoted_intel == report


def test_bad_promotions_are_refused_and_nothing_is_half_written(db, personas):
    tip = TipFactory(kelurahan=None, place="dekat pasar")
    with pytest.raises(ValidationError) as refused:
        triage.tip_promote_incident(tip=tip, by=personas["komando"], type="x", colour="ungu")
    assert set(refused.value.message_dict) == {"type", "colour", "kelurahan"}
    with pytest.raises(ValidationError, match="perihal"):
        triage.tip_promote_intel(tip=tip, by=personas["intel"], subject="")
    assert not Incident.objects.exists() and not IntelReport.objects.exists()
    assert Tip.objects.get(pk=tip.pk).status == "baru"


def test_the_triage_page_lists_filters_and_acts(scored_tip, personas, client_for):
    other = TipFactory(text="Warga melihat spanduk provokatif di simpang Tejosari.")
    client = client_for("intel")
    page = client.get("/intel/informasi/").content.decode()
    assert f'id="tip-{scored_tip.pk}"' in page and f'id="tip-{other.pk}"' in page
    assert "kuning" in page and "massa berkumpul" in page  # level and reasons
    only_kuning = client.get("/intel/informasi/", {"level": "kuning"}).content.decode()
    assert f'id="tip-{other.pk}"' not in only_kuning
    searched = client.get("/intel/informasi/", {"q": "spanduk"}).content.decode()
    assert f'id="tip-{other.pk}"' in searched and f'id="tip-{scored_tip.pk}"' not in searched
    done = client.post(
        "/intel/informasi/",
        {"tip": other.pk, "op": "noise", "note": "spanduk resmi KPU"},
        follow=True,
    )
    assert "bukan ancaman" in done.content.decode()
    assert Tip.objects.get(pk=other.pk).status == "noise"
    # Triaged tips leave the default list (still there with status=all).
    assert f'id="tip-{other.pk}"' not in client.get("/intel/informasi/").content.decode()
    assert (
        f'id="tip-{other.pk}"'
        in client.get("/intel/informasi/", {"status": "all"}).content.decode()
    )
    twice = client.post("/intel/informasi/", {"tip": other.pk, "op": "noise", "note": "lagi"})
    assert twice.status_code == 400
    unknown = client.post("/intel/informasi/", {"tip": scored_tip.pk, "op": "hapus"})
    assert unknown.status_code == 400
    assert client.post("/intel/informasi/", {"tip": 999999, "op": "noise"}).status_code == 404
    assert client_for("penghubung_kpu").get("/intel/informasi/").status_code == 403
    assert (
        client_for("lapangan")
        .post("/intel/informasi/", {"tip": scored_tip.pk, "op": "noise", "note": "x"})
        .status_code
        == 403
    )


def test_an_li_has_its_own_page(db, client_for):
    report = IntelReportFactory(analysis="Kemungkinan dimobilisasi tim sukses.")
    page = client_for("komando").get(f"/intel/laporan/{report.pk}/").content.decode()
    assert report.subject in page and report.what in page and "dimobilisasi" in page
    assert client_for("penghubung_kpu").get(f"/intel/laporan/{report.pk}/").status_code == 403
    assert client_for("intel").get("/intel/laporan/999999/").status_code == 404


def test_the_incoming_queue_puts_late_reports_first_then_by_level(db, personas):
    now = timezone.now()
    kel = KelurahanFactory()
    fresh = IncidentFactory(colour="merah", kelurahan=kel)
    late = IncidentFactory(
        colour="hijau", kelurahan=kel, verify_due_at=now - dt.timedelta(minutes=2)
    )
    IncidentFactory(status="diverifikasi", kelurahan=kel)  # verified: no longer waiting
    IncidentFactory(is_exercise=True, kelurahan=kel)  # exercises stay on their own pages
    tip = EwScoreFactory(level="kuning").tip
    triaged = TipFactory(status="noise")
    old_tip = TipFactory()
    Tip.objects.filter(pk=old_tip.pk).update(created_at=now - dt.timedelta(hours=7))
    report = IntelReportFactory()
    rows = incoming_list(now=now)
    keys = [(r["kind"], r["id"]) for r in rows]
    assert keys[:2] == [("incident", late.pk), ("incident", fresh.pk)]
    assert set(keys) == {
        ("incident", late.pk),
        ("incident", fresh.pk),
        ("tip", tip.pk),
        ("intel", report.pk),
    }
    assert ("tip", triaged.pk) not in keys and ("tip", old_tip.pk) not in keys
    by_key = {(r["kind"], r["id"]): r for r in rows}
    assert by_key[("incident", late.pk)]["late"] is True
    assert by_key[("tip", tip.pk)]["level_label"] == "kuning (40)"
    assert by_key[("intel", report.pk)]["level_label"] == "menunggu skor"


def test_a_citizen_is_answered_as_the_schema_says(db, client, client_for):
    answer = client.post(
        "/api/v1/tips/",
        {"text": "Ada keributan kecil di depan TPS 5."},
        content_type="application/json",
    )
    assert answer.status_code == 201 and set(answer.json()) == {"id", "received"}
    schema = client_for("admin").get("/api/schema/", {"format": "json"}).json()
    created = schema["paths"]["/api/v1/tips/"]["post"]["responses"]["201"]
    ref = created["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][ref]["required"]) == {"id", "received"}


def test_the_li_list_and_a_promoted_tip_link_to_the_li_page(scored_tip, personas, client_for):
    report = triage.tip_promote_intel(tip=scored_tip, by=personas["intel"], subject="Amplop")
    client = client_for("intel")
    assert f'href="/intel/laporan/{report.pk}/"' in client.get("/intel/laporan/").content.decode()
    tips = client.get("/intel/informasi/", {"status": "all"}).content.decode()
    assert f'href="/intel/laporan/{report.pk}/"' in tips


def test_the_level_filter_reads_each_tips_newest_score(db, client_for):
    tip = TipFactory(text="Ada kerumunan di simpang, ternyata hajatan warga.")
    EwScoreFactory(tip=tip, level="merah", score=80)
    # Scored again by a newer engine: what the page shows.
    EwScoreFactory(tip=tip, level="hijau", score=5, engine_version="ew-test-2")
    client = client_for("intel")
    merah = client.get("/intel/informasi/", {"level": "merah"}).content.decode()
    assert f'id="tip-{tip.pk}"' not in merah
    hijau = client.get("/intel/informasi/", {"level": "hijau"}).content.decode()
    assert f'id="tip-{tip.pk}"' in hijau
