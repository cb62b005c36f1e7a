"""Early warning on the database: score a saved report once per engine version, raise or update
the alert it calls for, and sweep up reports the broker never delivered.

Chain: a service saves a report -> on commit, `incidents.tasks.score_report` is enqueued (a
broker outage is logged, not raised: the sweep finds the report later) -> the task calls
`report_score` -> `EwScore` row (unique per report and version, so a duplicate delivery is
harmless) -> `alert_raise` for merah -> push to `/ws/alerts/` after commit.
"""

import datetime as dt
import json
import logging
import time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.realtime import ALERTS_GROUP, realtime_publish_after_commit
from incidents.ew import Engine, Report
from incidents.models import (
    OPEN_ALERT_STATUSES,
    Alert,
    AlertLevel,
    AlertStatus,
    EwScore,
    Incident,
    IntelReport,
    Tip,
)

log = logging.getLogger(__name__)

KINDS = {"intel": IntelReport, "tip": Tip, "incident": Incident}
CATEGORY_RANK = {"kurang_rawan": 0, "rawan": 1, "sangat_rawan": 2}
CONFIG_CHECK_SECONDS = 15
_engine: Engine | None = None
_checked_at = 0.0


def engine_get() -> Engine:
    """One engine per process (it caches word stems, which is what makes it fast), rebuilt when
    an administrator activates another config version (looked up every 15 seconds)."""
    global _engine, _checked_at
    now = time.monotonic()
    if _engine is not None and now - _checked_at < CONFIG_CHECK_SECONDS:
        return _engine
    _checked_at = now
    from incidents.ew import Config, default_config
    from incidents.models import EwConfig

    active = EwConfig.objects.filter(is_active=True).values_list("version", "config").first()
    if active is None:
        if _engine is None or _engine.version != default_config().version:
            _engine = Engine()
        return _engine
    version, data = active
    if _engine is None or _engine.version != version:
        _engine = Engine(Config.from_dict({**data, "version": version}))
    return _engine


def engine_version() -> str:
    return engine_get().config.version


SCORE_QUEUE = "sispam:score"  # Redis list of [kind, pk] JSON, oldest first
SCORE_BATCH = 50


def score_enqueue_after_commit(*, kind: str, pk: int) -> None:
    """Ask a worker to score a report once the transaction that saved it commits.

    From a web request the report joins a Redis list (one RPUSH) and a `score_drain` task is
    enqueued only when the list was empty, so under load one task scores many reports instead
    of one broker message each. Nothing is lost if a worker dies holding some: the drain task
    is acknowledged late (it comes back and goes on with the list) and the beat sweep scores
    any report still unscored after EW_SWEEP_SECONDS; scoring twice is harmless (unique per
    report and engine version). In a worker, or eagerly, the report is scored by its own task.
    """
    from django.conf import settings

    from core import realtime
    from incidents.tasks import score_drain, score_report

    def enqueue() -> None:
        try:
            if settings.CELERY_TASK_ALWAYS_EAGER or realtime.in_worker:
                score_report.delay(kind, pk)
            elif realtime.push_queue_redis().rpush(SCORE_QUEUE, json.dumps([kind, pk])) == 1:
                score_drain.delay()  # the list was empty: no drain is due to see this one
        except Exception:  # broker down: the report is saved; the beat sweep will score it
            log.warning("could not enqueue scoring of %s %s; the sweep will", kind, pk)

    transaction.on_commit(enqueue)


def score_queue_drain() -> int:
    """Score every queued report, oldest first, until the list is empty; how many."""
    from core.realtime import push_queue_redis
    from incidents.tasks import score_drain

    client = push_queue_redis()
    done = 0
    started = time.monotonic()
    while True:
        if time.monotonic() - started > 60:  # hand the rest to a fresh task, inside its limits
            score_drain.delay()
            return done
        raws = client.lpop(SCORE_QUEUE, SCORE_BATCH)
        if not raws:
            return done
        for raw in raws:
            kind, pk = json.loads(raw)
            try:
                report_score(kind=kind, pk=pk)
            except Exception:  # one bad report must not hold up the rest; the sweep retries it
                log.exception("scoring %s %s failed; the sweep will try again", kind, pk)
            done += 1


def _vulnerability(kelurahan_id, tps) -> str | None:
    """The TPS's category, else the worst category among the kelurahan's TPS."""
    from operations.models import Tps

    if tps is not None:
        return tps.category
    if kelurahan_id is None:
        return None
    cats = set(
        Tps.objects.filter(kelurahan_id=kelurahan_id)
        .order_by()  # not the default ordering: it joins the kelurahan to sort by its name
        .values_list("category", flat=True)
    )
    return max(cats, key=CATEGORY_RANK.get) if cats else None


def _phase(at):
    """(risk weight, name) of the election phase in force at `at`, as phase_current picks it."""
    from operations.models import ElectionPhase

    found = list(
        ElectionPhase.objects.filter(starts_at__lte=at, ends_at__gte=at)
        .order_by("-starts_at")
        .values_list("risk_weight", "name")[:1]
    )
    return found[0] if found else (None, None)


def _report_load(kind: str, pk: int):
    """The report with its kelurahan (and TPS), by its key.

    Plain queries for the phase and the TPS categories after it cost less CPU than one query
    with them as subqueries (measured: 1.4 against 2.0 ms; Django compiles every query anew).
    """
    related = ["kelurahan"] if kind == "tip" else ["kelurahan", "tps"]
    found = list(
        KINDS[kind].objects.select_related(*related).filter(pk=pk).order_by()[:1]
    )  # one row by its key: no ORDER BY to compile
    return found[0] if found else None


def report_build(kind: str, obj) -> Report:
    """The engine's view of a saved report, with its place's vulnerability and the phase."""
    when = getattr(obj, "reported_at", None) or obj.created_at
    weight, label = _phase(when)
    kelurahan = obj.kelurahan.name if obj.kelurahan_id else None
    common = {
        "kelurahan": kelurahan,
        "reported_at": when,
        "phase_weight": weight,
        "phase_label": label,
        "id": f"{kind}-{obj.pk}",
    }
    if kind == "intel":
        return Report(
            text=obj.text,
            source_reliability=obj.source_reliability,
            info_credibility=obj.info_credibility,
            channel="intel",
            vulnerability=_vulnerability(obj.kelurahan_id, obj.tps),
            source_id=f"intel-source:{obj.source.strip().lower()}",
            **common,
        )
    if kind == "tip":
        return Report(
            text=obj.text,
            channel="tip",
            vulnerability=_vulnerability(obj.kelurahan_id, None),
            source_id=f"tip:{obj.client_hash}" if obj.client_hash else None,
            **common,
        )
    return Report(
        text=f"{obj.get_type_display()}. {obj.description}",
        channel="field",
        vulnerability=_vulnerability(obj.kelurahan_id, obj.tps),
        source_id=f"field:{obj.reporter_id}",
        **common,
    )


def report_score(*, kind: str, pk: int) -> EwScore | None:
    """Score one report under the current engine version (idempotent) and raise its alert."""
    obj = _report_load(kind, pk)
    if obj is None:
        return None
    version = engine_version()
    # No read for an existing score first: the unique constraint decides, and a duplicate
    # delivery (the rare case) pays for scoring again instead of every first delivery paying
    # for a lookup. Scoring writes nothing before the insert.
    engine = engine_get()
    report = report_build(kind, obj)
    result = engine.score(report, corroboration=_corroboration(kind, obj, report.source_id))
    try:
        with transaction.atomic():
            score = EwScore.objects.create(
                **{kind: obj},
                engine_version=version,
                score=result.score,
                level=result.level,
                reasons=result.reasons,
                kelurahan_id=obj.kelurahan_id,
                report_at=getattr(obj, _stamp(kind)),
                is_exercise=obj.is_exercise,
            )
            if result.level == AlertLevel.MERAH:
                alert_raise(score=score, obj=obj, kind=kind)
            if obj.kelurahan_id and result.score >= _stream("surge_min_score"):
                surge_check(score=score, kelurahan=obj.kelurahan, exercise=obj.is_exercise)
    except IntegrityError:
        # Another delivery of the same task won the race: its row stands.
        return EwScore.objects.get(**{kind: obj}, engine_version=version)
    return score


def _stream(key: str):
    return engine_get().config.data["stream"][key]


def _stamp(kind: str) -> str:
    return "reported_at" if kind == "incident" else "created_at"


def _source_of(intel_id, intel_source, tip_id, tip_client, incident_reporter_id) -> str:
    """Who a scored report came from (the informant, the tip's client, the officer)."""
    if intel_id:
        return f"intel-source:{intel_source.strip().lower()}"
    if tip_id:
        return f"tip:{tip_client}" if tip_client else f"tip-{tip_id}"
    return f"field:{incident_reporter_id}"


def _recent_scores(kelurahan_id: int, since, until, *, min_level=None, exercise: bool = False):
    """Scores of reports about one kelurahan made between two times (any kind); exercise
    reports and real ones never count together."""
    qs = EwScore.objects.filter(
        kelurahan_id=kelurahan_id,
        report_at__gte=since,
        report_at__lt=until,
        is_exercise=exercise,
    )
    if min_level:
        qs = qs.filter(level__in=min_level)
    return qs


def _corroboration(kind: str, obj, source_id) -> int:
    """Independent reports (other sources) of concern in the same kelurahan in the last two
    hours; the engine adds points for up to `corroboration_max_reports` of them. Reports from
    the same source do not corroborate each other."""
    if not obj.kelurahan_id:
        return 0
    when = getattr(obj, _stamp(kind))
    window = dt.timedelta(minutes=_stream("corroboration_window_minutes"))
    recent = (
        _recent_scores(
            obj.kelurahan_id,
            when - window,
            when,
            min_level=[AlertLevel.KUNING, AlertLevel.MERAH],
            exercise=obj.is_exercise,
        )
        .order_by("-id")
        # The columns that name a source, not whole rows of four models.
        .values_list(
            "intel_id", "intel__source", "tip_id", "tip__client_hash", "incident__reporter_id"
        )[: _stream("corroboration_scan")]
    )
    sources = {_source_of(*row) for row in recent} - {source_id}
    return min(len(sources), _stream("corroboration_max_reports"))


def surge_check(*, score: EwScore, kelurahan, exercise: bool = False) -> Alert | None:
    """A surge: more reports about a kelurahan in the last hour than its baseline explains.

    Test: with k reports in the window of W minutes and a baseline rate r per hour (the
    kelurahan's own last 24 hours before the window, blended with a prior of 0.25 an hour
    weighted as 6 hours), P(X >= k | Poisson(r * W / 60)) < alpha (0.001) and k >= 4.
    """
    from incidents.ew.stream import poisson_sf

    now = timezone.now()
    window = dt.timedelta(minutes=_stream("surge_window_minutes"))
    base_hours = _stream("surge_baseline_hours")
    # Both counts (the window, and the baseline before it) in one query.
    counts = _recent_scores(
        kelurahan.pk,
        now - window - dt.timedelta(hours=base_hours),
        now + dt.timedelta(seconds=1),
        exercise=exercise,
    ).aggregate(
        k=Count("id", filter=Q(report_at__gte=now - window)),
        before=Count("id", filter=Q(report_at__lt=now - window)),
    )
    k, before = counts["k"], counts["before"]
    if k < _stream("surge_min_count"):
        return None
    prior_h = _stream("surge_prior_hours")
    rate = (before + _stream("surge_prior_rate_per_hour") * prior_h) / (base_hours + prior_h)
    expected = rate * window.total_seconds() / 3600
    p = poisson_sf(k, expected)
    if p >= _stream("surge_alpha"):
        return None
    key = f"surge:{'exercise:' if exercise else ''}kel:{kelurahan.pk}"
    reason = _("%(k)d laporan di %(w)s dalam %(m)d menit; biasanya %(e).1f (p = %(p).1e)") % {
        "k": k,
        "w": kelurahan.name,
        "m": int(window.total_seconds() // 60),
        "e": expected,
        "p": p,
    }
    alert = _open_alert_locked(key)
    created = alert is None
    if created:
        alert = Alert.objects.create(
            kind=Alert.Kind.SURGE,
            level=AlertLevel.KUNING,
            title=_("Lonjakan laporan di %(w)s") % {"w": kelurahan.name},
            reasons=[reason],
            kelurahan=kelurahan,
            dedup_key=key,
            is_exercise=exercise,
        )
        alert.ew_new = True  # it holds this report only: no count needed
    alert.scores.add(score)
    if not created:
        alert.kelurahan = kelurahan  # the same row: its name without a query
        if now - alert.updated_at < SURGE_UPDATE_EVERY:
            # A surge goes on report after report: the wall needs to know it continues, not a
            # push for every report (200 screens times every report swamps the server).
            return alert
        alert.reasons = [reason]
        alert.save(update_fields=["reasons", "updated_at"])
    event = _alert_event(alert, "alert.created" if created else "alert.updated")
    realtime_publish_after_commit(group=ALERTS_GROUP, event=event)
    return alert


SURGE_UPDATE_EVERY = dt.timedelta(seconds=60)


def _open_alert_locked(key: str) -> Alert | None:
    """The open alert with this dedup key, locked (its row only), with its kelurahan."""
    return (
        Alert.objects.select_for_update(of=("self",))
        .select_related("kelurahan")
        .filter(dedup_key=key, status__in=OPEN_ALERT_STATUSES)
        .first()
    )


def _alert_event(alert: Alert, kind: str) -> dict:
    return {
        "type": kind,
        "alert": {
            "id": alert.pk,
            "kind": alert.kind,
            "level": alert.level,
            "status": alert.status,
            "title": alert.title,
            "reasons": alert.reasons,
            "kelurahan": alert.kelurahan.name if alert.kelurahan_id else None,
            "reports": 1 if getattr(alert, "ew_new", False) else alert.scores.count(),
            "escalation": alert.escalation,
            "overdue": alert.ack_overdue_at is not None,
            "is_exercise": alert.is_exercise,
        },
    }


def alert_raise(*, score: EwScore, obj, kind: str) -> Alert:
    """Open an alert for a merah report, or add the report to the one already open for the same
    place (one open alert per place and kind); pushed to the command post after commit."""
    place = f"kel:{obj.kelurahan_id}" if obj.kelurahan_id else f"{kind}:{obj.pk}"
    exercise = getattr(obj, "is_exercise", False)
    # An exercise report never joins a real alert (nor a real one an exercise alert).
    key = f"report:{'exercise:' if exercise else ''}{place}"
    alert = _open_alert_locked(key)
    created = alert is None
    if created:
        where = obj.kelurahan.name if obj.kelurahan_id else _("lokasi belum jelas")
        alert = Alert.objects.create(
            kind=Alert.Kind.REPORT,
            level=AlertLevel.MERAH,
            title=_("Ancaman di %(w)s") % {"w": where},
            reasons=score.reasons,
            kelurahan=obj.kelurahan,
            dedup_key=key,
            is_exercise=exercise,
        )
        alert.ew_new = True  # it holds this report only: no count needed
    else:
        alert.reasons = score.reasons
        alert.updated_at = timezone.now()
        alert.save(update_fields=["reasons", "updated_at"])
    alert.scores.add(score)
    realtime_publish_after_commit(
        group=ALERTS_GROUP,
        event=_alert_event(alert, "alert.created" if created else "alert.updated"),
    )
    return alert


def scores_sweep(*, older_than_seconds: int | None = None, limit: int = 500) -> int:
    """Enqueue reports left unscored under the current version (a lost message, a broker
    outage); run by Celery beat every EW_SWEEP_SECONDS. Returns how many were enqueued."""
    from django.conf import settings

    from incidents.tasks import score_report

    if older_than_seconds is None:
        older_than_seconds = settings.EW_SWEEP_SECONDS
    version = engine_version()
    now = timezone.now()
    cutoff = now - dt.timedelta(seconds=older_than_seconds)
    # Reports older than the window are not swept: a newly activated version scores what is
    # current, it does not raise alerts for last week's reports.
    oldest = now - dt.timedelta(hours=settings.EW_SWEEP_WINDOW_HOURS)
    sent = 0
    for kind, model in KINDS.items():
        stamp = "reported_at" if kind == "incident" else "created_at"
        pending = (
            model.objects.filter(**{f"{stamp}__lt": cutoff, f"{stamp}__gte": oldest})
            .exclude(scores__engine_version=version)
            .order_by(stamp)
            .values_list("pk", flat=True)[:limit]
        )
        for pk in pending:
            try:
                score_report.delay(kind, pk)
            except Exception:
                log.warning("broker still down; sweep stops")
                return sent
            sent += 1
    return sent


ESCALATION_CHAIN = ["pos komando", "Kabag Ops", "Kapolres", "Kapolda"]


def _alert_locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by) -> Alert:
    """The duty officer has seen the alert and takes it on."""
    from core.services import audit_record

    alert = _alert_locked(alert)
    if alert.status not in (AlertStatus.OPEN, AlertStatus.ESCALATED):
        raise ValidationError({"status": _("Peringatan ini tidak dapat diterima lagi.")})
    before = alert.status
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = by
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at"])
    audit_record(
        actor=by, action="alert.acknowledge", obj=alert, changes={"status": [before, alert.status]}
    )
    realtime_publish_after_commit(group=ALERTS_GROUP, event=_alert_event(alert, "alert.updated"))
    return alert


@transaction.atomic
def alert_escalate(*, alert: Alert, by, note: str = "") -> Alert:
    """Move the alert one step up the chain (pos komando, Kabag Ops, Kapolres, Kapolda)."""
    from core.services import audit_record

    alert = _alert_locked(alert)
    if alert.status == AlertStatus.CLOSED:
        raise ValidationError({"status": _("Peringatan sudah ditutup.")})
    if alert.escalation >= len(ESCALATION_CHAIN) - 1:
        raise ValidationError({"escalation": _("Sudah di tingkat tertinggi (Kapolda).")})
    alert.escalation += 1
    alert.status = AlertStatus.ESCALATED
    alert.save(update_fields=["escalation", "status", "updated_at"])
    audit_record(
        actor=by,
        action="alert.escalate",
        obj=alert,
        note=note,
        changes={"escalation": [alert.escalation - 1, alert.escalation]},
    )
    realtime_publish_after_commit(group=ALERTS_GROUP, event=_alert_event(alert, "alert.updated"))
    return alert


@transaction.atomic
def alert_close(*, alert: Alert, by, outcome: str) -> Alert:
    """Close the alert with what came of it (false alarm, handled, handed to Gakkumdu, ...)."""
    from core.services import audit_record

    if not outcome.strip():
        raise ValidationError({"outcome": _("Tuliskan hasil penanganan.")})
    alert = _alert_locked(alert)
    if alert.status == AlertStatus.CLOSED:
        raise ValidationError({"status": _("Peringatan sudah ditutup.")})
    before = alert.status
    alert.status = AlertStatus.CLOSED
    alert.closed_at = timezone.now()
    alert.outcome = outcome.strip()
    alert.save(update_fields=["status", "closed_at", "outcome", "updated_at"])
    audit_record(
        actor=by,
        action="alert.close",
        obj=alert,
        note=outcome,
        changes={"status": [before, alert.status]},
    )
    realtime_publish_after_commit(group=ALERTS_GROUP, event=_alert_event(alert, "alert.updated"))
    return alert


def alerts_escalate_unacknowledged(*, now=None) -> int:
    """Escalate alerts nobody acknowledged within ALERT_ACK_MINUTES (Celery beat, every minute);
    each further period unacknowledged moves it one more step up the chain."""
    from django.conf import settings

    now = now or timezone.now()
    limit = dt.timedelta(minutes=settings.ALERT_ACK_MINUTES)
    moved = 0
    for alert in Alert.objects.filter(
        status__in=[AlertStatus.OPEN, AlertStatus.ESCALATED], acknowledged_at__isnull=True
    ).order_by("id")[:500]:
        steps = int((now - alert.created_at) / limit)
        if steps <= alert.escalation or alert.escalation >= len(ESCALATION_CHAIN) - 1:
            continue
        with transaction.atomic():
            locked = _alert_locked(alert)
            locked.escalation = min(steps, len(ESCALATION_CHAIN) - 1)
            locked.status = AlertStatus.ESCALATED
            locked.ack_overdue_at = locked.ack_overdue_at or now
            locked.save(update_fields=["escalation", "status", "ack_overdue_at", "updated_at"])
            realtime_publish_after_commit(
                group=ALERTS_GROUP, event=_alert_event(locked, "alert.updated")
            )
        moved += 1
    return moved
