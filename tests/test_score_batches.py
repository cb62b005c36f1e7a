"""Scoring in batches (incidents.scoring.reports_score): a batch of queued reports scores as the
same reports one at a time would, raises one alert per place, keeps rows that already stand,
and the beat sweep leaves reports still queued to the queue."""

import datetime as dt
import json

from django.utils import timezone

from core.queue import broker_redis
from incidents.models import Alert, EwScore, Tip
from incidents.scoring import (
    SCORE_QUEUE,
    _stream,
    report_score,
    reports_score,
    scores_sweep,
)
from operations.models import Kelurahan
from operations.reference import reference_load

TENSE = "Dua kelompok pemuda saling ejek di depan posko, suasana memanas, massa bertambah."
ARMED = (
    "Massa sekitar 200 orang membawa senjata tajam dan bom molotov bergerak ke kantor KPU, "
    "mereka mengancam membakar gudang logistik malam ini."
)


def _tips():
    """Eleven tips in two kelurahan, from several clients, some of them repeating."""
    iring = Kelurahan.objects.get(name="Iringmulyo")
    metro = Kelurahan.objects.get(name="Metro")
    plan = [
        (iring, TENSE, "a"),
        (iring, TENSE, "a"),  # the same source again: corroborates nothing
        (iring, TENSE, "b"),
        (metro, ARMED, "m1"),
        (iring, TENSE, "c"),
        (metro, ARMED, "m2"),
        (metro, "Situasi aman kondusif, warga kerja bakti.", "m3"),
        (iring, ARMED, "d"),
        (metro, ARMED, "m4"),
        (iring, TENSE, "e"),
        (None, ARMED, "z"),  # no place: an alert of its own
    ]
    return [Tip.objects.create(text=t, kelurahan=k, client_hash=c) for k, t, c in plan]


def _outcome(tips):
    scores = {s.tip_id: (s.score, s.level) for s in EwScore.objects.all()}
    alerts = sorted(
        (a.kelurahan_id or 0, a.scores.count()) for a in Alert.objects.filter(kind="report")
    )
    return [scores[t.pk] for t in tips], alerts


def test_a_batch_scores_as_the_same_reports_one_at_a_time(db):
    reference_load()
    tips = _tips()
    for tip in tips:
        report_score(kind="tip", pk=tip.pk)
    one_by_one = _outcome(tips)
    Alert.scores.through.objects.all().delete()
    Alert.objects.all().delete()
    EwScore.objects.all().delete()

    got = reports_score([("tip", t.pk) for t in tips])
    assert set(got) == {("tip", t.pk) for t in tips}
    batched = _outcome(tips)
    assert batched == one_by_one
    levels = [level for _score, level in batched[0]]
    assert "merah" in levels and "kuning" in levels  # the batch had both to agree on
    scores = [score for score, _level in batched[0]]
    assert scores[2] > scores[0] == scores[1]  # corroboration inside the batch, by source
    # One report alert per place (Metro, Iringmulyo, the tip with no place), holding every
    # merah report of it.
    assert len(batched[1]) == 3


def test_a_batch_keeps_a_score_that_already_stands(db):
    reference_load()
    tips = _tips()[:4]
    first = report_score(kind="tip", pk=tips[0].pk)
    got = reports_score([("tip", t.pk) for t in tips])  # a second delivery of the first
    assert got[("tip", tips[0].pk)].pk == first.pk
    assert EwScore.objects.count() == 4
    assert reports_score([("tip", 10**9)]) == {}  # a report that is gone: nothing


def test_a_surge_counts_the_whole_batch(db):
    reference_load()
    kel = Kelurahan.objects.get(name="Iringmulyo")
    tips = [Tip.objects.create(text=TENSE, kelurahan=kel, client_hash=f"s{i}") for i in range(8)]
    reports_score([("tip", t.pk) for t in tips])
    surge = Alert.objects.get(kind="surge")
    assert surge.kelurahan == kel
    assert (
        surge.scores.count()
        == EwScore.objects.filter(score__gte=_stream("surge_min_score")).count()
    )
    assert surge.scores.count() >= 4


def test_the_sweep_leaves_reports_still_queued_to_the_queue(db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    reference_load()
    old = timezone.now() - dt.timedelta(minutes=5)
    queued, lost = (Tip.objects.create(text=TENSE) for _ in range(2))
    Tip.objects.filter(pk__in=[queued.pk, lost.pk]).update(created_at=old)
    redis = broker_redis()
    redis.delete(SCORE_QUEUE)
    try:
        # Still waiting in the list (a backlog): a drain is on its way to it.
        redis.rpush(SCORE_QUEUE, json.dumps(["tip", queued.pk]))
        assert scores_sweep() == 1  # only the one the broker lost
        waiting = [json.loads(raw) for raw in redis.lrange(SCORE_QUEUE, 0, -1)]
        assert waiting == [["tip", queued.pk], ["tip", lost.pk]]
        assert scores_sweep() == 0  # both are queued now: nothing sent twice
    finally:
        redis.delete(SCORE_QUEUE)


def test_the_migration_names_the_source_of_scores_made_before_it(db, personas):
    """0010 fills EwScore.source for existing scores as scoring now stores it."""
    import importlib

    from django.apps import apps

    from incidents.models import Incident

    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    tips = [
        Tip.objects.create(text=TENSE, kelurahan=kel, client_hash="abc"),
        Tip.objects.create(text=TENSE, kelurahan=kel),
    ]
    incident = Incident.objects.create(
        type="bentrok",
        occurred_at=timezone.now(),
        kelurahan=kel,
        description=TENSE,
        reporter=personas["lapangan"],
        verify_due_at=timezone.now(),
    )
    reports_score([("tip", tips[0].pk), ("tip", tips[1].pk), ("incident", incident.pk)])
    stored = dict(EwScore.objects.values_list("pk", "source"))
    assert set(stored.values()) == {
        "tip:abc",
        f"tip-{tips[1].pk}",
        f"field:{personas['lapangan'].pk}",
    }
    EwScore.objects.update(source="")
    migration = importlib.import_module("incidents.migrations.0010_ewscore_source")
    migration.fill_source(apps, None)
    assert dict(EwScore.objects.values_list("pk", "source")) == stored


def test_a_busy_place_is_recounted_every_few_seconds_and_joins_its_surge_between(db):
    """A place with SURGE_RECOUNT_MIN reports in the window is not recounted within
    SURGE_RECOUNT_SECONDS: its last result stands and the new reports join its surge alert."""
    import time

    from incidents import scoring

    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    key = (kel.pk, False)
    tips = [Tip.objects.create(text=TENSE, kelurahan=kel, client_hash=f"b{i}") for i in range(2)]
    busy = (time.monotonic(), scoring.SURGE_RECOUNT_MIN, "1200 laporan di Metro dalam 60 menit")
    scoring._surge_seen[key] = busy
    try:
        reports_score([("tip", t.pk) for t in tips])
        surge = Alert.objects.get(kind="surge")
        assert surge.reasons == [busy[2]] and surge.scores.count() == 2
        assert scoring._surge_seen[key] == busy  # not recounted
        # Later than SURGE_RECOUNT_SECONDS: counted again (two reports here: no surge now).
        scoring._surge_seen[key] = (busy[0] - 60, *busy[1:])
        reports_score([("tip", Tip.objects.create(text=TENSE, kelurahan=kel).pk)])
        assert scoring._surge_seen[key][1:] == (3, None)
    finally:
        scoring._surge_seen.pop(key, None)
