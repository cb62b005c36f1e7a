"""One trusted client address: login lockout and every rate limit key on it.

The attacker sets X-Forwarded-For himself. Only the entries appended by the proxies we run
(TRUSTED_PROXY_COUNT of them) may be believed; everything to their left is his to write.
"""

import json
import re
import urllib.error
import urllib.request

import pytest
import yaml
from django.core.cache import cache
from django.test import Client, override_settings

from incidents.models import Tip
from tests.conftest import PASSWORD, make_user
from tests.stack import BIN, ROOT, _spawn, free_port, stack_env

REAL_CLIENT = "203.0.113.9"  # the attacker's own address, as the proxy appends it


def _compose_web():
    """The web service's uvicorn proxy options and TRUSTED_PROXY_COUNT, as compose runs it."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    web = compose["services"]["web"]
    command = web["command"]
    options = []
    for i, arg in enumerate(command):
        if arg in {"--proxy-headers", "--no-proxy-headers"}:
            options.append(arg)
        elif arg == "--forwarded-allow-ips":
            options += [arg, command[i + 1]]
    env = {**compose["x-app"]["environment"], **web.get("environment", {})}
    raw = str(env.get("TRUSTED_PROXY_COUNT", "0"))
    match = re.fullmatch(r"\$\{TRUSTED_PROXY_COUNT:-(\d+)\}", raw)
    return options, match.group(1) if match else raw


def _token(url: str, password: str, forwarded_for: str) -> int:
    request = urllib.request.Request(  # noqa: S310
        url + "/api/v1/auth/token/",
        data=json.dumps({"username": "komando", "password": password}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.stack
def test_a_rotating_forwarded_for_does_not_escape_the_login_lockout_behind_compose_proxy(
    transactional_db,
):
    """Attack: twelve wrong passwords, each with another X-Forwarded-For, then the right one.

    The web server runs with compose's own proxy options and TRUSTED_PROXY_COUNT; this test
    plays the one proxy in front of it (it connects from 127.0.0.1 and appends the attacker's
    real address to whatever header he sent). Before the fix uvicorn trusted forwarded headers
    from every address and took the left-most entry, so every guess came from a "new" address
    and the right password logged in."""
    make_user("komando", "komando")
    options, count = _compose_web()
    port = free_port()
    cmd = [str(BIN / "uvicorn"), "sispam.asgi:application", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--log-level", "warning", *options]
    server = _spawn(f"asgi-xff-{port}", cmd, stack_env(TRUSTED_PROXY_COUNT=count))
    url = f"http://127.0.0.1:{port}"
    try:
        import time

        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=5).close()  # noqa: S310
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                assert time.monotonic() < deadline, server.output()
                time.sleep(0.2)
        for i in range(12):
            status = _token(url, "wrong-password", f"198.51.100.{i}, {REAL_CLIENT}")
            assert status in {400, 429}
        assert _token(url, PASSWORD, f"198.51.100.99, {REAL_CLIENT}") == 429
    finally:
        server.stop()


def test_a_rotating_forwarded_for_does_not_escape_the_login_form_lockout(personas):
    """Attack: the same guessing through the login page with no proxy configured (the default):
    the header is not believed at all, so the lockout holds for the socket address."""
    client = Client()
    for i in range(12):
        client.post(
            "/accounts/login/",
            {"username": "komando", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        )
    locked = client.post(
        "/accounts/login/",
        {"username": "komando", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )
    assert locked.status_code == 429


def _tip_api(client, forwarded_for):
    return client.post(
        "/api/v1/tips/",
        {"text": "Ada pembagian amplop di dekat TPS 5."},
        content_type="application/json",
        HTTP_X_FORWARDED_FOR=forwarded_for,
        REMOTE_ADDR="10.0.0.2",  # the proxy
    )


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_a_rotating_forwarded_for_does_not_reset_the_tip_api_limit(db):
    """Attack: flood the public tip API, a new X-Forwarded-For on each post, to escape the
    per-client limit (10 a minute). Before the fix DRF's throttle keyed on the whole header."""
    cache.clear()
    client = Client()
    answers = [_tip_api(client, f"198.51.100.{i}, {REAL_CLIENT}").status_code for i in range(12)]
    assert answers[:10] == [201] * 10
    assert answers[10:] == [429, 429]
    # The proxy's own address is not the client: another citizen behind it still gets through.
    assert _tip_api(client, "203.0.113.10").status_code == 201


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_a_rotating_forwarded_for_does_not_reset_the_tip_form_limit_or_its_client_hash(db):
    """Attack: the same through the public HTML form (5 per 10 minutes), and the tip's client
    hash (which groups one sender's tips for early warning) must not follow the header either;
    before the fix it was the proxy's address, the same for every citizen."""
    cache.clear()
    client = Client()
    answers = []
    for i in range(7):
        answers.append(
            client.post(
                "/informasi/",
                {"text": f"Ada massa berkumpul di pasar, kiriman {i}."},
                HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, {REAL_CLIENT}",
                REMOTE_ADDR="10.0.0.2",
            ).status_code
        )
    assert answers == [200] * 5 + [429, 429]
    assert Tip.objects.values("client_hash").distinct().count() == 1
    assert _tip_api(client, "198.51.100.1, 203.0.113.10").status_code == 201
    assert Tip.objects.values("client_hash").distinct().count() == 2
