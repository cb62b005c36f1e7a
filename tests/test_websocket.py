"""/ws/alerts/ through the Redis channel layer: authenticated roles in, anonymous out."""

import asyncio
import json

import pytest
import websockets
from django.test import Client

from core.realtime import ALERTS_GROUP, realtime_send
from tests.conftest import make_user
from tests.stack import run_async

pytestmark = pytest.mark.stack


def session_cookie(username: str, role: str | None) -> str:
    client = Client()
    client.force_login(make_user(username, role))
    return f"sessionid={client.cookies['sessionid'].value}"


def ws_url(server) -> str:
    return server.url.replace("http://", "ws://") + "/ws/alerts/"


async def _receive_push(url: str, cookie: str, event: dict) -> dict:
    headers = {"Cookie": cookie, "Origin": url.replace("ws://", "http://").split("/ws/")[0]}
    async with websockets.connect(url, additional_headers=headers) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"}
        # Published from another process (this test) through Redis, as a worker would.
        await asyncio.to_thread(realtime_send, group=ALERTS_GROUP, event=event)
        return json.loads(await asyncio.wait_for(ws.recv(), 5))


async def _is_refused(url: str, cookie: str | None) -> bool:
    headers = {"Origin": url.replace("ws://", "http://").split("/ws/")[0]}
    if cookie:
        headers["Cookie"] = cookie
    try:
        async with websockets.connect(url, additional_headers=headers) as ws:
            await asyncio.wait_for(ws.recv(), 5)
    except websockets.exceptions.InvalidStatus as exc:
        return exc.response.status_code == 403
    except websockets.exceptions.ConnectionClosed as exc:
        return exc.rcvd is not None and exc.rcvd.code == 4403
    return False


def test_a_command_post_user_receives_an_event_published_on_the_channel_layer(
    transactional_db, asgi_server
):
    event = {"type": "alert.created", "alert": {"id": 7, "level": "merah"}}
    received = run_async(_receive_push(ws_url(asgi_server), session_cookie("k1", "komando"), event))
    assert received == event


def test_anonymous_visitors_and_other_roles_are_refused(transactional_db, asgi_server):
    url = ws_url(asgi_server)
    assert run_async(_is_refused(url, None))
    assert run_async(_is_refused(url, session_cookie("kpu1", "penghubung_kpu")))
    assert run_async(_is_refused(url, session_cookie("lap1", "lapangan")))
