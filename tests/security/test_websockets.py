"""/ws/alerts/: only from the origins the app serves, and only while its user may have it."""

import asyncio
import time

import pytest
import websockets
from django.contrib.auth.models import Group
from django.test import Client

from tests.conftest import make_user
from tests.stack import run_async

pytestmark = pytest.mark.stack


def signed_in(username: str, role: str) -> tuple[Client, str]:
    client = Client()
    user = make_user(username, role)
    client.force_login(user)
    return client, f"sessionid={client.cookies['sessionid'].value}"


def ws_url(server) -> str:
    return server.url.replace("http://", "ws://") + "/ws/alerts/"


async def _opens(url: str, cookie: str, origin: str | None) -> bool:
    headers = {"Cookie": cookie}
    if origin is not None:
        headers["Origin"] = origin
    try:
        async with websockets.connect(url, additional_headers=headers) as ws:
            await ws.send('{"type": "ping"}')
            await asyncio.wait_for(ws.recv(), 5)
            return True
    except websockets.exceptions.InvalidStatus:
        return False
    except websockets.exceptions.ConnectionClosed:
        return False


def test_a_page_on_another_port_of_the_same_host_cannot_open_the_feed(
    transactional_db, asgi_server
):
    """Attack: the komando, signed in to Sispam on http://127.0.0.1:8000, opens a page served
    from http://127.0.0.1:9999 (any other program on the command post's machine, or a port an
    attacker controls there). Its script opens ws://127.0.0.1:8000/ws/alerts/; the browser sends
    the komando's cookie. Before the fix the origin check compared the host name alone and the
    page read the command feed."""
    _client, cookie = signed_in("k1", "komando")
    url = ws_url(asgi_server)
    own = asgi_server.url  # http://127.0.0.1:<port>
    port = own.rsplit(":", 1)[1]
    assert run_async(_opens(url, cookie, own))
    assert not run_async(_opens(url, cookie, "http://127.0.0.1:9999"))
    assert not run_async(_opens(url, cookie, f"https://127.0.0.1:{port}"))  # another scheme
    assert not run_async(_opens(url, cookie, f"http://localhost:{port}"))  # not this request's
    assert not run_async(_opens(url, cookie, "http://evil.example"))
    assert not run_async(_opens(url, cookie, None))


async def _closed_within(url: str, cookie: str, origin: str, act, seconds: float) -> float:
    """Open the feed, run `act` (in a thread: it uses the ORM), and time until the server
    closes the socket; fails if it is still open after `seconds`."""
    async with websockets.connect(
        url, additional_headers={"Cookie": cookie, "Origin": origin}
    ) as ws:
        await ws.send('{"type": "ping"}')
        assert "pong" in await asyncio.wait_for(ws.recv(), 5)
        await asyncio.to_thread(act)
        started = time.monotonic()
        try:
            while True:
                await asyncio.wait_for(ws.recv(), seconds)
        except websockets.exceptions.ConnectionClosed:
            return time.monotonic() - started
        except TimeoutError:
            pytest.fail(f"the socket was still open {seconds} s after the change")


def test_logging_out_closes_an_open_feed_within_seconds(transactional_db, asgi_server):
    """Attack: the komando logs out of a shared command-post screen; the tab (or anyone who
    copied the socket) kept receiving every incident and alert, because the role was checked
    only at connect."""
    client, cookie = signed_in("k1", "komando")
    took = run_async(
        _closed_within(
            ws_url(asgi_server),
            cookie,
            asgi_server.url,
            lambda: client.post("/accounts/logout/"),
            10,
        )
    )
    assert took < 10


def test_deactivating_a_user_closes_his_open_feed_within_seconds(transactional_db, asgi_server):
    """Attack: an officer is removed from the command post (account deactivated) while his
    screen is open; before the fix the open socket kept receiving the feed."""
    _client, cookie = signed_in("k1", "komando")

    def deactivate():
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(username="k1")
        user.is_active = False
        user.save(update_fields=["is_active"])

    assert (
        run_async(_closed_within(ws_url(asgi_server), cookie, asgi_server.url, deactivate, 10)) < 10
    )


def test_losing_the_role_closes_an_open_feed_within_seconds(transactional_db, asgi_server):
    _client, cookie = signed_in("i1", "intel")

    def demote():
        from django.contrib.auth import get_user_model

        get_user_model().objects.get(username="i1").groups.remove(Group.objects.get(name="intel"))

    assert run_async(_closed_within(ws_url(asgi_server), cookie, asgi_server.url, demote, 10)) < 10
