"""The fault drill, compact (bench/fault_drill.py has the full one and its figures): four field
clients file about 10 reports a second through the API, with idempotent retries, while the
Celery worker's pool and then its main process are killed with SIGKILL, Redis stops and comes
back empty, and PostgreSQL restarts. The drill owns those servers (its own cluster and its own
redis-server on free ports) and runs the stack under sispam.stack's runner. Afterwards every
accepted report is stored once and scored once, nothing answered 500, and the stack is healthy
without anyone touching it."""

import json
import time
import urllib.error
import urllib.request

import pytest
import redis as redis_lib
from celery import Celery
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from bench.fault_drill import Options, drill
from incidents.models import EwScore, IntelReport
from incidents.scoring import SCORE_QUEUE
from operations.models import Kelurahan
from operations.reference import reference_load
from sispam.stack import commands
from tests.conftest import make_user
from tests.stack import Proc, _spawn, stack_env, start_asgi_server, start_redis

pytestmark = pytest.mark.stack

# About 30 s of load: 3 s before the first fault and between faults, Redis away 8 s, PostgreSQL
# 2 s; the sweep every 3 s so that what the outages dropped is found quickly. Scored and
# healthy within 60 s of the last fault (the full drill allows 120).
COMPACT = Options(
    warmup=3,
    settle=3,
    redis_outage=8,
    pg_gap=2,
    after=3,
    deadline=60,
    sweep_seconds=3,
    verbose=False,
)


def test_every_report_filed_through_the_faults_is_stored_and_scored_once_without_a_500():
    result = drill(COMPACT)
    fig = result.figures
    out = f"{result.text()}\nfigures: {fig}"

    # The faults happened, and the stack took them by itself.
    assert fig["pool back"], out
    assert fig["worker restarted"] and fig["orphans"] == 0, out
    assert fig["redis empty"], out
    assert fig["restarts"] == {"worker": 1}, out  # the runner restarted the worker, nothing else

    # Every report filed was accepted, stored once and scored once.
    assert fig["filed"] >= 200, out
    assert fig["accepted"] == fig["filed"] and fig["rejected"] == 0, out
    assert fig["stored"] == fig["accepted"] and fig["lost"] == 0, out
    assert fig["scored"] == fig["accepted"] and fig["unscored"] == 0, out
    assert fig["duplicate_rows"] == 0 and fig["duplicate_scores"] == 0, out
    assert fig["scored_after"] is not None and fig["scored_after"] <= COMPACT.deadline, out

    # Outages answered 503 with Retry-After, never 500.
    assert fig["server_errors"] == 0 and fig["other_5xx"] == 0, out
    assert fig["healthy"], out
    assert result.ok, out


# What the drill found: connections left broken by a restart answered the first requests after
# the part was back. Each test breaks every connection the server holds, as a restart does.


def get(url: str, token: str | None = None) -> tuple[int, dict]:
    headers = {"Authorization": f"Token {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_the_first_requests_after_postgresql_dropped_the_connections_succeed(transactional_db):
    token = Token.objects.create(user=make_user("lapangan_pool", "lapangan")).key
    server = start_asgi_server(stack_env())
    try:
        assert get(server.url + "/api/v1/incidents/", token)[0] == 200  # the pool holds one
        with connection.cursor() as cursor:  # what a restart does to the server's connections
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        status, body = get(server.url + "/healthz")
        assert (status, body["checks"]["database"]["status"]) == (200, "ok"), body
        assert get(server.url + "/api/v1/incidents/", token)[0] == 200
    finally:
        server.stop()


def test_the_channel_layer_works_on_the_first_request_after_redis_restarts(db):
    redis = start_redis()
    port = int(redis.url.rsplit(":", 1)[1].split("/")[0])
    server = start_asgi_server(stack_env(REDIS_URL=redis.url))
    try:
        assert get(server.url + "/healthz")[1]["checks"]["channel_layer"]["status"] == "ok"
        redis.stop()
        redis = start_redis(port)  # back, empty; the server's connections to it are dead
        checks = get(server.url + "/healthz")[1]["checks"]
        assert checks["channel_layer"]["status"] == "ok", checks
        assert checks["broker"]["status"] == "ok", checks
    finally:
        server.stop()
        redis.stop()


def production_worker(env: dict[str, str]) -> Proc:
    """A Celery worker started as the runner and docker-compose start it (gossip and mingle on,
    unlike tests.stack's), once it consumes."""
    worker = _spawn("worker-drill", commands("127.0.0.1", 0, 1, 2)["worker"], env)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and " ready." not in worker.output():
        assert worker.proc.poll() is None, worker.output()
        time.sleep(0.2)
    return worker


def test_the_worker_keeps_running_when_redis_goes_away_in_the_middle_of_a_task(transactional_db):
    # The drill saw the worker exit ("Unrecoverable error: AttributeError") when Redis went
    # away while a task was unacknowledged (acks_late): Celery 5.7 closes the lost connection
    # and then kombu, restoring the task's message, reads the connection's settings it has
    # just dropped. The runner restarted it, but a worker must ride out an outage (issue #16).
    reference_load()
    kelurahan = Kelurahan.objects.get(name="Metro")
    author = make_user("analis_drill", "intel")
    reports = IntelReport.objects.bulk_create(
        IntelReport(
            subject=f"Laporan {i}",
            field="keamanan",
            source=f"informan {i}",
            obtained_at=timezone.now(),
            source_reliability="C",
            info_credibility=3,
            what=f"Massa {i} orang berkumpul di lapangan, situasi dipantau.",
            kelurahan=kelurahan,
            author=author,
        )
        for i in range(400)
    )
    items = [json.dumps(["intel", r.pk]) for r in reports]
    redis = start_redis()
    port = int(redis.url.rsplit(":", 1)[1].split("/")[0])
    worker = production_worker(stack_env(REDIS_URL=redis.url))
    sender = Celery("drill", broker=redis.url, set_as_current=False)  # not the suite's app
    try:
        redis_lib.Redis.from_url(redis.url).rpush(SCORE_QUEUE, *items)
        sender.send_task("incidents.tasks.score_drain")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and EwScore.objects.count() < 20:
            time.sleep(0.05)
        assert 0 < EwScore.objects.count() < len(reports)  # the drain is running
        redis.stop()  # while the drain task is unacknowledged
        time.sleep(4)
        assert worker.proc.poll() is None, worker.output()
        assert "Unrecoverable error" not in worker.output()
        redis = start_redis(port)  # back, empty: the rest is queued again
        redis_lib.Redis.from_url(redis.url).rpush(SCORE_QUEUE, *items)
        sender.send_task("incidents.tasks.score_drain")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and EwScore.objects.count() < len(reports):
            time.sleep(0.2)
        assert EwScore.objects.count() == len(reports), worker.output()[-3000:]
    finally:
        sender.close()
        worker.stop()
        redis.stop()
