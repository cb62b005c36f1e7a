"""API token authentication with a short per-process memory of token -> user and roles.

Every API request from a phone carries `Authorization: Token ...`; looking the token, its user and
the user's role groups up costs two queries per request on the hottest path of polling day. This
keeps what those queries said for `API_TOKEN_CACHE_SECONDS` (default 5; 0 turns it off) in the
memory of each process.

Staleness is bounded by that time: a token deleted, a user deactivated or a role removed stops
working in every process within API_TOKEN_CACHE_SECONDS. In the process that made the change it
stops at once: saving or deleting a user or a token, or changing a user's groups, empties this
process's memory (signals below). Only what the checks need is kept (the user's column values,
his roles): each request gets a fresh User instance, never one shared between threads.
Session (browser) authentication is untouched.

A token older than API_TOKEN_HOURS is refused (401, "token expired") and deleted, remembered
or not: a remembered entry never outlives its token.
"""

from __future__ import annotations

import threading
from time import monotonic

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from core.access import user_roles

MAX_ENTRIES = 10_000  # tokens in use at once are a few hundred; this only bounds memory

_lock = threading.Lock()
# key -> (expires at (monotonic), user's field names, their values, roles)
_entries: dict[str, tuple[float, tuple[str, ...], tuple, frozenset[str]]] = {}


def token_cache_clear(**_kwargs) -> None:
    """Forget every remembered token (connected to the user, token and group signals)."""
    with _lock:
        _entries.clear()


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's TokenAuthentication (same answers, same 401s), remembering a good token briefly."""

    def authenticate_credentials(self, key):
        ttl = settings.API_TOKEN_CACHE_SECONDS
        now = monotonic()
        hit = _entries.get(key) if ttl > 0 else None
        if hit is not None and hit[0] > now:
            _expires, names, values, roles = hit
            user = get_user_model().from_db("default", names, values)
            user._sispam_roles = roles
            return user, Token(key=key, user=user)
        # Unknown, expired or bad: ask the database; a bad or inactive token raises here and
        # is never remembered.
        user, token = super().authenticate_credentials(key)
        left = (token.created - timezone.now()).total_seconds() + settings.API_TOKEN_HOURS * 3600
        if left <= 0:
            Token.objects.filter(key=key).delete()
            raise AuthenticationFailed(_("Token kedaluwarsa; minta token baru."))
        if ttl <= 0:
            return user, token
        roles = user_roles(user)
        names = tuple(f.attname for f in user._meta.concrete_fields)
        values = tuple(getattr(user, n) for n in names)
        with _lock:
            if len(_entries) >= MAX_ENTRIES:
                _entries.clear()
            _entries[key] = (now + min(ttl, left), names, values, roles)
        return user, token
