"""Push events to connected browsers: service -> on_commit -> Celery -> channel layer -> consumer.

Events leave only after the transaction that caused them commits, so a browser never sees
something the database does not hold. The push itself runs in a worker (eagerly in the embedded
default) so a slow channel layer never holds up a web request.
"""

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

ALERTS_GROUP = "alerts"


_worker_loop: asyncio.AbstractEventLoop | None = None


def realtime_send(*, group: str, event: dict) -> None:
    """Send `event` (a JSON object with a "type") to every consumer in `group`, now."""
    global _worker_loop
    layer = get_channel_layer()
    message = {"type": "push.event", "event": event}
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Embedded default: we are inside a web request; the in-memory layer lives on the
        # server's loop, which async_to_sync finds and uses.
        async_to_sync(layer.group_send)(group, message)
        return
    # In a Celery worker (one task at a time per process): keep one event loop for the
    # process, so channels_redis keeps its connection pool instead of building a new loop
    # and a new Redis connection for every push.
    if _worker_loop is None or _worker_loop.is_closed():
        _worker_loop = asyncio.new_event_loop()
    _worker_loop.run_until_complete(layer.group_send(group, message))


def realtime_publish_after_commit(*, group: str, event: dict) -> None:
    """Publish `event` to `group` once the current transaction commits (at once outside one)."""
    from core.changes import data_changed_mark
    from core.tasks import push_event

    # Shared dashboard answers built before this commit are out of date from now on.
    transaction.on_commit(data_changed_mark, robust=True)
    # robust: a broker outage must not turn a committed write into an error for the user.
    transaction.on_commit(lambda: push_event.delay(group, event), robust=True)
