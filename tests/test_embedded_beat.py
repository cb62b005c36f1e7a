"""The embedded default (eager Celery, no worker, no beat) runs the beat schedule in the web
process: an incident not verified in time raises its alert there too (issue #18)."""

import asyncio
import datetime as dt
import threading

from django.utils import timezone

from core.models import WorkerHeartbeat
from incidents.models import Alert, Incident
from sispam.celery import app
from sispam.embedded_beat import NOT_EMBEDDED, BeatLifespan, EmbeddedBeat
from tests.factories import IncidentFactory

OVERDUE = {"incidents-escalate-overdue": app.conf.beat_schedule["incidents-escalate-overdue"]}


def _age(beat: EmbeddedBeat, name: str, seconds: float) -> None:
    beat.last_run[name] = app.now() - dt.timedelta(seconds=seconds)


def test_it_takes_the_whole_schedule_but_the_drains():
    beat = EmbeddedBeat()
    assert set(beat.entries) == set(app.conf.beat_schedule) - NOT_EMBEDDED
    assert "incidents-escalate-overdue" in beat.entries and "backup-daily" in beat.entries
    assert beat.tick() == []  # nothing is due the moment it starts


def test_an_overdue_incident_raises_its_alert_when_the_entry_is_due(transactional_db):
    incident = IncidentFactory(
        colour="merah", verify_due_at=timezone.now() - dt.timedelta(minutes=1)
    )
    beat = EmbeddedBeat(OVERDUE)
    _age(beat, "incidents-escalate-overdue", 30)
    assert beat.tick() == []  # a 60 s entry run 30 s ago is not due
    assert not Alert.objects.exists()
    _age(beat, "incidents-escalate-overdue", 61)
    assert beat.tick() == ["incidents-escalate-overdue"]
    alert = Alert.objects.get()
    assert alert.kind == Alert.Kind.INCIDENT_OVERDUE and alert.level == "merah"
    assert Incident.objects.get(pk=incident.pk).overdue_at is not None
    assert beat.tick() == []  # and not again until its next time


def test_a_failing_entry_does_not_stop_the_others(transactional_db):
    beat = EmbeddedBeat(
        {
            "broken": {"task": "no.such.task", "schedule": 1.0},
            "worker-heartbeat": app.conf.beat_schedule["worker-heartbeat"],
        }
    )
    _age(beat, "broken", 5)
    _age(beat, "worker-heartbeat", 60)
    assert beat.tick() == ["broken", "worker-heartbeat"]
    assert WorkerHeartbeat.objects.exists()


def _lifespan(wrapper: BeatLifespan) -> list[str]:
    """Drive the ASGI lifespan protocol through startup and shutdown; what the app answered."""
    incoming: asyncio.Queue = asyncio.Queue()
    answers: list[str] = []
    seen_running: list[bool] = []

    async def send(message):
        answers.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            seen_running.append(
                any(t.name == "embedded-beat" and t.is_alive() for t in threading.enumerate())
            )
            await incoming.put({"type": "lifespan.shutdown"})

    async def main():
        await incoming.put({"type": "lifespan.startup"})
        await wrapper({"type": "lifespan"}, incoming.get, send)

    asyncio.run(main())
    return answers + [f"running={seen_running[0]}"]


def test_the_lifespan_starts_it_only_when_celery_is_eager(settings):
    async def inner(scope, receive, send):  # never reached by a lifespan scope
        raise AssertionError(scope)

    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMBEDDED_BEAT = True
    assert _lifespan(BeatLifespan(inner)) == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
        "running=True",
    ]
    assert not any(t.name == "embedded-beat" and t.is_alive() for t in threading.enumerate())
    settings.EMBEDDED_BEAT = False
    assert _lifespan(BeatLifespan(inner))[-1] == "running=False"
    settings.EMBEDDED_BEAT = True
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a broker: beat is its own process
    assert _lifespan(BeatLifespan(inner))[-1] == "running=False"


def test_other_scopes_pass_through():
    seen = []

    async def inner(scope, receive, send):
        seen.append(scope["type"])

    asyncio.run(BeatLifespan(inner)({"type": "http"}, None, None))
    assert seen == ["http"]
