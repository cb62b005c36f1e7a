"""Push events to connected browsers: service -> on_commit -> worker -> channel layer -> consumer.

Events leave only after the transaction that caused them commits, so a browser never sees
something the database does not hold. A web request never sends to the channel layer itself (a
slow layer must not hold it up): after commit it appends the event to a Redis list (one RPUSH),
and only when the list was empty it also enqueues `core.tasks.push_drain`, which empties the list
in a worker. Under load many events therefore share one task (the worker's cost per event drops
from a task to a list item); when idle an event still leaves at once. Code already running in a
worker (scoring, beat sweeps) sends directly after commit: no second trip through the broker.
In the embedded default (eager Celery) the push runs at once through `push_event`.

Lost pushes: the list lives in the broker's Redis, so a broker outage loses what is unsent, as
before; the alert feed replays what a screen missed with `?since=`. If a drain task is lost after
its RPUSH (a broker publish failure), beat's `push_drain` every few seconds empties the list.
"""

import asyncio
import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from core.changes import data_changed_mark
from core.queue import BatchQueue, broker_redis, task_delay

ALERTS_GROUP = "alerts"
PUSH_QUEUE = "sispam:push"  # Redis list of [group, event] JSON, oldest first
DRAIN_BATCH = 200

log = logging.getLogger(__name__)

_push_queue = BatchQueue(key=PUSH_QUEUE, batch=DRAIN_BATCH, drain_task="core.tasks.push_drain")
push_queue_redis = broker_redis  # the client the list lives in (tests read the list through it)

_worker_loop: asyncio.AbstractEventLoop | None = None
# True in a Celery worker process (set by sispam/celery.py): send after commit, not via the list.
in_worker = False


def _send(group: str, message: dict) -> None:
    global _worker_loop
    layer = get_channel_layer()
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


def realtime_send(*, group: str, event: dict) -> None:
    """Send `event` (a JSON object with a "type") to every consumer in `group`, now."""
    # Encoded once here, not once per connected screen by each consumer.
    _send(group, {"type": "push.event", "text": json.dumps(event)})


def _publish(group: str, event: dict) -> None:
    # Shared dashboard answers built before the change are out of date from the moment the
    # event leaves (before any screen can receive it and refresh). From a web request that is
    # the drain, which counts a whole batch as one change: no extra Redis trip per report.
    if settings.CELERY_TASK_ALWAYS_EAGER:
        data_changed_mark()
        task_delay("core.tasks.push_event", group, event)
    elif in_worker:
        data_changed_mark()
        realtime_send(group=group, event=event)
    else:
        _push_queue.push([group, event])  # a drain is enqueued when the list was empty


def realtime_publish_after_commit(*, group: str, event: dict) -> None:
    """Publish `event` to `group` once the current transaction commits (at once outside one)."""
    # robust: a broker outage must not turn a committed write into an error for the user.
    transaction.on_commit(lambda: _publish(group, event), robust=True)


def push_queue_drain() -> int:
    """Send every queued event, oldest first, until the list is empty; how many were sent.

    A publisher that finds the list empty enqueues another drain, so an event appended after
    this loop saw the list empty is never left behind.
    """
    sent = 0
    while True:
        raws = _push_queue.pop()
        if not raws:
            return sent
        data_changed_mark()  # before the screens hear of it (see _publish)
        for raw in raws:
            try:
                group, event = json.loads(raw)
                realtime_send(group=group, event=event)
                sent += 1
            except Exception:  # one bad event or a layer hiccup must not drop the rest
                log.exception("push of a queued event failed")
