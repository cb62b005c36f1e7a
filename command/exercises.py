"""Sispamkota exercises: playing a run through the real pipeline (docs/exercises.md; scenario
validation and loading: command/scenario.py).

A run plays its injects through the same services a real report takes (incident_create,
intel_create, tip_create, tps_return_create, incident_set_colour), every object marked
`is_exercise`, so scoring, alerts and pushes follow the normal route. Each inject is fired by
a Celery task scheduled with an ETA at start (`command.tasks.exercise_fire_inject`); the beat
sweep fires any whose message was lost; in the embedded default (eager Celery) the command and
the run page fire what is due themselves. Firing is idempotent: the inject row is locked and
`fired_at` set in the transaction that creates the object.
"""

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from command.scenario import scenario_span_seconds, scenario_validate
from core.queue import task_delay
from core.services import audit_record
from incidents import services as incident_services
from incidents.alerts import alert_close
from incidents.models import (
    OPEN_ALERT_STATUSES,
    Alert,
    Incident,
    IncidentStatus,
)
from incidents.services import incident_transition
from incidents.tps_returns import tps_return_create
from logistics.services import exercise_leg_stop, exercise_legs_end
from operations.models import ExerciseInject, ExerciseRun, Kelurahan, Scenario, Tps

log = logging.getLogger(__name__)

SPEED_MIN, SPEED_MAX = 0.1, 600.0
# Seconds (real time) after the last window closes before a run is called finished: room for
# the worker to score the last report.
FINISH_GRACE_SECONDS = 3
# The beat sweep fires an inject only when its own ETA task is this late (a lost message).
SWEEP_LAG_SECONDS = 5
CONTROLLER_USERNAME = "sispam-latihan"


# --- runs -------------------------------------------------------------------------------------


def exercise_controller_get():
    """The account exercise injects are filed under: it cannot log in and has no role."""
    user, created = get_user_model().objects.get_or_create(
        username=CONTROLLER_USERNAME,
        defaults={"is_active": False, "first_name": "Pengendali", "last_name": "Latihan"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def exercise_run_start(*, scenario: Scenario, by, speed: float) -> ExerciseRun:
    """Start playing a scenario `speed` times faster than real time (one run at a time)."""
    try:
        speed = float(speed)
    except (TypeError, ValueError):
        speed = 0.0
    if not SPEED_MIN <= speed <= SPEED_MAX:
        raise ValidationError(
            {"speed": [_("percepatan antara %(a)s dan %(b)s") % {"a": SPEED_MIN, "b": SPEED_MAX}]}
        )
    definition = scenario_validate(scenario.definition)
    exercise_controller_get()
    now = timezone.now()
    span = scenario_span_seconds(definition)
    try:
        with transaction.atomic():
            run = ExerciseRun.objects.create(
                scenario=scenario,
                scenario_version=scenario.version,
                definition=definition,
                speed=speed,
                status=ExerciseRun.Status.RUNNING,
                started_at=now,
                ends_at=now + dt.timedelta(seconds=span / speed + FINISH_GRACE_SECONDS),
                started_by=by if getattr(by, "is_authenticated", False) else None,
            )
            injects = ExerciseInject.objects.bulk_create(
                ExerciseInject(
                    run=run,
                    index=i,
                    kind=inject["kind"],
                    offset_seconds=inject["offset"],
                    due_at=now + dt.timedelta(seconds=inject["offset"] / speed),
                    spec=inject,
                )
                for i, inject in enumerate(definition["injects"])
            )
            audit_record(
                actor=by,
                action="exercise.start",
                obj=run,
                changes={"scenario": [None, scenario.name], "speed": [None, speed]},
            )
            transaction.on_commit(lambda: _schedule(run, injects), robust=True)
    except IntegrityError:
        raise ValidationError(
            {"status": [_("Latihan lain sedang berjalan; hentikan dulu.")]}
        ) from None
    return run


def _schedule(run: ExerciseRun, injects: list[ExerciseInject]) -> None:
    """One Celery task per inject at its due time, and one to finish the run. In the embedded
    default (eager Celery) nothing is queued: the command or the run page fire what is due."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    try:
        for inject in injects:
            task_delay("command.tasks.exercise_fire_inject", inject.pk, eta=inject.due_at)
        task_delay("command.tasks.exercise_finish_run", run.pk, eta=run.ends_at)
    except Exception:  # broker down: the beat sweep fires what is due
        log.warning("could not schedule exercise run %s; the sweep will", run.pk)


def _place(data: dict) -> dict:
    out = {}
    if data.get("kelurahan"):
        out["kelurahan"] = Kelurahan.objects.get(name=data["kelurahan"])
    if data.get("tps"):
        out["tps"] = Tps.objects.select_related("kelurahan").get(
            kelurahan__name=data["tps"]["kelurahan"], number=data["tps"]["number"]
        )
    return out


FORCE_KEYS = [("PHH", "phh"), ("Dalmas Lanjut", "dalmas_lanjut"), ("Dalmas Awal", "dalmas_awal")]


def force_key(text: str) -> str:
    """The force named by the procedure's suggestion (COLOUR_RESPONSE), as a scenario key."""
    for needle, key in FORCE_KEYS:
        if needle.lower() in text.lower():
            return key
    return ""


def _play(inject: ExerciseInject, run: ExerciseRun, controller) -> None:
    """Create what the inject describes through the normal services, marked as exercise."""
    spec = inject.spec
    data = dict(spec["data"])
    key = f"exercise:{run.pk}:{inject.index}"
    now = timezone.now()
    if inject.kind == "incident":
        fields = {k: v for k, v in data.items() if k not in ("kelurahan", "tps")}
        fields.update(_place(data), occurred_at=now, is_exercise=True)
        inject.incident, _created = incident_services.incident_create(
            by=controller, data=fields, idempotency_key=key
        )
    elif inject.kind == "intel":
        fields = {k: v for k, v in data.items() if k not in ("kelurahan", "tps")}
        fields.update(_place(data), obtained_at=now, is_exercise=True)
        inject.intel = incident_services.intel_create(by=controller, data=fields)
    elif inject.kind == "tip":
        fields = {**data, **_place(data)}
        inject.tip = incident_services.tip_create(
            data=fields, client_hash=f"exercise-{run.pk}-{inject.index}", is_exercise=True
        )
    elif inject.kind == "tps_return":
        inject.tps_return = tps_return_create(
            by=controller,
            tps=_place(data)["tps"],
            status=data["status"],
            note=data.get("note", ""),
            key=key,
            is_exercise=True,
        )
    elif inject.kind == "logistics":
        leg = exercise_leg_stop(
            by=controller,
            origin=data["origin"],
            destination=data["destination"],
            note=data["note"],
            key=f"{run.pk}-{inject.index}",
        )
        inject.result = {"leg_id": leg.pk, "leg": leg.code}
    elif inject.kind == "escalate":
        target = (
            run.injects.filter(spec__ref=data["target"], incident__isnull=False)
            .select_related("incident")
            .first()
        )
        if target is None:
            raise ValidationError(
                {"target": [_("kejadian '%(t)s' belum dimainkan") % {"t": data["target"]}]}
            )
        inject.incident = target.incident
        answer = incident_services.incident_set_colour(
            incident=target.incident,
            by=controller,
            colour=data["colour"],
            note=data.get("note", ""),
        )
        inject.result = {**answer, "force": force_key(answer["suggested_force"])}
    inject.result = {**inject.result, "played_at": now.isoformat()}


def exercise_inject_fire(*, inject_id: int) -> ExerciseInject | None:
    """Play one inject if its run is still running and it has not been played (idempotent: a
    re-delivered task finds `fired_at` set under the row lock and does nothing)."""
    with transaction.atomic():
        inject = ExerciseInject.objects.select_for_update().filter(pk=inject_id).first()
        if inject is None or inject.fired_at is not None or inject.skipped:
            return inject
        run = ExerciseRun.objects.get(pk=inject.run_id)
        if run.status != ExerciseRun.Status.RUNNING:
            return inject
        controller = exercise_controller_get()
        try:
            with transaction.atomic():
                _play(inject, run, controller)
        except (ValidationError, Kelurahan.DoesNotExist, Tps.DoesNotExist) as exc:
            inject.error = "; ".join(getattr(exc, "messages", [str(exc)]))[:2000]
            inject.incident = inject.intel = inject.tip = inject.tps_return = None
        inject.fired_at = timezone.now()
        inject.save(
            update_fields=[
                "fired_at",
                "error",
                "incident",
                "intel",
                "tip",
                "tps_return",
                "result",
            ]
        )
    return inject


def _end_leftovers(run: ExerciseRun) -> None:
    """Close what the exercise left open so the command post's lists stay clean: its open
    alerts (all open exercise alerts: only one run plays at a time) and its incidents."""
    controller = exercise_controller_get()
    outcome = _("Latihan #%(n)d berakhir.") % {"n": run.pk}
    for alert in Alert.objects.filter(is_exercise=True, status__in=OPEN_ALERT_STATUSES):
        alert_close(alert=alert, by=controller, outcome=outcome)
    exercise_legs_end(by=controller, prefix=f"{run.pk}-", note=outcome)
    ids = run.injects.filter(kind="incident", incident__isnull=False).values("incident_id")
    for incident in Incident.objects.filter(pk__in=ids, is_exercise=True):
        if incident.status == IncidentStatus.BARU:
            incident_transition(incident=incident, by=controller, action="reject", reason=outcome)
        elif incident.status in (IncidentStatus.DIVERIFIKASI, IncidentStatus.DITANGANI):
            incident_transition(incident=incident, by=controller, action="close", reason=outcome)


def _end(run_id: int, status: str, by=None, *, only_after_end: bool) -> ExerciseRun:
    with transaction.atomic():
        run = ExerciseRun.objects.select_for_update().get(pk=run_id)
        if run.status != ExerciseRun.Status.RUNNING:
            return run
        now = timezone.now()
        if only_after_end and now < run.ends_at:
            return run
        run.status = status
        run.stopped_at = now
        run.stopped_by = by if getattr(by, "is_authenticated", False) else None
        run.save(update_fields=["status", "stopped_at", "stopped_by"])
        skipped = run.injects.filter(fired_at__isnull=True).update(skipped=True)
        audit_record(
            actor=by,
            action=f"exercise.{status}",
            obj=run,
            changes={"status": [ExerciseRun.Status.RUNNING, status], "skipped": [None, skipped]},
        )
        _end_leftovers(run)
    return run


def exercise_run_stop(*, run: ExerciseRun, by) -> ExerciseRun:
    """Stop a running exercise: injects not yet played never will be."""
    if run.status != ExerciseRun.Status.RUNNING:
        raise ValidationError({"status": [_("Latihan ini tidak sedang berjalan.")]})
    return _end(run.pk, ExerciseRun.Status.STOPPED, by, only_after_end=False)


def exercise_run_advance(*, run: ExerciseRun, lag_seconds: float = 0) -> ExerciseRun:
    """Play every inject due (by more than `lag_seconds`) and finish the run once its last
    window has closed. Used by the beat sweep, and in the embedded default by the command and
    the run page (eager Celery has no worker to wait for an ETA)."""
    if run.status != ExerciseRun.Status.RUNNING:
        return run
    cutoff = timezone.now() - dt.timedelta(seconds=lag_seconds)
    due = run.injects.filter(fired_at__isnull=True, skipped=False, due_at__lte=cutoff)
    for pk in due.order_by("index").values_list("pk", flat=True):
        exercise_inject_fire(inject_id=pk)
    return exercise_run_finish(run_id=run.pk)


def exercise_run_finish(*, run_id: int) -> ExerciseRun:
    """Mark a run finished once its planned end has passed (a no-op before, or if stopped)."""
    run = ExerciseRun.objects.get(pk=run_id)
    if run.status == ExerciseRun.Status.RUNNING and timezone.now() >= run.ends_at:
        # Anything still unplayed (a lost message) is played first, then the run ends.
        for pk in (
            run.injects.filter(fired_at__isnull=True, skipped=False)
            .order_by("index")
            .values_list("pk", flat=True)
        ):
            exercise_inject_fire(inject_id=pk)
        return _end(run.pk, ExerciseRun.Status.FINISHED, only_after_end=True)
    return run


def exercises_sweep() -> int:
    """Beat: play injects whose ETA message was lost and finish runs past their end."""
    n = 0
    for run in ExerciseRun.objects.filter(status=ExerciseRun.Status.RUNNING):
        exercise_run_advance(run=run, lag_seconds=SWEEP_LAG_SECONDS)
        n += 1
    return n
