"""GET /healthz names the state of the database, the broker and the channel layer."""

import json
import urllib.error
import urllib.request

from tests.stack import stack_env, start_asgi_server


def test_it_reports_every_part_ok_on_the_real_stack(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["vendor"] == "postgresql"
    assert body["checks"]["broker"]["status"] == "ok"
    assert body["checks"]["channel_layer"] == {
        "status": "ok",
        "backend": "RedisPubSubChannelLayer",
    }
    assert body["time"].endswith("+07:00")  # Asia/Jakarta


def test_it_answers_503_when_the_database_is_unreachable(db):
    # A real server pointed at a port where no database listens.
    env = stack_env(DATABASE_URL="postgres://root@127.0.0.1:9/nowhere", DB_POOL_TIMEOUT="1")
    server = start_asgi_server(env)
    try:
        try:
            urllib.request.urlopen(server.url + "/healthz", timeout=10)  # noqa: S310
            raise AssertionError("expected 503")
        except urllib.error.HTTPError as exc:
            assert exc.code == 503
            body = json.loads(exc.read())
        assert body["status"] == "down"
        assert body["checks"]["database"]["status"] == "down"
        assert body["checks"]["broker"]["status"] == "ok"
    finally:
        server.stop()


def test_it_reports_a_degraded_broker_without_failing(db):
    env = stack_env(REDIS_URL="redis://127.0.0.1:9/0")
    server = start_asgi_server(env)
    try:
        with urllib.request.urlopen(server.url + "/healthz", timeout=15) as response:  # noqa: S310
            body = json.loads(response.read())
        assert body["status"] == "degraded"
        assert body["checks"]["broker"]["status"] == "down"
        assert body["checks"]["channel_layer"]["status"] == "down"
        assert body["checks"]["database"]["status"] == "ok"
    finally:
        server.stop()
