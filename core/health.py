"""The health of the stack's parts (database, broker, channel layer, worker and beat), for
/healthz and for `manage.py health` (docker-compose's healthchecks). Each check answers its part's
state; none raises.

The worker check reads the heartbeat row a worker writes when beat's heartbeat task reaches it
(every 30 s): fresh means beat schedules and a worker runs.
"""

import asyncio
import time

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.models import WorkerHeartbeat

HEARTBEAT_FRESH_SECONDS = 90


def _check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure is the answer, not an error of this page
        return {"status": "down", "error": type(exc).__name__}
    return {
        "status": "ok",
        "vendor": connection.vendor,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }


def _check_broker() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "eager", "detail": "tasks run in the web process"}
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
        client.close()
    except redis.RedisError as exc:
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok"}


def _check_channel_layer() -> dict:
    layer = get_channel_layer()
    backend = type(layer).__name__

    async def round_trip() -> None:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping"})
        await asyncio.wait_for(layer.receive(channel), timeout=1.5)

    try:
        async_to_sync(round_trip)()
    except Exception as exc:  # a broken layer is reported, not raised
        return {"status": "down", "backend": backend, "error": type(exc).__name__}
    return {"status": "ok", "backend": backend}


def _check_worker() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "eager"}
    beat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    if beat is None:
        return {"status": "unknown"}
    age = (timezone.now() - beat.last_seen).total_seconds()
    return {
        "status": "ok" if age <= HEARTBEAT_FRESH_SECONDS else "stale",
        "last_seen_seconds": round(age),
    }


def health_checks() -> tuple[str, dict]:
    """(ok | degraded | down, each part's check). Down when the database does not answer."""
    database = _check_database()
    checks = {
        "database": database,
        "broker": _check_broker(),
        "channel_layer": _check_channel_layer(),
    }
    if database["status"] == "ok":
        try:
            checks["worker"] = _check_worker()
        except Exception as exc:  # e.g. not migrated yet
            checks["worker"] = {"status": "unknown", "error": type(exc).__name__}
    degraded = any(c["status"] == "down" for c in checks.values())
    status = "down" if database["status"] != "ok" else ("degraded" if degraded else "ok")
    return status, checks
