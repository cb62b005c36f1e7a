"""A counter of changes to the operational picture (incidents, alerts, TPS statuses): lets
caches shared between screens (the dashboard's) know that an answer built before a change is out
of date, on every process, without comparing clocks.

Kept in Redis when there is one (the web processes and the workers share it); in the embedded
default everything runs in one process and Django's local cache is enough.
"""

import redis
from django.conf import settings
from django.core.cache import cache

KEY = "sispam:changes"
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
    """Count one change (best effort: never fails the caller)."""
    client = _redis()
    try:
        if client is None:
            if not cache.add(KEY, 1, None):
                cache.incr(KEY)
        else:
            client.incr(KEY)
    except (redis.RedisError, ValueError):
        pass  # the caches then fall back on their age alone


def data_version() -> int:
    """How many changes there have been (0 when unknown)."""
    client = _redis()
    try:
        value = cache.get(KEY) if client is None else client.get(KEY)
    except redis.RedisError:
        return 0
    return int(value) if value else 0
