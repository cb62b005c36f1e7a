"""When the operational picture last changed: lets caches shared between screens (the
dashboard's) know that an answer built before a change is out of date, on every process.

Kept in Redis when there is one (the web processes and the workers share it); in the embedded
default everything runs in one process and Django's local cache is enough.
"""

import time

import redis
from django.conf import settings
from django.core.cache import cache

KEY = "sispam:changed_at"
_client: redis.Redis | None = None


def _redis() -> redis.Redis | None:
    global _client
    if not settings.REDIS_URL:
        return None
    if _client is None:
        _client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5
        )
    return _client


def data_changed_mark() -> None:
    """Record that incidents or alerts changed now (best effort: never fails the caller)."""
    now = time.time()
    client = _redis()
    try:
        if client is None:
            cache.set(KEY, now, None)
        else:
            client.set(KEY, now)
    except redis.RedisError:
        pass  # the caches then fall back on their age alone


def data_changed_at() -> float:
    """When incidents or alerts last changed (0 when unknown)."""
    client = _redis()
    try:
        value = cache.get(KEY) if client is None else client.get(KEY)
    except redis.RedisError:
        return 0.0
    return float(value) if value else 0.0
