"""Intelligence reports and public tips are scored in a worker; merah raises an alert."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from incidents.models import Alert, EwScore, IntelReport, Tip
from incidents.scoring import engine_version, report_score, scores_sweep
from operations.models import Kelurahan
from operations.reference import reference_load


def li(**extra):
    return {
        "subject": "Rencana pengerahan massa ke kantor KPU",
        "field": "politik",
        "source": "Informan K-17",
        "source_relation": "warga setempat",
        "obtained_how": "wawancara",
        "obtained_at": timezone.now().isoformat(),
        "source_reliability": "B",
        "info_credibility": 2,
        "what": "Sekitar 500 orang membawa senjata tajam akan menyerbu kantor KPU malam ini "
        "dan membakar kotak suara.",
        "kelurahan": "Metro",
        "analysis": "Massa pendukung calon yang kalah.",
        **extra,
    }


def test_intel_files_a_laporan_informasi_and_bad_grading_is_refused(api_for, db):
    reference_load()
    api = api_for("intel")
    created = api.post("/api/v1/intel/", li(), format="json")
    assert created.status_code == 201, created.json()
    assert IntelReport.objects.get().author.username == "intel"
    bad = api.post("/api/v1/intel/", li(source_reliability="Z", info_credibility=9), format="json")
    assert bad.status_code == 400
    assert {"source_reliability", "info_credibility"} <= set(bad.json())
    assert api_for("penghubung_kpu").get("/api/v1/intel/").status_code == 403
    assert api_for("lapangan").get("/api/v1/intel/").status_code == 403
    assert "Informan K-17" not in api_for("komando").get("/api/v1/alerts/").content.decode()


def test_scoring_is_once_per_engine_version_and_merah_raises_one_alert_per_place(db, personas):
    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    fields = {k: v for k, v in li().items() if k not in ("kelurahan", "obtained_at")}
    reports = [
        IntelReport.objects.create(
            **fields, kelurahan=kel, obtained_at=timezone.now(), author=personas["intel"]
        )
        for _ in range(2)
    ]
    first = report_score(kind="intel", pk=reports[0].pk)
    assert first.level == "merah" and first.engine_version == engine_version()
    assert report_score(kind="intel", pk=reports[0].pk).pk == first.pk  # a second delivery
    report_score(kind="intel", pk=reports[1].pk)
    assert EwScore.objects.count() == 2
    alert = Alert.objects.get()
    assert alert.kelurahan == kel and alert.scores.count() == 2
    assert any("KPU" in r for r in alert.reasons)


def test_a_tip_needs_no_login_is_checked_and_is_rate_limited(client, db, settings):
    from django.core.cache import cache

    cache.clear()  # the throttle counts live in the cache
    reference_load()
    ok = client.post(
        "/api/v1/tips/",
        {"text": "Ada pembagian amplop di masjid RT 03 tadi malam", "kelurahan": "Yosomulyo"},
        content_type="application/json",
    )
    assert ok.status_code == 201
    assert Tip.objects.get().kelurahan.name == "Yosomulyo"
    assert (
        client.post("/api/v1/tips/", {"text": "x"}, content_type="application/json").status_code
        == 400
    )
    big = client.post("/api/v1/tips/", {"text": "a b " * 300_000}, content_type="application/json")
    assert big.status_code == 400
    spam = client.post(
        "/api/v1/tips/",
        {"text": "promo http://a.example http://b.example http://c.example"},
        content_type="application/json",
    )
    assert spam.status_code == 400
    codes = [
        client.post(
            "/api/v1/tips/",
            {"text": f"laporan warga nomor {i} di pasar"},
            content_type="application/json",
        ).status_code
        for i in range(12)
    ]
    assert 429 in codes
    assert client.get("/api/v1/tips/").status_code == 401


def test_the_sweep_enqueues_what_was_never_scored(db, personas):
    reference_load()
    old = timezone.now() - dt.timedelta(minutes=5)
    tip = Tip.objects.create(text="Situasi aman kondusif di TPS 02")
    Tip.objects.filter(pk=tip.pk).update(created_at=old)
    assert scores_sweep() == 1  # enqueued to the Redis broker


@pytest.mark.stack
def test_a_real_worker_scores_a_filed_report_and_raises_the_alert(
    transactional_db, api_for, celery_worker
):
    reference_load()
    created = api_for("intel").post("/api/v1/intel/", li(), format="json")
    assert created.status_code == 201
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not Alert.objects.exists():
        time.sleep(0.2)
    score = EwScore.objects.get()
    assert score.intel_id == created.json()["id"] and score.level == "merah"
    alert = Alert.objects.get()
    replay = api_for("komando").get("/api/v1/alerts/", {"since": alert.pk - 1}).json()
    assert [a["id"] for a in replay["results"]] == [alert.pk]
    assert replay["results"][0]["reports"] == 1
    detail = api_for("intel").get(f"/api/v1/intel/{created.json()['id']}/").json()
    assert detail["scores"][0]["level"] == "merah"


def test_alerts_are_acknowledged_escalated_and_closed_and_unacknowledged_ones_climb(api_for, db):
    from incidents.alerts import alerts_escalate_unacknowledged

    alert = Alert.objects.create(kind="report", level="merah", title="Ancaman di Metro")
    api = api_for("komando")
    assert alerts_escalate_unacknowledged() == 0
    later = timezone.now() + dt.timedelta(minutes=11)  # two periods of 5 minutes
    assert alerts_escalate_unacknowledged(now=later) == 1
    alert.refresh_from_db()
    assert (alert.status, alert.escalation) == ("escalated", 2)
    assert alert.ack_overdue_at is not None
    acked = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").json()
    assert acked["status"] == "acknowledged" and acked["acknowledged_at"]
    assert alerts_escalate_unacknowledged(now=later + dt.timedelta(hours=1)) == 0
    up = api.post(
        f"/api/v1/alerts/{alert.pk}/escalate/", {"note": "massa bertambah"}, format="json"
    ).json()
    assert up["escalation"] == 3
    top = api.post(f"/api/v1/alerts/{alert.pk}/escalate/", {}, format="json")
    assert top.status_code == 400  # Kapolda is the top
    assert api.post(f"/api/v1/alerts/{alert.pk}/close/", {}, format="json").status_code == 400
    closed = api.post(
        f"/api/v1/alerts/{alert.pk}/close/",
        {"outcome": "massa bubar setelah negosiasi"},
        format="json",
    ).json()
    assert closed["status"] == "closed" and closed["outcome"].startswith("massa bubar")
    assert (
        api_for("penghubung_kpu").post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 403
    )


def test_an_administrator_activates_a_new_rules_version_and_scores_record_it(
    client_for, personas, db
):
    import json as jsonlib

    from incidents import scoring
    from incidents.ew import default_config

    reference_load()
    rules = default_config().to_dict()
    rules.pop("version")
    rules["thresholds"] = {**rules["thresholds"], "merah": 90}
    admin = client_for("admin")
    bad = admin.post(
        "/admin/incidents/ewconfig/add/",
        {
            "version": "ew-rusak",
            "config": jsonlib.dumps({"thresholds": {"kuning": 1}}),
            "is_active": "on",
            "note": "x",
        },
    )
    assert bad.status_code == 200 and "config" in bad.content.decode()
    ok = admin.post(
        "/admin/incidents/ewconfig/add/",
        {
            "version": "ew-2024-2",
            "config": jsonlib.dumps(rules),
            "is_active": "on",
            "note": "merah hanya di atas 90",
        },
    )
    assert ok.status_code == 302, ok.content.decode()[:800]
    scoring._checked_at = 0.0  # do not wait for the periodic look-up
    kel = Kelurahan.objects.get(name="Metro")
    fields = {k: v for k, v in li().items() if k not in ("kelurahan", "obtained_at")}
    report = IntelReport.objects.create(
        **fields, kelurahan=kel, obtained_at=timezone.now(), author=personas["intel"]
    )
    try:
        score = report_score(kind="intel", pk=report.pk)
    finally:
        scoring._engine, scoring._checked_at = None, 0.0  # later tests: the default rules
    assert score.engine_version == "ew-2024-2"
    assert score.reasons[-1].endswith("ew-2024-2")


def test_independent_sources_corroborate_and_a_burst_in_one_kelurahan_is_a_surge(db):
    reference_load()
    kel = Kelurahan.objects.get(name="Iringmulyo")
    text = "Dua kelompok pemuda saling ejek di depan posko, suasana memanas, massa bertambah."
    first = report_score(
        kind="tip", pk=Tip.objects.create(text=text, kelurahan=kel, client_hash="a").pk
    )
    same_source = report_score(
        kind="tip", pk=Tip.objects.create(text=text, kelurahan=kel, client_hash="a").pk
    )
    other_source = report_score(
        kind="tip", pk=Tip.objects.create(text=text, kelurahan=kel, client_hash="b").pk
    )
    assert same_source.score == first.score  # one source repeating itself adds nothing
    assert other_source.score > first.score  # an independent report does
    assert not Alert.objects.filter(kind="surge").exists()
    for i in range(5):
        report_score(
            kind="tip", pk=Tip.objects.create(text=text, kelurahan=kel, client_hash=f"c{i}").pk
        )
    surge = Alert.objects.get(kind="surge")
    assert surge.kelurahan == kel and "Iringmulyo" in surge.reasons[0]
    assert surge.scores.count() >= 1


def test_a_citizen_sends_a_tip_through_the_public_form(client, db):
    from django.core.cache import cache

    cache.clear()
    reference_load()
    page = client.get("/informasi/")
    assert page.status_code == 200 and "Sampaikan Informasi" in page.content.decode()
    sent = client.post(
        "/informasi/",
        {"text": "Ada orang membagikan amplop di RT 04 malam ini", "kelurahan": "Ganjaragung"},
    )
    assert sent.status_code == 200 and "sudah kami terima" in sent.content.decode()
    assert Tip.objects.get().kelurahan.name == "Ganjaragung"
    short = client.post("/informasi/", {"text": "hm"})
    assert short.status_code == 400
    for _ in range(5):
        client.post("/informasi/", {"text": "laporan warga tentang keramaian di pasar"})
    assert client.post("/informasi/", {"text": "laporan warga lagi dari pasar"}).status_code == 429


def test_the_backtest_pairs_alerts_with_the_incidents_that_followed(api_for, personas, db):
    from io import StringIO

    from django.core.management import call_command

    from incidents.models import Incident

    reference_load()
    metro, imopuro = (Kelurahan.objects.get(name=n) for n in ("Metro", "Imopuro"))
    alert = Alert.objects.create(kind="report", level="merah", title="a", kelurahan=metro)
    hit = Incident.objects.create(
        type="bentrok",
        occurred_at=timezone.now(),
        description="x",
        reporter=personas["lapangan"],
        kelurahan=metro,
    )
    missed = Incident.objects.create(
        type="bentrok",
        occurred_at=timezone.now(),
        description="y",
        reporter=personas["lapangan"],
        kelurahan=imopuro,
    )
    body = api_for("intel").get("/api/v1/alerts/backtest/", {"hours": 6}).json()
    assert body["alerts"] == 1 and body["alerts_followed"] == 1
    assert body["alert_rows"][0]["followed_by"] == [hit.pk]
    assert [m["incident"] for m in body["missed"]] == [missed.pk]
    out = StringIO()
    call_command("ew_backtest", "--hours", "6", stdout=out)
    assert jsonlib_loads(out.getvalue())["alerts"] == 1
    assert alert.pk == body["alert_rows"][0]["alert"]
    assert api_for("intel").get("/api/v1/alerts/backtest/", {"hours": 0}).status_code == 400


def jsonlib_loads(text):
    import json

    return json.loads(text)


def test_the_rules_api_is_for_the_administrator_and_validates(api_for, db):
    from incidents.ew import default_config

    rules = default_config().to_dict()
    rules.pop("version")
    api = api_for("admin")
    bad = api.post(
        "/api/v1/ew-config/", {"version": "ew-x", "config": {"thresholds": {}}}, format="json"
    )
    assert bad.status_code == 400 and "config" in bad.json()
    ok = api.post(
        "/api/v1/ew-config/",
        {"version": "ew-2024-3", "config": rules, "is_active": True},
        format="json",
    )
    assert ok.status_code == 201
    assert api_for("komando").get("/api/v1/ew-config/").status_code == 403


def test_intel_files_a_report_from_its_page_and_sees_it_listed(client_for, db):
    reference_load()
    client = client_for("intel")
    form = {k: v for k, v in li().items() if k != "obtained_at"}
    form["obtained_at"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post("/intel/laporan/", form)
    assert response.status_code == 302
    page = client.get("/intel/laporan/").content.decode()
    assert "Rencana pengerahan massa ke kantor KPU" in page
    bad = client.post("/intel/laporan/", {**form, "source_reliability": "Z"})
    assert bad.status_code == 400
    assert IntelReport.objects.count() == 1


def test_a_report_is_scored_with_the_phase_in_force_and_its_worst_tps(db, personas):
    from incidents import scoring
    from operations.models import ElectionPhase, Tps

    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    for n, category in enumerate(["rawan", "sangat_rawan", "kurang_rawan"], start=1):
        Tps.objects.create(
            kelurahan=kel, number=n, lat=-5.11, lon=105.3, dpt=200, category=category
        )
    now = timezone.now()
    ElectionPhase.objects.create(
        code="old",
        name="Kampanye",
        starts_at=now - dt.timedelta(days=3),
        ends_at=now + dt.timedelta(days=1),
        risk_weight=1.1,
    )
    ElectionPhase.objects.create(
        code="new",
        name="Pemungutan",
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=5),
        risk_weight=1.5,
    )
    tip = Tip.objects.create(text="Massa berkumpul di depan TPS.", kelurahan=kel, client_hash="x")
    report = scoring.report_build("tip", scoring._reports_load([("tip", tip.pk)])[("tip", tip.pk)])
    assert report.vulnerability == "sangat_rawan"  # the worst of the kelurahan's TPS
    assert (report.phase_weight, report.phase_label) == (1.5, "Pemungutan")  # latest start
    lone = Tip.objects.create(text="Massa berkumpul.", kelurahan=None, client_hash="y")
    assert (
        scoring.report_build(
            "tip", scoring._reports_load([("tip", lone.pk)])[("tip", lone.pk)]
        ).vulnerability
        is None
    )


def test_an_alert_event_counts_the_reports_it_holds(db, personas, monkeypatch):
    from incidents import alerts

    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    pushed = []
    monkeypatch.setattr(
        alerts, "realtime_publish_after_commit", lambda **kw: pushed.append(kw["event"])
    )
    text = "Sekitar 500 orang membawa senjata tajam akan menyerbu kantor KPU sekarang."
    for n in range(3):
        tip = Tip.objects.create(text=text, kelurahan=kel, client_hash=f"h{n}")
        assert report_score(kind="tip", pk=tip.pk).level == "merah"
    report_events = [e for e in pushed if e["alert"]["kind"] == "report"]
    assert [e["alert"]["reports"] for e in report_events] == [1, 2, 3]
    assert [e["type"] for e in report_events] == ["alert.created", "alert.updated", "alert.updated"]
    assert all(e["alert"]["kelurahan"] == "Metro" for e in pushed)
    alert = Alert.objects.get(kind="report")
    assert alert.scores.count() == 3
    assert EwScore.objects.filter(kelurahan=kel, report_at__isnull=False).count() == 3
