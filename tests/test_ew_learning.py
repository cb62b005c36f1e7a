"""The command post corrects scores, trains a version, backtests it and activates it
(incidents/learning.py, its API and commands) on PostgreSQL."""

import io
import json
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from core.models import AuditEvent
from incidents.models import EwBacktest, EwConfig, EwCorrection, EwTrainingRun, Tip
from incidents.scoring import engine_version, report_score
from tests.stack import ROOT

CORPUS = ROOT / "tests" / "data" / "ew_corpus"


@pytest.fixture(autouse=True)
def fresh_engine():
    """Each test starts and ends with no engine cached in this process: an activation in one
    test must not leak into the next through the 15-second version cache."""
    from incidents import scoring

    scoring._engine, scoring._checked_at = None, 0.0
    yield
    scoring._engine, scoring._checked_at = None, 0.0


@pytest.fixture
def eager(settings):
    """Tasks run in the test process (the training task's worker side is tested in the
    browser test, with a real worker). Through Django's setting, as the other tests do: writing
    Celery's own conf here would pin it for every later test of the process."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def small_corpus(tmp_path, settings, eager):
    """Three authors, 30 reports each, so that training takes a second or two."""
    for name in ("rd", "sm", "li"):
        lines = (CORPUS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()[:30]
        (tmp_path / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings.EW_CORPUS_DIR = tmp_path
    return tmp_path


@pytest.fixture
def scored(db):
    tips = [
        Tip.objects.create(text="pak ada yg bawa golok di tps 4 yosodadi, warga lari"),
        Tip.objects.create(text="situasi tps 2 aman, antrean tertib dan lancar"),
        Tip.objects.create(text="katanya ada pembagian amplop di RT 03 nanti subuh"),
    ]
    return [report_score(kind="tip", pk=t.pk) for t in tips]


def test_komando_corrects_a_score_with_a_reason_and_it_is_audited(api_for, scored):
    score = scored[1]
    r = api_for("komando").post(
        "/api/v1/ew/corrections/",
        {"score": score.pk, "level": "kuning", "reason": "antrean memanas, perlu dicek"},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["scored_level"] == score.level and r.json()["by"] == "komando"
    event = AuditEvent.objects.get(action="ew.correction")
    assert event.changes == {"level": [score.level, "kuning"]}


@pytest.mark.parametrize("role", ["lapangan", "penghubung_kpu", "admin"])
def test_a_correction_by_anyone_but_komando_or_intel_is_403(api_for, scored, role):
    r = api_for(role).post(
        "/api/v1/ew/corrections/",
        {"score": scored[0].pk, "level": "hijau", "reason": "tidak benar"},
        format="json",
    )
    assert r.status_code == 403
    assert EwCorrection.objects.count() == 0


def test_a_bad_correction_is_400_naming_the_field(api_for, scored):
    api = api_for("intel")
    r = api.post(
        "/api/v1/ew/corrections/",
        {"score": scored[0].pk, "level": "ungu", "reason": "x y z"},
        format="json",
    )
    assert r.status_code == 400 and "level" in r.json()
    r = api.post(
        "/api/v1/ew/corrections/", {"score": scored[0].pk, "level": "hijau"}, format="json"
    )
    assert r.status_code == 400 and "reason" in r.json()
    r = api.post(
        "/api/v1/ew/corrections/",
        {"score": 999999, "level": "hijau", "reason": "abc"},
        format="json",
    )
    assert r.status_code == 400 and "score" in r.json()


def test_the_export_gives_each_corrected_report_once_in_the_corpus_format(api_for, scored):
    api = api_for("komando")
    for level in ("kuning", "merah"):
        api.post(
            "/api/v1/ew/corrections/",
            {"score": scored[2].pk, "level": level, "reason": f"jadi {level}"},
            format="json",
        )
    r = api.get("/api/v1/ew/corrections/export/")
    assert r.status_code == 200 and r["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in r.content.decode().splitlines()]
    assert len(lines) == 1
    assert lines[0]["expected"] == "merah" and lines[0]["channel"] == "tip"
    assert set(lines[0]) >= {"id", "text", "channel", "kelurahan", "reported_at", "expected"}
    assert api_for("lapangan").get("/api/v1/ew/corrections/export/").status_code == 403


def test_train_backtest_and_activate_through_the_api(
    api_for, scored, small_corpus, django_capture_on_commit_callbacks
):
    api = api_for("intel")
    api.post(
        "/api/v1/ew/corrections/",
        {"score": scored[1].pk, "level": "kuning", "reason": "uji koreksi"},
        format="json",
    )
    before = engine_version()
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post("/api/v1/ew/trainings/train/", {"version": "ew-uji-1"}, format="json")
    assert r.status_code == 202, r.content
    run = EwTrainingRun.objects.get(version="ew-uji-1")
    assert run.status == "done", run.error
    assert run.summary["corrections"] == 1 and run.summary["reports"] == 91
    config = EwConfig.objects.get(version="ew-uji-1")
    assert not config.is_active and config.config["model"]["format"] == "sispam-ew-linear/1"

    # No activation without a backtest of this version.
    r = api.post("/api/v1/ew/versions/ew-uji-1/activate/", {"backtest": 0}, format="json")
    assert r.status_code == 400 and "backtest" in r.json()
    r = api.post("/api/v1/ew/versions/ew-uji-1/backtest/")
    assert r.status_code == 201
    body = r.json()
    assert body["against"] == before and body["summary"]["reports"] == 3
    assert body["summary"]["corrections"]["n"] == 1
    r = api.post("/api/v1/ew/versions/ew-uji-1/activate/", {"backtest": body["id"]}, format="json")
    assert r.status_code == 200 and r.json()["is_active"] is True
    from incidents import scoring

    scoring._checked_at = 0.0  # the next look-up sees the new version at once
    assert engine_version() == "ew-uji-1"
    assert AuditEvent.objects.filter(action="ew.activate").count() == 1
    # The backtest was against the old version: it cannot activate anything again.
    other = EwConfig.objects.create(version="ew-uji-2", config=config.config, is_active=False)
    stale = EwBacktest.objects.create(config=other, against=before, summary={})
    r = api.post("/api/v1/ew/versions/ew-uji-2/activate/", {"backtest": stale.pk}, format="json")
    assert r.status_code == 400


@pytest.mark.parametrize("role", ["lapangan", "penghubung_kpu", "admin"])
def test_training_and_versions_are_closed_to_other_roles(api_for, role, db):
    api = api_for(role)
    assert api.post("/api/v1/ew/trainings/train/", {}, format="json").status_code == 403
    assert api.get("/api/v1/ew/versions/").status_code == 403


def test_ew_train_and_ew_backtest_commands(scored, small_corpus):
    out = io.StringIO()
    call_command("ew_train", "--name", "ew-cli-1", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["version"] == "ew-cli-1" and summary["reports"] == 90
    out = io.StringIO()
    call_command("ew_backtest", "--config", "ew-cli-1", stdout=out)
    result = json.loads(out.getvalue())
    assert result["version"] == "ew-cli-1" and result["reports"] == 3
    assert set(result) >= {"changed", "transitions", "changes", "corrections"}
    with pytest.raises(CommandError, match="no engine version"):
        call_command("ew_backtest", "--config", "nope")


def test_ew_train_refuses_an_empty_or_one_level_corpus(db, tmp_path, settings):
    settings.EW_CORPUS_DIR = tmp_path
    shutil.copy(CORPUS / "shared-sample.jsonl", tmp_path / "a.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()]
    (tmp_path / "a.jsonl").write_text(
        "\n".join(json.dumps(x) for x in lines if x["expected"] == "hijau") + "\n"
    )
    with pytest.raises(CommandError, match="three levels"):
        call_command("ew_train", "--name", "ew-bad", stdout=io.StringIO())
    assert EwTrainingRun.objects.get(version="ew-bad").status == "failed"


def test_the_sweep_leaves_reports_older_than_its_window(db, settings, eager):
    from incidents.scoring import scores_sweep

    old = Tip.objects.create(text="massa membakar ban di depan KPU")
    Tip.objects.filter(pk=old.pk).update(created_at=timezone.now() - timezone.timedelta(days=3))
    settings.EW_SWEEP_WINDOW_HOURS = 24
    scores_sweep(older_than_seconds=0)
    assert not old.scores.exists()
