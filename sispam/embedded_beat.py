"""Celery beat's schedule, run inside the web process in the embedded default.

With eager Celery (no REDIS_URL: `make run`) there is no worker and no beat, so nothing would
flag a report not verified in time, escalate an alert nobody acknowledged, re-score a report
whose scoring failed, sweep an exercise, or take the nightly backup: the command post would
see "baru · terlambat" on an incident and no alert for it. :class:`EmbeddedBeat` is a daemon
thread that the ASGI app starts at lifespan startup in that mode (:class:`BeatLifespan`); once a
second it runs, eagerly and one after the other, every entry of ``app.conf.beat_schedule`` that
Celery's own schedule objects say is due. The drains are left out: in the embedded default a
push and a score happen at once in the request, nothing is queued for them.

``EMBEDDED_BEAT=0`` switches it off. With a broker (REDIS_URL set) it never starts: beat runs
as its own process (``sispam.stack``, docker-compose).
"""

import logging
import threading

from celery.schedules import maybe_schedule
from django.conf import settings
from django.db import connections

from sispam.celery import app

logger = logging.getLogger(__name__)

# Entries that only move queued work to a worker: nothing is queued when tasks run eagerly.
NOT_EMBEDDED = frozenset({"push-drain", "score-drain"})


def embedded_beat_wanted() -> bool:
    return bool(settings.CELERY_TASK_ALWAYS_EAGER and settings.EMBEDDED_BEAT)


class EmbeddedBeat:
    """The beat schedule in a thread: :meth:`tick` runs what is due, :meth:`start` loops it."""

    def __init__(self, schedule: dict | None = None, *, interval: float = 1.0) -> None:
        entries = app.conf.beat_schedule if schedule is None else schedule
        now = app.now()
        self.entries = {
            name: (entry["task"], maybe_schedule(entry["schedule"], app=app))
            for name, entry in entries.items()
            if name not in NOT_EMBEDDED
        }
        self.last_run = dict.fromkeys(self.entries, now)
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, now=None) -> list[str]:
        """Run every entry that is due at `now` (Celery's clock when None); their names."""
        now = now or app.now()
        ran = []
        for name, (task, schedule) in self.entries.items():
            if not schedule.is_due(self.last_run[name]).is_due:
                continue
            self.last_run[name] = now
            ran.append(name)
            try:
                app.tasks[task].apply()
            except Exception:
                # One failing entry must not stop the others or the thread: logged, and tried
                # again at its next time, as beat would.
                logger.exception("embedded beat: %s failed", name)
        return ran

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            finally:
                # The thread's own connection, handed back after every tick as after a request.
                connections.close_all()

    def start(self) -> None:
        if not app.tasks.get("core.tasks.heartbeat"):
            app.autodiscover_tasks(force=True)
        self._thread = threading.Thread(target=self._loop, name="embedded-beat", daemon=True)
        self._thread.start()
        logger.info("embedded beat: %d entries", len(self.entries))

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


class BeatLifespan:
    """ASGI wrapper: answers the lifespan protocol, starting the embedded beat at startup when
    :func:`embedded_beat_wanted` and stopping it at shutdown; passes every other scope on."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.beat: EmbeddedBeat | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            return await self.inner(scope, receive, send)
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if embedded_beat_wanted() and self.beat is None:
                    self.beat = EmbeddedBeat()
                    self.beat.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.beat is not None:
                    self.beat.stop()
                    self.beat = None
                await send({"type": "lifespan.shutdown.complete"})
                return
