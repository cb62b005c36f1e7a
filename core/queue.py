"""Work handed to the Celery workers: tasks sent by name, and Redis list queues drained in batches.

Tasks are sent by their registered name (`task_delay("incidents.tasks.score_report", ...)`), so
a service never imports the tasks module that imports it back: tasks sit above services.

A batch queue is a Redis list in the broker's Redis, oldest first. A web request appends an item
(one RPUSH); only the request that found the list empty enqueues the drain task, so under load
one task empties many items and when idle an item still leaves at once. A drain pops up to
`batch` items at a time until the list is empty. Used for pushes to the screens
(core.realtime) and for scoring requests (incidents.scoring).
"""

import json
from dataclasses import dataclass

import redis
from celery import current_app
from django.conf import settings

_redis: redis.Redis | None = None


def broker_redis() -> redis.Redis:
    """This process's client of the broker's Redis (its own pool; short timeouts, like the
    broker's, so an outage fails a publish fast instead of holding a request)."""
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=5
        )
    return _redis


def task_delay(name: str, *args, eta=None) -> None:
    """Enqueue the Celery task registered as `name`, at `eta` if given (eagerly when Celery is)."""
    tasks = current_app.tasks
    if name not in tasks:
        # No module of this process has imported the tasks modules yet: load them all, as a
        # worker does at start. A name that is still unknown raises KeyError below.
        current_app.autodiscover_tasks(force=True)
    if eta is None:
        tasks[name].delay(*args)
    else:
        tasks[name].apply_async(args, eta=eta)


@dataclass(frozen=True)
class BatchQueue:
    """A Redis list of JSON items drained in batches by the task `drain_task`."""

    key: str
    batch: int
    drain_task: str

    def push(self, item) -> None:
        """Append `item`; enqueue a drain only when the list was empty (none is due to see it)."""
        if broker_redis().rpush(self.key, json.dumps(item)) == 1:
            task_delay(self.drain_task)

    def push_many(self, items: list) -> None:
        """Append `items` in one command; enqueue a drain when the list was empty before."""
        if items and broker_redis().rpush(self.key, *map(json.dumps, items)) == len(items):
            task_delay(self.drain_task)

    def queued(self) -> list:
        """Every item waiting in the list (parsed), oldest first."""
        return [json.loads(raw) for raw in broker_redis().lrange(self.key, 0, -1)]

    def pop(self) -> list[bytes]:
        """Up to `batch` raw items, oldest first; empty when the list is."""
        return broker_redis().lpop(self.key, self.batch) or []

    def drain_again(self) -> None:
        """Hand what is left to a fresh drain task (one that ran long, within its limits)."""
        task_delay(self.drain_task)
