"""Push events to connected browsers: service -> on_commit -> Celery -> channel layer -> consumer.

Events leave only after the transaction that caused them commits, so a browser never sees
something the database does not hold. The push itself runs in a worker (eagerly in the embedded
default) so a slow channel layer never holds up a web request.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

ALERTS_GROUP = "alerts"


def realtime_send(*, group: str, event: dict) -> None:
    """Send `event` (a JSON object with a "type") to every consumer in `group`, now."""
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(group, {"type": "push.event", "event": event})


def realtime_publish_after_commit(*, group: str, event: dict) -> None:
    """Publish `event` to `group` once the current transaction commits (at once outside one)."""
    from core.tasks import push_event

    # robust: a broker outage must not turn a committed write into an error for the user.
    transaction.on_commit(lambda: push_event.delay(group, event), robust=True)
