"""WebSocket guards: the exact origins the app serves, and sockets that end with their session.

No domain imports (core is the ground): consumers in the apps use these.
"""

import asyncio
from importlib import import_module
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.http.request import split_domain_port, validate_host
from django.utils.crypto import constant_time_compare

from core.access import user_has_role
from core.second_factor import session_verified

DEFAULT_PORTS = {"http": 80, "https": 443}

# Close codes the dashboard's script knows (static/js/dashboard.js): 4401 signed out (the page
# reloads to the login form), 4403 refused at connect.
CLOSE_SIGNED_OUT = 4401


def _origin_key(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, the port filled in; None for one that is not."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in {"", "/"}:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def served_origins(scope: dict) -> set[tuple[str, str, int]]:
    """The origins a page of this app can have for this handshake: the request's own (its
    Host, if ALLOWED_HOSTS takes it, with the scheme the browser used) and every entry of
    CSRF_TRUSTED_ORIGINS (exact: a wildcard entry is not honoured here)."""
    origins = set()
    host = _header(scope, b"host")
    if host:
        domain, _port = split_domain_port(host)
        if domain and validate_host(domain, settings.ALLOWED_HOSTS):
            secure = scope.get("scheme") == "wss" or (
                getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is not None
                and (_header(scope, b"x-forwarded-proto") or "").lower() == "https"
            )
            own = _origin_key(("https://" if secure else "http://") + host)
            if own:
                origins.add(own)
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        key = None if "*" in trusted else _origin_key(trusted)
        if key:
            origins.add(key)
    return origins


def origin_allowed(scope: dict) -> bool:
    origin = _header(scope, b"origin")
    if not origin:
        return False  # a browser always sends one; only a page's own script may connect
    key = _origin_key(origin)
    return key is not None and key in served_origins(scope)


class ExactOriginValidator:
    """Channels' AllowedHostsOriginValidator compares the host name alone, so a page on
    another port of the same host (http://127.0.0.1:9999) passed with the user's cookie. This
    compares scheme, host and port; a refused handshake is answered 403."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


def session_user_still_allowed(*, session_key: str | None, user_id, roles) -> bool:
    """Is the session behind a socket still signed in as `user_id`, the user active and in one
    of `roles`? Read-only (unlike django.contrib.auth.get_user, which may flush or cycle the
    session): False when the session was logged out or expired, the password changed (the
    session's auth hash no longer matches), the user was deactivated or lost the role, or the
    session still waits for the user's second factor (core/second_factor.py)."""
    if not session_key or user_id is None:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    try:
        stored_id = store[SESSION_KEY]
        backend_path = store[BACKEND_SESSION_KEY]
        stored_hash = store.get(HASH_SESSION_KEY) or ""
    except KeyError:
        return False
    if str(stored_id) != str(user_id) or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return False
    user = load_backend(backend_path).get_user(stored_id)  # None when inactive
    if user is None or not stored_hash:
        return False
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not any(constant_time_compare(stored_hash, h) for h in hashes):
        return False
    # The second factor, where the role needs it: a password-only session is not signed in.
    return user_has_role(user, roles) and session_verified(user, store)


class SessionBoundMixin:
    """For an AsyncWebsocketConsumer that checks the role at connect: re-check the session,
    the user and the role every WS_RECHECK_SECONDS and close the socket (4401) when any is
    gone, so logout, deactivation or a removed role end the feed within seconds.

    Call `await self.session_watch_start(roles)` after accept() and
    `self.session_watch_stop()` in disconnect()."""

    _session_watch: asyncio.Task | None = None

    async def session_watch_start(self, roles) -> None:
        session = self.scope.get("session")
        user = self.scope.get("user")
        key = getattr(session, "session_key", None)
        user_id = getattr(user, "pk", None)
        self._session_watch = asyncio.create_task(self._session_watch_loop(key, user_id, roles))

    def session_watch_stop(self) -> None:
        if self._session_watch is not None and not self._session_watch.done():
            self._session_watch.cancel()

    async def _session_watch_loop(self, key, user_id, roles) -> None:
        check = database_sync_to_async(session_user_still_allowed)
        while True:
            await asyncio.sleep(settings.WS_RECHECK_SECONDS)
            if not await check(session_key=key, user_id=user_id, roles=roles):
                await self.close(code=CLOSE_SIGNED_OUT)
                return
