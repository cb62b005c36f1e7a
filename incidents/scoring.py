"""Early warning on the database: score a saved report once per engine version, raise or update
the alert it calls for, and sweep up reports the broker never delivered.

Chain: a service saves a report -> on commit, `incidents.tasks.score_report` is enqueued (a
broker outage is logged, not raised: the sweep finds the report later) -> the task calls
`report_score` -> `EwScore` row (unique per report and version, so a duplicate delivery is
harmless) -> `incidents.alerts.alert_raise` for merah (the alert lifecycle lives there) -> push to
`/ws/alerts/` after commit.
"""

import datetime as dt
import json
import logging
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import realtime
from core.queue import BatchQueue, task_delay
from incidents.alerts import alert_raise, alert_surge_raise
from incidents.ew import Config, Engine, Report, default_config
from incidents.ew.engine import default_engine
from incidents.ew.stream import poisson_sf
from incidents.models import Alert, AlertLevel, EwConfig, EwScore, Incident, IntelReport, Tip
from operations.models import ElectionPhase, Tps

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
    active = EwConfig.objects.filter(is_active=True).values_list("version", "config").first()
    if active is None:
        if _engine is None or _engine.version != default_config().version:
            _engine = default_engine()  # shared with the warm-up at start (incidents/apps.py)
        return _engine
    version, data = active
    if _engine is None or _engine.version != version:
        _engine = Engine(Config.from_dict({**data, "version": version}))
    return _engine


def engine_version() -> str:
    return engine_get().config.version


SCORE_QUEUE = "sispam:score"  # Redis list of [kind, pk] JSON, oldest first
SCORE_BATCH = 50
_score_queue = BatchQueue(
    key=SCORE_QUEUE, batch=SCORE_BATCH, drain_task="incidents.tasks.score_drain"
)


def score_enqueue_after_commit(*, kind: str, pk: int) -> None:
    """Ask a worker to score a report once the transaction that saved it commits.

    From a web request the report joins a Redis list (one RPUSH) and a `score_drain` task is
    enqueued only when the list was empty, so under load one task scores many reports instead
    of one broker message each. Nothing is lost if a worker dies holding some: the drain task
    is acknowledged late (it comes back and goes on with the list) and the beat sweep scores
    any report still unscored after EW_SWEEP_SECONDS; scoring twice is harmless (unique per
    report and engine version). In a worker, or eagerly, the report is scored by its own task.
    """

    def enqueue() -> None:
        try:
            if settings.CELERY_TASK_ALWAYS_EAGER or realtime.in_worker:
                task_delay("incidents.tasks.score_report", kind, pk)
            else:
                _score_queue.push([kind, pk])
        except Exception:  # broker down: the report is saved; the beat sweep will score it
            log.warning("could not enqueue scoring of %s %s; the sweep will", kind, pk)

    transaction.on_commit(enqueue)


def score_queue_drain() -> int:
    """Score every queued report, oldest first, until the list is empty; how many."""
    done = 0
    started = time.monotonic()
    while True:
        if time.monotonic() - started > 60:  # hand the rest to a fresh task, inside its limits
            _score_queue.drain_again()
            return done
        raws = _score_queue.pop()
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
    reason = _("%(k)d laporan di %(w)s dalam %(m)d menit; biasanya %(e).1f (p = %(p).1e)") % {
        "k": k,
        "w": kelurahan.name,
        "m": int(window.total_seconds() // 60),
        "e": expected,
        "p": p,
    }
    return alert_surge_raise(
        score=score, kelurahan=kelurahan, exercise=exercise, reason=reason, now=now
    )


def scores_sweep(*, older_than_seconds: int | None = None, limit: int = 500) -> int:
    """Enqueue reports left unscored under the current version (a lost message, a broker
    outage); run by Celery beat every EW_SWEEP_SECONDS. Returns how many were enqueued."""
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
                task_delay("incidents.tasks.score_report", kind, pk)
            except Exception:
                log.warning("broker still down; sweep stops")
                return sent
            sent += 1
    return sent
