"""Core Celery tasks."""

import socket

from celery import shared_task
from django.utils import timezone

from core.backup import backup_create
from core.models import WorkerHeartbeat
from core.realtime import push_queue_drain, realtime_send


@shared_task(name="core.tasks.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Record that a worker on this host is alive; /healthz reports the newest beat."""
    host = socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(hostname=host, defaults={"last_seen": timezone.now()})
    return host


@shared_task(name="core.tasks.push_event", ignore_result=True, acks_late=False)
def push_event(group: str, event: dict) -> None:
    """Deliver one event to a channel-layer group (a lost push is replayed by `?since=`)."""
    realtime_send(group=group, event=event)


@shared_task(name="core.tasks.push_drain", ignore_result=True, acks_late=False)
def push_drain() -> int:
    """Send the events web requests queued after commit (see core.realtime)."""
    return push_queue_drain()


@shared_task(name="core.tasks.backup_daily", ignore_result=True, time_limit=3600)
def backup_daily() -> str:
    """The nightly backup (02:00 WIB by beat): database and evidence, the newest BACKUP_KEEP
    kept (core.backup)."""
    return str(backup_create())
