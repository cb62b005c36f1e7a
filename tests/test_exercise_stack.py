"""Exercises on the real stack: PostgreSQL, Redis and a real Celery worker playing the injects
at their (compressed) times, the command printing the after-action report, the command post
acting during the run, and nothing reaching the real figures or the liaison."""

import json
import subprocess
import sys
import time

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from command import exercises
from command.scenario import scenario_save
from incidents.models import Alert, Incident
from operations.models import ExerciseRun, Kelurahan, Tps
from operations.reference import reference_load
from personnel.models import Officer, Unit, UnitKind
from tests.conftest import make_user
from tests.stack import ROOT, stack_env

pytestmark = pytest.mark.stack

VIOLENT = "Massa melempari kantor KPU dengan batu dan membakar ban, dua petugas terluka"
SCENARIO = {
    "name": "uji-stack",
    "title": "Uji di tumpukan nyata",
    "injects": [
        {
            "offset": 0,
            "kind": "incident",
            "ref": "kpu",
            "data": {
                "type": "perusakan",
                "colour": "kuning",
                "description": VIOLENT,
                "kelurahan": "Metro",
                "crowd_size": 400,
            },
            "expect": {
                "alert": "merah",
                "alert_within": "2m",
                "ack_within": "5m",
                "dispatch_within": "5m",
                "on_scene_within": "10m",
            },
        },
        {
            "offset": "1m",
            "kind": "escalate",
            "data": {"target": "kpu", "colour": "merah"},
            "expect": {"force": "phh"},
        },
        {
            "offset": "2m",
            "kind": "tip",
            "data": {
                "text": "Kantor KPU dilempari batu, ada yang membawa senjata tajam, tolong kirim "
                "bantuan sekarang",
                "kelurahan": "Metro",
            },
            "expect": {"alert": "merah", "alert_within": "1m"},
        },
        {
            "offset": "3m",
            "kind": "tps_return",
            "data": {"tps": {"kelurahan": "Metro", "number": 1}, "status": "penghitungan"},
        },
        {
            "offset": "4m",
            "kind": "intel",
            "data": {
                "subject": "Situasi kantor KPU",
                "field": "keamanan",
                "source": "anggota piket",
                "source_reliability": "A",
                "info_credibility": 1,
                "what": "Situasi di sekitar kantor KPU kondusif dan tertib",
                "kelurahan": "Metro",
            },
            # Nothing in the text calls for an alert: this expectation will be missed.
            "expect": {"alert": "merah", "alert_within": "30s"},
        },
    ],
}


def _wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _liaison_view(api: APIClient, page: Client) -> dict:
    html = page.get("/kpu/").content.decode()
    return {
        "summary": api.get("/api/v1/summary/").json(),
        "incidents": api.get("/api/v1/incidents/").json(),
        "tps": api.get("/api/v1/tps/").json(),
        "page_mentions_exercise": "LATIHAN" in html or VIOLENT in html,
    }


def test_a_scenario_runs_end_to_end_through_the_worker_and_stays_out_of_real_figures(
    transactional_db, celery_worker
):
    reference_load()
    metro = Kelurahan.objects.get(name="Metro")
    tps = Tps.objects.create(kelurahan=metro, number=1, lat=-5.113, lon=105.306, dpt=250)
    unit = Unit.objects.create(code="polsek-pusat", name="Polsek Metro Pusat", kind=UnitKind.POLSEK)
    officer = Officer.objects.create(nrp="90020001", name="Budi", rank=8, unit=unit)
    komando = _api(make_user("kabag", "komando"))
    liaison_user = make_user("kpu", "penghubung_kpu")
    liaison = _api(liaison_user)
    liaison_page = Client()
    liaison_page.force_login(liaison_user)
    real = Incident.objects.create(
        type="unjuk_rasa",
        occurred_at=timezone.now(),
        description="aksi damai",
        reporter=liaison_user,
        kelurahan=metro,
    )
    real_alerts = Alert.objects.filter(is_exercise=False).count()
    before = _liaison_view(liaison, liaison_page)
    komando_summary = komando.get("/api/v1/summary/").json()
    scenario_save(by=None, data=SCENARIO, source="form")

    command = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "exercise", "run", "uji-stack", "--speed", "60"],
        cwd=ROOT,
        env=stack_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The command post at work during the run: take the alert on, send an officer.
        alert = _wait_for(
            lambda: Alert.objects.filter(is_exercise=True).first(), 15, "the exercise alert"
        )
        assert komando.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 200
        incident = Incident.objects.get(is_exercise=True)
        sent = komando.post(
            f"/api/v1/incidents/{incident.pk}/dispatch/", {"officers": [officer.pk]}, format="json"
        )
        assert sent.status_code == 201, sent.content
        marked = komando.post(
            f"/api/v1/incidents/{incident.pk}/mark/",
            {"dispatch": sent.json()[0]["id"], "step": "on_scene"},
            format="json",
        )
        assert marked.status_code == 200, marked.content
        out, err = command.communicate(timeout=90)
    finally:
        if command.poll() is None:
            command.kill()
    assert command.returncode == 0, err
    report = json.loads(out)

    assert report["status"] == "finished" and report["speed"] == 60
    rows = report["injects"]
    assert all(r["fired_at"] and not r["error"] for r in rows), rows
    # Played on schedule, in scenario time (a second of real time is a minute here).
    for row in rows:
        assert row["offset"] <= row["fired_offset"] <= row["offset"] + 60, row
    first = {c["what"]: c for c in rows[0]["checks"]}
    measured = rows[0]["measured"]
    for key in ("alert_at", "ack_at", "dispatch_at", "on_scene_at"):
        assert measured[key], key
    assert measured["alert_level"] == "merah"
    assert {w: c["outcome"] for w, c in first.items()} == {
        "alert": "met",
        "ack": "met",
        "dispatch": "met",
        "on_scene": "met",
    }
    assert 0 <= first["alert"]["measured_after"] <= 120
    assert rows[1]["checks"] == [
        {"what": "force", "expected": "phh", "measured": "phh", "outcome": "met"}
    ]
    assert rows[2]["checks"][0]["outcome"] == "met"
    assert rows[3]["object"]["type"] == "tps_return"
    assert rows[4]["checks"][0]["outcome"] == "missed"
    missed = {"inject": 4, "label": "Situasi kantor KPU", **rows[4]["checks"][0]}
    assert report["missed"] == [missed]
    assert "command.tasks.exercise_fire_inject" in celery_worker.output()

    # Nothing the exercise made reached the real figures, the real alerts or the liaison.
    after = _liaison_view(liaison, liaison_page)
    assert after == before
    assert not after["page_mentions_exercise"]
    assert komando.get("/api/v1/summary/").json() == komando_summary
    assert Alert.objects.filter(is_exercise=False).count() == real_alerts
    assert Incident.objects.filter(is_exercise=False).get() == real
    tps.refresh_from_db()
    officer.refresh_from_db()
    assert tps.status == "belum_dibuka" and officer.status == "siaga"
    # And what it left open was closed when it ended.
    assert not Alert.objects.filter(is_exercise=True, status__in=["open", "acknowledged"]).exists()


def test_stopping_a_run_stops_its_further_injects(transactional_db, celery_worker):
    reference_load()
    scenario = scenario_save(
        by=None,
        data={
            "name": "uji-henti",
            "title": "Uji berhenti",
            "injects": [
                {
                    "offset": 0,
                    "kind": "incident",
                    "data": {
                        "type": "unjuk_rasa",
                        "colour": "hijau",
                        "description": "Aksi damai di depan kantor KPU",
                        "kelurahan": "Metro",
                    },
                },
                {
                    "offset": 12,
                    "kind": "tip",
                    "data": {"text": "Massa kedua datang ke KPU", "kelurahan": "Metro"},
                },
                {
                    "offset": 16,
                    "kind": "tip",
                    "data": {"text": "Massa ketiga datang ke KPU", "kelurahan": "Metro"},
                },
            ],
        },
        source="form",
    )
    user = make_user("kabag", "komando")
    run = exercises.exercise_run_start(scenario=scenario, by=user, speed=2)
    _wait_for(lambda: run.injects.filter(index=0, fired_at__isnull=False).exists(), 15, "inject 0")
    page = Client()
    page.force_login(user)
    assert page.post(f"/operasi/latihan/{run.pk}/hentikan/").status_code == 302
    # Wait past the last inject's due time: the worker receives the tasks and plays nothing.
    time.sleep(max(0.0, (run.injects.get(index=2).due_at - timezone.now()).total_seconds()) + 2)
    run.refresh_from_db()
    assert run.status == ExerciseRun.Status.STOPPED
    assert list(run.injects.order_by("index").values_list("fired_at", "skipped")) == [
        (run.injects.get(index=0).fired_at, False),
        (None, True),
        (None, True),
    ]
    assert Incident.objects.filter(is_exercise=True).count() == 1
    from incidents.models import Tip

    assert not Tip.objects.exists()
    report = json.loads(
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "exercise", "report", str(run.pk)],
            cwd=ROOT,
            env=stack_env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert report["status"] == "stopped"
    assert [r["skipped"] for r in report["injects"]] == [False, True, True]
