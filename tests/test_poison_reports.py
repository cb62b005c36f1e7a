"""Poison reports (issue #16): a report whose scoring keeps raising is retried with backoff,
then left failed for the administrator, who re-queues it; it never holds back the others and
the sweep does not loop on it. An outage is not a poison: nothing is recorded for it."""

import datetime as dt
import json

import pytest
from django.db import OperationalError
from django.utils import timezone

from core.models import AuditEvent
from core.queue import broker_redis
from incidents.ew import Engine
from incidents.models import EwScore, ScoringFailure, Tip
from incidents.scoring import (
    SCORE_QUEUE,
    report_score_guarded,
    score_queue_drain,
    scores_sweep,
)
from operations.models import Kelurahan
from operations.reference import reference_load

POISON = "RACUN: laporan yang membuat mesin gagal"


@pytest.fixture
def poisoned(monkeypatch):
    """The engine raises on one text (a bug the next release fixes), for this test only."""
    real = Engine.score

    def score(self, report, **kwargs):
        if POISON in report.text:
            raise ValueError("rusak")
        return real(self, report, **kwargs)

    monkeypatch.setattr(Engine, "score", score)
    return monkeypatch


def test_a_poison_report_is_retried_then_failed_and_the_others_are_scored(
    db, settings, poisoned, personas, client_for, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the retries run at once
    settings.EW_SCORE_MAX_ATTEMPTS = 3
    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    good = [Tip.objects.create(text="Massa berkumpul di TPS 03.", kelurahan=kel) for _ in range(3)]
    bad = Tip.objects.create(text=POISON, kelurahan=kel)
    redis = broker_redis()
    redis.delete(SCORE_QUEUE)
    try:
        items = [["tip", t.pk] for t in (good[0], bad, good[1], good[2])]
        redis.rpush(SCORE_QUEUE, *map(json.dumps, items))
        assert score_queue_drain() == 4
    finally:
        redis.delete(SCORE_QUEUE)
    assert EwScore.objects.filter(tip__in=good).count() == 3  # the batch went on without it
    failure = ScoringFailure.objects.get()
    assert (failure.kind, failure.report_id) == ("tip", bad.pk)
    assert failure.status == "failed" and failure.attempts == 3
    assert failure.error == "ValueError: rusak"
    assert not EwScore.objects.filter(tip=bad).exists()

    Tip.objects.filter(pk=bad.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    assert scores_sweep() == 0  # left for the administrator, not swept forever

    # The administrator sees it in the admin and re-queues it once the cause is fixed.
    poisoned.undo()
    admin = client_for("admin")
    page = admin.get("/admin/incidents/scoringfailure/")
    assert page.status_code == 200 and "ValueError" not in page.content.decode()  # list only
    assert admin.get(f"/admin/incidents/scoringfailure/{failure.pk}/change/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post(
            "/admin/incidents/scoringfailure/",
            {"action": "requeue", "_selected_action": [failure.pk]},
        )
    assert done.status_code == 302
    failure.refresh_from_db()
    assert failure.status == "resolved"
    assert EwScore.objects.filter(tip=bad).exists()
    assert AuditEvent.objects.filter(action="ew.requeue", actor=personas["admin"]).exists()
    # Not for the other roles.
    assert client_for("komando").get("/admin/incidents/scoringfailure/").status_code == 302


def test_an_outage_is_not_a_poison(db, monkeypatch):
    reference_load()
    tip = Tip.objects.create(text="Situasi aman.", kelurahan=Kelurahan.objects.get(name="Metro"))

    def down(self, report, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(Engine, "score", down)
    with pytest.raises(OperationalError):  # raised on to Celery's retry (and the sweep)
        report_score_guarded(kind="tip", pk=tip.pk)
    assert not ScoringFailure.objects.exists()
