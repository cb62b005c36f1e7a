"""Nothing lost: reports survive a broker outage and a worker killed mid-batch, and each is
scored exactly once."""

import json
import time
import urllib.request

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from incidents.models import EwScore, IntelReport
from incidents.scoring import scores_sweep
from operations.models import Kelurahan
from operations.reference import reference_load
from sispam.celery import app
from tests.conftest import make_user
from tests.stack import (
    stack_env,
    start_asgi_server,
    start_celery_beat,
    start_celery_worker,
    start_redis,
)

pytestmark = pytest.mark.stack


def intel_body(i: int) -> bytes:
    return json.dumps(
        {
            "subject": f"Laporan {i}",
            "field": "keamanan",
            "source": f"informan {i}",
            "obtained_at": timezone.now().isoformat(),
            "source_reliability": "C",
            "info_credibility": 3,
            "what": f"Kelompok pemuda berkumpul di lapangan nomor {i}.",
            "kelurahan": "Metro",
        }
    ).encode()


def post(url: str, token: str, body: bytes) -> int:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status


def wait_scored(n: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and EwScore.objects.count() < n:
        time.sleep(0.5)
    return EwScore.objects.count()


def wait_settled(seconds: float, quiet: float = 2.0) -> int:
    """Wait until the number of scores stops growing for `quiet` seconds."""
    deadline = time.monotonic() + seconds
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = EwScore.objects.count()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
        time.sleep(0.2)
    return last


def test_reports_filed_while_redis_is_down_are_accepted_and_scored_after(
    transactional_db, tmp_path
):
    reference_load()
    token = Token.objects.create(user=make_user("analis", "intel")).key
    redis = start_redis()
    env = stack_env(REDIS_URL=redis.url, EW_SWEEP_SECONDS="3")
    port = redis.url.rsplit(":", 1)[1].split("/")[0]
    server = start_asgi_server(env)
    worker = beat = None
    try:
        worker = start_celery_worker(env, name="outage")
        beat = start_celery_beat(env, tmp_path)
        redis.stop()  # the broker goes away
        codes = [post(server.url + "/api/v1/intel/", token, intel_body(i)) for i in range(5)]
        assert codes == [201] * 5  # accepted all the same
        assert IntelReport.objects.count() == 5 and EwScore.objects.count() == 0
        redis = start_redis(int(port))  # back, empty: every queued message was lost
        assert wait_scored(5, 60) == 5  # the sweep found them within a minute
        assert EwScore.objects.values("intel").distinct().count() == 5
    finally:
        for proc in (beat, worker, server, redis):
            if proc is not None:
                proc.stop()


def test_a_worker_killed_mid_batch_loses_nothing_and_scores_each_report_once(
    transactional_db, celery_worker
):
    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    author = make_user("analis2", "intel")
    reports = IntelReport.objects.bulk_create(
        IntelReport(
            subject=f"Laporan {i}",
            field="keamanan",
            source=f"informan {i}",
            obtained_at=timezone.now(),
            source_reliability="C",
            info_credibility=3,
            what=f"Massa {i} orang berkumpul, situasi dipantau.",
            kelurahan=kel,
            author=author,
        )
        for i in range(300)
    )
    for r in reports:
        app.send_task("incidents.tasks.score_report", args=["intel", r.pk])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and EwScore.objects.count() < 20:
        time.sleep(0.05)
    celery_worker.kill()  # kill -9, in the middle of the batch
    done_at_kill = EwScore.objects.count()
    assert 0 < done_at_kill < 300
    second = start_celery_worker(stack_env(), name="second")
    try:
        wait_settled(60)  # the second worker drains what was still queued
        scores_sweep(older_than_seconds=0)  # what the dead worker held, beat re-sends
        assert wait_scored(300, 60) == 300
    finally:
        second.stop()
    assert EwScore.objects.values("intel").distinct().count() == 300  # exactly once each


def test_a_worker_killed_while_draining_the_score_queue_loses_nothing(
    transactional_db, celery_worker
):
    # Web requests queue reports for scoring in a Redis list drained by one task; kill -9 the
    # worker in the middle of the drain: the task comes back to the next worker, which goes on
    # with the list, and the beat sweep scores what the dead one had popped. Once each.
    import redis as redis_lib

    from incidents.scoring import SCORE_QUEUE

    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    author = make_user("analis3", "intel")
    reports = IntelReport.objects.bulk_create(
        IntelReport(
            subject=f"Laporan {i}",
            field="keamanan",
            source=f"informan {i}",
            obtained_at=timezone.now(),
            source_reliability="C",
            info_credibility=3,
            what=f"Massa {i} orang berkumpul, situasi dipantau.",
            kelurahan=kel,
            author=author,
        )
        for i in range(300)
    )
    client = redis_lib.Redis.from_url(app.conf.broker_url)
    client.rpush(SCORE_QUEUE, *[json.dumps(["intel", r.pk]) for r in reports])
    app.send_task("incidents.tasks.score_drain")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and EwScore.objects.count() < 20:
        time.sleep(0.05)
    celery_worker.kill()
    assert 0 < EwScore.objects.count() < 300
    second = start_celery_worker(stack_env(), name="second-drain")
    try:
        app.send_task("incidents.tasks.score_drain")  # what beat sends every 5 s
        wait_settled(60)
        scores_sweep(older_than_seconds=0)
        assert wait_scored(300, 60) == 300
    finally:
        second.stop()
    assert client.llen(SCORE_QUEUE) == 0
    assert EwScore.objects.values("intel").distinct().count() == 300  # exactly once each


def test_reports_filed_through_the_api_are_scored_through_the_queue(
    transactional_db, asgi_server, celery_worker
):
    reference_load()
    token = Token.objects.create(user=make_user("analis4", "intel")).key
    codes = [post(asgi_server.url + "/api/v1/intel/", token, intel_body(i)) for i in range(20)]
    assert codes == [201] * 20
    assert wait_scored(20, 30) == 20
    assert "incidents.tasks.score_drain" in celery_worker.output()
