"""A new or escalated incident reaches the command post's WebSocket through a real Celery
worker and the Redis channel layer, only after the report is committed."""

import asyncio
import json
import uuid

import pytest
import websockets
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from operations.models import Kelurahan
from operations.reference import reference_load
from tests.conftest import make_user
from tests.stack import run_async

pytestmark = pytest.mark.stack


async def _collect(url: str, cookie: str, trigger, want: int) -> list[dict]:
    origin = url.replace("ws://", "http://").split("/ws/")[0]
    async with websockets.connect(
        url, additional_headers={"Cookie": cookie, "Origin": origin}
    ) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"}
        await asyncio.to_thread(trigger)
        got = []
        while len(got) < want:
            event = json.loads(await asyncio.wait_for(ws.recv(), 10))
            # The incoming queue's notes (a batch scored, a tip arrived) come too: not asked.
            if not event["type"].startswith("intake."):
                got.append(event)
        return got


def test_new_and_escalated_incidents_are_pushed_through_the_worker(
    transactional_db, asgi_server, celery_worker
):
    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    watcher = Client()
    watcher.force_login(make_user("posko", "komando"))
    cookie = f"sessionid={watcher.cookies['sessionid'].value}"
    field = make_user("petugas", "lapangan")
    token = Token.objects.create(user=field).key
    komando_token = Token.objects.create(user=make_user("kabag", "komando")).key
    created = {}

    def file_and_escalate():
        import urllib.request

        body = json.dumps(
            {
                "type": "bentrok",
                "occurred_at": timezone.now().isoformat(),
                "kelurahan": kel.name,
                "description": "adu mulut dua kelompok pendukung, belum ada kontak fisik",
                "colour": "kuning",
            }
        ).encode()
        request = urllib.request.Request(
            asgi_server.url + "/api/v1/incidents/",
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Token {token}",
                "Idempotency-Key": str(uuid.uuid4()),
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            created.update(json.loads(response.read()))
        request = urllib.request.Request(
            asgi_server.url + f"/api/v1/incidents/{created['id']}/colour/",
            data=json.dumps({"colour": "merah"}).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Token {komando_token}"},
        )
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310

    url = asgi_server.url.replace("http://", "ws://") + "/ws/alerts/"
    events = run_async(_collect(url, cookie, file_and_escalate, want=2))
    assert [e["type"] for e in events] == ["incident.created", "incident.escalated"]
    assert events[0]["incident"]["id"] == created["id"]
    assert events[0]["incident"]["kelurahan"] == "Metro"
    assert events[1]["incident"]["colour"] == "merah"
    assert "reporter" not in events[0]["incident"]
    # It went through the worker, not a shortcut in the web process.
    assert "core.tasks.push_drain" in celery_worker.output()


def test_events_published_together_share_one_drain_and_leave_in_order(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    import redis as redis_lib
    from django.conf import settings

    from core import realtime

    client = realtime.push_queue_redis()
    client.delete(realtime.PUSH_QUEUE)
    broker = redis_lib.Redis.from_url(settings.CELERY_BROKER_URL)
    queued = broker.llen("celery")
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            realtime.realtime_publish_after_commit(group="g", event={"type": "t", "n": n})
        assert client.llen(realtime.PUSH_QUEUE) == 0  # nothing before the commit
    assert client.llen(realtime.PUSH_QUEUE) == 3
    assert broker.llen("celery") == queued + 1  # one drain task for the three
    sent = []
    monkeypatch.setattr(realtime, "realtime_send", lambda **kw: sent.append(kw))
    assert realtime.push_queue_drain() == 3
    assert [s["event"]["n"] for s in sent] == [0, 1, 2]
    assert client.llen(realtime.PUSH_QUEUE) == 0
    broker.delete("celery")
