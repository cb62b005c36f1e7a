"""HTTPS out of the box: deploy/Caddyfile in front of the real app, as docker compose runs it.

No Docker engine runs here, so the test runs the very Caddyfile compose mounts with Debian's
/usr/bin/caddy (the version the proxy image installs) on free ports, in front of uvicorn with
the production settings of docs/deployment.md (DEBUG off, BEHIND_TLS_PROXY=1,
TRUSTED_PROXY_COUNT=1). Caddy signs the site's certificate with its own local CA, as it does for
SISPAM_TLS=internal; the Python clients trust that CA's root, as a phone does once the operator
has installed it, and Chromium is told to accept it.
"""

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from core.models import AuditEvent
from tests.conftest import PASSWORD, make_user
from tests.stack import (
    BIN,
    ROOT,
    Proc,
    _spawn,
    free_port,
    stack_env,
    start_asgi_server,
    subprocess_env,
)

CADDY = Path("/usr/bin/caddy")
CADDYFILE = ROOT / "deploy" / "Caddyfile"
SITE = "localhost"
# The client connects from another loopback address than the proxy's own, so the address the
# proxy appends (the client's) and the socket address the app sees (the proxy's) differ.
CLIENT_ADDR = "127.0.0.2"
SPOOFED = "198.51.100.7"

# The production settings of docs/deployment.md (compose's x-app environment and .env), with
# the test's own database, Redis, host and key.
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "tls-proxy-test-" + "Zq8vN3" * 9,
    "ALLOWED_HOSTS": "sispam.polresmetro.example",
    "CSRF_TRUSTED_ORIGINS": "https://sispam.polresmetro.example",
    "BEHIND_TLS_PROXY": "1",
    "TRUSTED_PROXY_COUNT": "1",
    "SECURE_SSL_REDIRECT": "1",
}


def _require_caddy() -> None:
    if not CADDY.exists():
        pytest.skip("/usr/bin/caddy is missing: apt-get install -y caddy (.ci/run installs it)")


def _static_is_collected() -> bool:
    """Whether var/static holds every static file as DEBUG off serves them (manifest)."""
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    sources = [p for p in (ROOT / "static").rglob("*") if p.is_file()]
    collected = json.loads(manifest.read_text()).get("paths", {})
    if any(p.relative_to(ROOT / "static").as_posix() not in collected for p in sources):
        return False
    stamp = BIN.parent / ".installed"  # the venv: third-party apps' static files
    if stamp.exists():
        sources.append(stamp)
    return manifest.stat().st_mtime >= max(p.stat().st_mtime for p in sources)


def _collect_static(env: dict[str, str]) -> None:
    # With DEBUG off the app serves hashed names from a manifest, as the image's build step
    # makes them (make run does the same); skipped when nothing changed since the last run.
    if not _static_is_collected():
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )


@dataclass
class TlsStack:
    app: Proc
    proxy: Proc
    https_port: int
    http_port: int
    root_ca: Path

    @property
    def origin(self) -> str:
        return f"https://{SITE}:{self.https_port}"

    def context(self) -> ssl.SSLContext:
        """A client context trusting Caddy's local CA, and nothing else."""
        return ssl.create_default_context(cafile=str(self.root_ca))

    def connection(self, source: str = CLIENT_ADDR) -> http.client.HTTPSConnection:
        """A verified HTTPS connection to SITE, from the loopback address `source`."""
        conn = http.client.HTTPSConnection(SITE, self.https_port, timeout=15)
        raw = socket.create_connection(("127.0.0.1", self.https_port), 15, (source, 0))
        conn.sock = self.context().wrap_socket(raw, server_hostname=SITE)
        return conn

    def request(self, method: str, path: str, body=None, headers=None):
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()


def start_caddy(tmp: Path, name: str, **env: str) -> Proc:
    """/usr/bin/caddy running deploy/Caddyfile with its data (the local CA) under tmp."""
    proc_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "XDG_DATA_HOME": str(tmp / "data"),
        "XDG_CONFIG_HOME": str(tmp / "config"),
        **env,
    }
    cmd = [str(CADDY), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"]
    return _spawn(name, cmd, proc_env)


def _wait_for_tls(proxy: Proc, port: int, context: ssl.SSLContext | None) -> None:
    """Until the proxy completes a TLS handshake for SITE on port."""
    deadline = time.monotonic() + 15
    while True:
        if proxy.proc.poll() is not None:
            raise RuntimeError(f"caddy exited:\n{proxy.output()}")
        try:
            ctx = context
            if ctx is None:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            raw = socket.create_connection(("127.0.0.1", port), timeout=2)
            ctx.wrap_socket(raw, server_hostname=SITE).close()
            return
        except (OSError, ssl.SSLError):
            if time.monotonic() > deadline:
                proxy.stop()
                raise RuntimeError(f"caddy did not serve TLS in 15 s:\n{proxy.output()}") from None
            time.sleep(0.1)


@contextmanager
def _running_stack(tmp: Path, django_db_blocker):
    """uvicorn with the production settings behind Caddy running deploy/Caddyfile."""
    _require_caddy()
    https_port, http_port = free_port(), free_port()
    origin = f"https://{SITE}:{https_port}"
    with django_db_blocker.unblock():
        env = stack_env(**{**PRODUCTION, "ALLOWED_HOSTS": SITE, "CSRF_TRUSTED_ORIGINS": origin})
    _collect_static(env)
    app = start_asgi_server(env)
    proxy = start_caddy(
        tmp,
        f"caddy-{https_port}",
        # The port is part of the site's address so the HTTP redirect names it (on 443 it is
        # left out, as compose runs it).
        SISPAM_SITE=f"{SITE}:{https_port}",
        SISPAM_UPSTREAM=app.url.removeprefix("http://"),
        SISPAM_HTTP_PORT=str(http_port),
    )
    try:
        _wait_for_tls(proxy, https_port, None)
        root_ca = tmp / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        assert root_ca.exists(), proxy.output()
        yield TlsStack(app, proxy, https_port, http_port, root_ca)
    finally:
        proxy.stop()
        app.stop()


@pytest.fixture(scope="module")
def shared_stack(django_db_setup, django_db_blocker, tmp_path_factory):
    """One stack for the tests that never sign in: the server outlives the table flushes
    between them, so it must not have remembered any row's id (a signed-in user's audit entry
    would point at a content type the flush replaced)."""
    with _running_stack(tmp_path_factory.mktemp("caddy"), django_db_blocker) as stack:
        yield stack


@pytest.fixture
def tls_stack(transactional_db, django_db_blocker, tmp_path):
    """A stack of its own, for a test that signs in."""
    with _running_stack(tmp_path, django_db_blocker) as stack:
        yield stack


@pytest.mark.browser
@pytest.mark.stack
def test_intel_logs_in_over_https_with_debug_off_and_the_alert_socket_connects(tls_stack, browser):
    # intel: a role with no second factor (komando's TOTP has its own tests), whose dashboard
    # opens the alert WebSocket.
    make_user("intel", "intel")
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(tls_stack.origin + "/")
    assert page.url.startswith(tls_stack.origin + "/accounts/login/")
    page.fill("#id_username", "intel")
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(tls_stack.origin + "/intel/")  # the role's landing page
    assert page.locator("h1").inner_text() == "Deteksi Dini · Sat Intelkam"

    with page.expect_websocket() as socket_info:
        response = page.goto(tls_stack.origin + "/operasi/dasbor/")
    # The alert feed's WebSocket, through the proxy: wss, and the app accepted its origin.
    assert socket_info.value.url == tls_stack.origin.replace("https://", "wss://") + "/ws/alerts/"
    page.wait_for_selector('#ws-state[data-state="connected"]')
    hsts = [
        h["value"]
        for h in response.headers_array()
        if h["name"].lower() == "strict-transport-security"
    ]
    assert hsts == ["max-age=31536000; includeSubDomains; preload"]  # Django's, sent once

    session = next(c for c in context.cookies() if c["name"] == "sessionid")
    assert session["secure"] and session["httpOnly"]
    csrf = next(c for c in context.cookies() if c["name"] == "csrftoken")
    assert csrf["secure"]

    assert errors == []  # static files (hashed, from the manifest) and the socket all loaded

    missing = page.goto(tls_stack.origin + "/tidak-ada/")
    assert missing.status == 404
    assert "URLconf" not in page.content()  # DEBUG is off: no debug page
    context.close()


@pytest.mark.stack
def test_plain_http_is_redirected_to_https_and_a_client_cannot_claim_https(shared_stack):
    conn = http.client.HTTPConnection(SITE, shared_stack.http_port, timeout=15)
    conn.request("GET", "/accounts/login/?next=/operasi/dasbor/")
    response = conn.getresponse()
    conn.close()
    assert response.status == 308
    assert response.headers["Location"] == (
        shared_stack.origin + "/accounts/login/?next=/operasi/dasbor/"
    )

    # Over HTTPS a client's "X-Forwarded-Proto: http" is replaced by the proxy's "https": the
    # app serves the page (a passed-through header would send it round the redirect again).
    status, headers, _ = shared_stack.request(
        "GET", "/accounts/login/", headers={"X-Forwarded-Proto": "http"}
    )
    assert status == 200
    assert headers.get_all("Strict-Transport-Security") == [
        "max-age=31536000; includeSubDomains; preload"
    ]


def _token(stack: TlsStack, password: str) -> int:
    status, _, _ = stack.request(
        "POST",
        "/api/v1/auth/token/",
        body=json.dumps({"username": "komando", "password": password}),
        headers={"Content-Type": "application/json", "X-Forwarded-For": SPOOFED},
    )
    return status


@pytest.mark.stack
def test_a_client_sent_x_forwarded_for_does_not_change_the_address_the_app_sees(
    transactional_db, shared_stack
):
    """Attack: guess passwords through the proxy, each request claiming to be forwarded for
    another address. The proxy replaces the header with the address it received from, the app
    believes that one entry (TRUSTED_PROXY_COUNT=1): the audit names the real client, not the
    claimed one nor the proxy, and the lockout holds for it."""
    make_user("komando", "komando")
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 1):
        assert _token(shared_stack, "wrong-password") in {400, 429}
    assert _token(shared_stack, PASSWORD) == 429

    failed = AuditEvent.objects.filter(action="auth.login_failed")
    assert failed.count() >= settings.LOGIN_FAILURE_LIMIT
    seen = {event.changes["ip_address"][1] for event in failed}
    assert seen == {CLIENT_ADDR}
    locked = AuditEvent.objects.get(action="auth.locked_out")
    assert locked.changes["ip_address"][1] == CLIENT_ADDR


@pytest.mark.stack
def test_a_body_over_request_max_bytes_is_refused_by_the_proxy_before_it_is_sent(shared_stack):
    limit = settings.REQUEST_MAX_BYTES  # the Caddyfile's default is the app's default
    assert limit == 60 * 1024 * 1024

    def declared(path: str, length: int):
        # Only the headers go out, as a phone's upload starts: the proxy answers before any
        # body byte is sent.
        conn = shared_stack.connection()
        try:
            conn.putrequest("POST", path)
            conn.putheader("Content-Type", "application/octet-stream")
            conn.putheader("Content-Length", str(length))
            conn.endheaders()
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()

    assert declared("/lapor/", limit + 1) == (413, "Kiriman terlalu besar.")
    # A body of exactly the limit goes through to the app (which refuses it for want of a
    # CSRF token: its answer carries the app's own headers).
    status, headers, _ = shared_stack.request(
        "POST", "/lapor/", body=bytes(limit), headers={"Content-Type": "application/octet-stream"}
    )
    assert status == 403
    assert "Content-Security-Policy" in headers


@pytest.mark.stack
def test_the_web_healthcheck_compose_runs_passes_against_the_production_settings(shared_stack):
    """The proxy waits for web's healthcheck; asked as http://127.0.0.1:8000/healthz, an app
    with DEBUG off and only the post's name in ALLOWED_HOSTS answers 400, so the check must
    send that name."""
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(shared_stack.app.url + "/healthz", timeout=15)  # noqa: S310
    assert refused.value.code == 400
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    check = compose["services"]["web"]["healthcheck"]["test"]
    assert check[:3] == ["CMD", "python", "-c"]
    code = check[3].replace("127.0.0.1:8000", shared_stack.app.url.removeprefix("http://"))
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**subprocess_env(), "ALLOWED_HOSTS": SITE},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


def _caddy_json(**env: str) -> dict:
    out = subprocess.run(  # noqa: S603
        [str(CADDY), "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("mode", ["internal", "files"])
def test_the_proxy_never_asks_acme_has_no_admin_endpoint_and_trusts_no_forwarded_header(mode):
    _require_caddy()
    config = _caddy_json(
        SISPAM_SITE="sispam.polresmetro.example", SISPAM_UPSTREAM="web:8000", SISPAM_TLS=mode
    )
    assert config["admin"] == {"disabled": True}
    text = json.dumps(config)
    assert "acme" not in text.lower()
    assert "trusted_proxies" not in text
    issuers = [
        i["module"] for p in config["apps"]["tls"]["automation"]["policies"] for i in p["issuers"]
    ]
    assert set(issuers) == {"internal"}
    assert config["apps"]["pki"]["certificate_authorities"]["local"]["install_trust"] is False
    assert config["apps"]["tls"]["disable_ocsp_stapling"] is True  # no OCSP requests either
    server = config["apps"]["http"]["servers"]["srv0"]
    assert server["listen"] == [":443"]
    assert server["protocols"] == ["h1", "h2"]
    handlers = json.dumps(server["routes"])
    # Unset, the proxy's body limit is the app's default REQUEST_MAX_BYTES.
    assert f'"max_size": {settings.REQUEST_MAX_BYTES}' in handlers
    assert '"handler": "reverse_proxy"' in handlers and '"dial": "web:8000"' in handlers
    if mode == "files":
        assert config["apps"]["tls"]["certificates"]["load_files"][0]["certificate"] == (
            "/certs/sispam.crt"
        )


def test_an_operators_certificate_is_served_when_given(tmp_path):
    """SISPAM_TLS=files: the certificate the operator mounts, not one from Caddy's CA."""
    _require_caddy()
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is missing: it makes this test's certificate")
    cert, key = tmp_path / "sispam.crt", tmp_path / "sispam.key"
    subprocess.run(  # noqa: S603
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={SITE}",
            "-addext",
            f"subjectAltName=DNS:{SITE}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    proxy = start_caddy(
        tmp_path,
        f"caddy-files-{port}",
        SISPAM_SITE=f"{SITE}:{port}",
        SISPAM_UPSTREAM=f"127.0.0.1:{free_port()}",
        SISPAM_HTTP_PORT=str(free_port()),
        SISPAM_TLS="files",
        SISPAM_TLS_CERT=str(cert),
        SISPAM_TLS_KEY=str(key),
    )
    try:
        # Verified against the operator's certificate alone: Caddy's own CA would fail here.
        _wait_for_tls(proxy, port, ssl.create_default_context(cafile=str(cert)))
    finally:
        proxy.stop()
    assert not (tmp_path / "data" / "caddy" / "certificates").exists()  # it made none


def test_the_documented_production_settings_pass_the_deploy_check():
    env = {
        **subprocess_env(),
        **PRODUCTION,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": os.environ["REDIS_URL"],
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "WARNING" not in result.stderr
