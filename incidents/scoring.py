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
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import realtime
from core.queue import BatchQueue, task_delay
from core.services import audit_record
from incidents.alerts import alert_raise, alert_surge_raise
from incidents.ew import Config, Engine, Report, default_config
from incidents.ew.engine import default_engine
from incidents.ew.stream import poisson_sf
from incidents.models import (
    AlertLevel,
    EwConfig,
    EwScore,
    Incident,
    IntelReport,
    ScoringFailure,
    Tip,
)
from operations.models import ElectionPhase, Tps
from operations.recap import TROUBLE_WEIGHT, recap_weights

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
    """Score every queued report, oldest first, a batch at a time, until the list is empty;
    how many."""
    done = 0
    started = time.monotonic()
    while True:
        if time.monotonic() - started > 60:  # hand the rest to a fresh task, inside its limits
            _score_queue.drain_again()
            return done
        raws = _score_queue.pop()
        if not raws:
            return done
        items = list(dict.fromkeys(tuple(json.loads(raw)) for raw in raws))
        try:
            reports_score(items)
        except OUTAGES:
            # The database (or broker) is away: nothing is recorded; the sweep scores them
            # when it returns.
            log.warning("scoring a batch of %d met an outage; the sweep will", len(items))
        except Exception:  # one bad report must not hold up the rest: one by one
            log.exception("scoring a batch of %d failed; scoring them one by one", len(items))
            for kind, pk in items:
                report_score_guarded(kind=kind, pk=pk)
        done += len(items)


OUTAGES = (OperationalError, InterfaceError)


def report_score_guarded(*, kind: str, pk: int, retry: bool = False) -> EwScore | None:
    """Score one report; if its scoring raises (a poison report, not an outage: those raise
    on to the caller's retry), record the failure and retry it later with backoff, or after
    EW_SCORE_MAX_ATTEMPTS leave it failed for the administrator (ScoringFailure). `retry`: this
    is such a retry (or a re-queue by hand); success then resolves the failure."""
    try:
        score = report_score(kind=kind, pk=pk)
    except OUTAGES:
        raise
    except Exception as exc:
        log.exception("scoring %s %s failed", kind, pk)
        score_failure_record(kind=kind, pk=pk, error=f"{type(exc).__name__}: {exc}"[:2000])
        return None
    if retry:
        ScoringFailure.objects.filter(
            kind=kind, report_id=pk, engine_version=engine_version()
        ).exclude(status=ScoringFailure.Status.RESOLVED).update(
            status=ScoringFailure.Status.RESOLVED, updated_at=timezone.now()
        )
    return score


def score_failure_record(*, kind: str, pk: int, error: str) -> ScoringFailure:
    """Count one more failed attempt; schedule the next (doubling delay) or give up."""
    with transaction.atomic():
        failure, _created = ScoringFailure.objects.select_for_update().get_or_create(
            kind=kind, report_id=pk, engine_version=engine_version()
        )
        if failure.status == ScoringFailure.Status.RESOLVED:
            failure.attempts = 0  # it broke again (another delivery): count afresh
        failure.attempts += 1
        failure.error = error
        gave_up = failure.attempts >= settings.EW_SCORE_MAX_ATTEMPTS
        failure.status = ScoringFailure.Status.FAILED if gave_up else ScoringFailure.Status.RETRYING
        failure.save()
    if not gave_up:
        delay = settings.EW_SCORE_RETRY_SECONDS * 2 ** (failure.attempts - 1)
        try:
            task_delay(
                "incidents.tasks.score_retry",
                kind,
                pk,
                eta=timezone.now() + dt.timedelta(seconds=delay),
            )
        except Exception:  # broker away: the failure row stands; the sweep retries it
            log.warning("could not schedule the retry of %s %s", kind, pk)
    return failure


def score_failure_requeue(*, failure: ScoringFailure, by) -> None:
    """The administrator re-queues a failed report: its attempts start again and it is scored
    now (in a worker); audited."""
    ScoringFailure.objects.filter(pk=failure.pk).update(
        status=ScoringFailure.Status.REQUEUED, attempts=0, updated_at=timezone.now()
    )
    audit_record(
        actor=by,
        action="ew.requeue",
        obj=failure,
        changes={"status": [failure.status, ScoringFailure.Status.REQUEUED]},
    )
    transaction.on_commit(
        lambda: task_delay("incidents.tasks.score_retry", failure.kind, failure.report_id)
    )


def _reports_load(items) -> dict[tuple[str, int], object]:
    """The reports by (kind, pk), in the order asked, with their kelurahan (and TPS): one query
    per kind. Reports that no longer exist are left out."""
    found: dict[tuple[str, int], object] = {}
    for kind, model in KINDS.items():
        pks = [pk for k, pk in items if k == kind]
        if not pks:
            continue
        related = ["kelurahan"] if kind == "tip" else ["kelurahan", "tps"]
        # No ORDER BY: the rows are put in the asked order below.
        for obj in model.objects.select_related(*related).filter(pk__in=pks).order_by():
            found[(kind, obj.pk)] = obj
    return {key: found[key] for key in items if key in found}


def _when(kind: str, obj):
    return getattr(obj, _stamp(kind))


class _Batch:
    """What scoring a batch of reports needs from the database, read once for the batch: the
    election phases over its time span, the TPS categories of its kelurahan, and the sources
    that reported concern there recently (for corroboration); then, as each report is scored,
    the batch's own reports of concern, which corroborate the reports after them."""

    def __init__(self, reports: dict[tuple[str, int], object]) -> None:
        times = [_when(kind, obj) for (kind, _pk), obj in reports.items()]
        lo, hi = min(times), max(times)
        self.phases = list(
            ElectionPhase.objects.filter(starts_at__lte=hi, ends_at__gte=lo)
            .order_by("-starts_at")
            .values_list("starts_at", "ends_at", "risk_weight", "name")
        )
        # Recapitulation sessions in trouble (operations.recap): they weigh like polling day
        # on reports from their kecamatan (the KPU Kota's on the whole city).
        self.recaps = recap_weights(lo=lo, hi=hi)
        places = {
            obj.kelurahan_id
            for (kind, _pk), obj in reports.items()
            if obj.kelurahan_id and (kind == "tip" or obj.tps_id is None)
        }
        self.categories: dict[int, set] = {}
        if places:
            rows = (
                Tps.objects.filter(kelurahan_id__in=places)
                .order_by()  # not the default ordering: it joins the kelurahan to sort by name
                .values_list("kelurahan_id", "category")
                .distinct()
            )
            for kelurahan_id, category in rows:
                self.categories.setdefault(kelurahan_id, set()).add(category)
        self.window = dt.timedelta(minutes=_stream("corroboration_window_minutes"))
        # (kelurahan, exercise) -> [(source, report_at)] of the latest reports of concern there
        self.concern: dict[tuple[int, bool], list] = {}
        places = {
            (obj.kelurahan_id, obj.is_exercise) for obj in reports.values() if obj.kelurahan_id
        }
        if places:
            self.concern = _concern_recent(places, lo - self.window, hi)

    def phase(self, at, kecamatan_id=None):
        """(risk weight, name) of the election phase in force at `at`, as phase_current picks;
        raised to TROUBLE_WEIGHT by a recapitulation in trouble there at that time."""
        weight, label = None, None
        for starts, ends, w, name in self.phases:
            if starts <= at <= ends:
                weight, label = w, name
                break
        for kec, starts, ends, what in self.recaps:
            if starts <= at <= ends and kec in (None, kecamatan_id):
                if weight is None or weight < TROUBLE_WEIGHT:
                    weight = TROUBLE_WEIGHT
                label = f"{label} · {what}" if label else what
                break
        return weight, label

    def vulnerability(self, kelurahan_id, tps) -> str | None:
        """The TPS's category, else the worst category among the kelurahan's TPS."""
        if tps is not None:
            return tps.category
        cats = self.categories.get(kelurahan_id)
        return max(cats, key=CATEGORY_RANK.get) if cats else None

    def corroboration(self, kind: str, obj, source_id) -> int:
        """Independent reports (other sources) of concern in the same kelurahan in the window
        before this one; the engine adds points for up to `corroboration_max_reports` of them.
        Reports from the same source do not corroborate each other."""
        if not obj.kelurahan_id:
            return 0
        when = _when(kind, obj)
        since = when - self.window
        sources = {
            source
            for source, at in self.concern.get((obj.kelurahan_id, obj.is_exercise), ())
            if since <= at < when
        } - {source_id}
        return min(len(sources), _stream("corroboration_max_reports"))

    def scored(self, kind: str, obj, source_id, level: str) -> None:
        """A report of the batch was scored: of concern, it corroborates the ones after it."""
        if obj.kelurahan_id and level in (AlertLevel.KUNING, AlertLevel.MERAH):
            when = _when(kind, obj)
            key = (obj.kelurahan_id, obj.is_exercise)
            self.concern.setdefault(key, []).append((_source_key(kind, obj, source_id), when))


def _concern_recent(places, since, until) -> dict[tuple[int, bool], list]:
    """(source, report_at) of the latest `corroboration_scan` reports of concern (kuning,
    merah) made in [since, until) about each (kelurahan, exercise) place: one indexed, bounded
    read per place (a union of them where the database allows, one round trip), however many
    reports the place has had."""
    scan = _stream("corroboration_scan")
    reads = [
        EwScore.objects.filter(
            kelurahan_id=kelurahan_id,
            is_exercise=exercise,
            report_at__gte=since,
            report_at__lt=until,
            level__in=[AlertLevel.KUNING, AlertLevel.MERAH],
        )
        .order_by("-report_at")
        .values_list("kelurahan_id", "is_exercise", "source", "report_at")[:scan]
        for kelurahan_id, exercise in sorted(places)
    ]
    if len(reads) > 1 and connection.features.supports_slicing_ordering_in_compound:
        rows = list(reads[0].union(*reads[1:], all=True))
    else:
        rows = [row for read in reads for row in read]
    found: dict[tuple[int, bool], list] = {}
    for kelurahan_id, exercise, source, at in rows:
        found.setdefault((kelurahan_id, exercise), []).append((source, at))
    return found


def _source_key(kind: str, obj, source_id: str | None) -> str:
    """Who a report came from, as stored on its score (EwScore.source): the engine's source id,
    or for a tip without a client the tip itself."""
    return source_id or f"{kind}-{obj.pk}"


def report_build(kind: str, obj, batch: _Batch | None = None) -> Report:
    """The engine's view of a saved report, with its place's vulnerability and the phase."""
    if batch is None:
        batch = _Batch({(kind, obj.pk): obj})
    when = _when(kind, obj)
    kelurahan = obj.kelurahan.name if obj.kelurahan_id else None
    weight, label = batch.phase(when, obj.kelurahan.kecamatan_id if obj.kelurahan_id else None)
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
            vulnerability=batch.vulnerability(obj.kelurahan_id, obj.tps),
            source_id=f"intel-source:{obj.source.strip().lower()}",
            **common,
        )
    if kind == "tip":
        return Report(
            text=obj.text,
            channel="tip",
            vulnerability=batch.vulnerability(obj.kelurahan_id, None),
            source_id=f"tip:{obj.client_hash}" if obj.client_hash else None,
            **common,
        )
    return Report(
        text=f"{obj.get_type_display()}. {obj.description}",
        channel="field",
        vulnerability=batch.vulnerability(obj.kelurahan_id, obj.tps),
        source_id=f"field:{obj.reporter_id}",
        **common,
    )


def report_score(*, kind: str, pk: int) -> EwScore | None:
    """Score one report under the current engine version (idempotent) and raise its alert."""
    return reports_score([(kind, pk)]).get((kind, pk))


def reports_score(items) -> dict[tuple[str, int], EwScore]:
    """Score a batch of reports ((kind, pk) pairs, oldest first) under the current engine
    version, raise the alerts they call for, and return their scores by (kind, pk).

    Idempotent: no read for existing scores first; the unique constraint decides. When another
    delivery already scored one of the batch, the insert fails and the batch is scored again
    one report at a time, where a report already scored returns the row that stands. The batch
    reads what it needs once (`_Batch`) and inserts its scores in one statement: scoring 50
    reports costs a few queries, not a few per report.
    """
    reports = _reports_load(items)
    if not reports:
        return {}
    engine = engine_get()
    version = engine.config.version
    batch = _Batch(reports)
    new: list[tuple[str, object, EwScore]] = []
    for (kind, _pk), obj in reports.items():
        report = report_build(kind, obj, batch)
        result = engine.score(
            report, corroboration=batch.corroboration(kind, obj, report.source_id)
        )
        batch.scored(kind, obj, report.source_id, result.level)
        score = EwScore(
            **{kind: obj},
            engine_version=version,
            score=result.score,
            level=result.level,
            reasons=result.reasons,
            kelurahan_id=obj.kelurahan_id,
            report_at=_when(kind, obj),
            is_exercise=obj.is_exercise,
            source=_source_key(kind, obj, report.source_id),
        )
        new.append((kind, obj, score))
    try:
        with transaction.atomic():
            EwScore.objects.bulk_create([score for _kind, _obj, score in new])
            _alerts_raise(new)
            _surges_check(new)
            # One note per batch: the command post's incoming queue reads the new levels.
            realtime.realtime_publish_after_commit(
                group=realtime.ALERTS_GROUP, event={"type": "intake.scored", "scored": len(new)}
            )
    except IntegrityError:
        if len(new) > 1:  # another delivery scored some of them: one at a time then
            scores: dict[tuple[str, int], EwScore] = {}
            for key in reports:
                scores.update(reports_score([key]))
            return scores
        # Another delivery of the same report won the race: its row stands.
        kind, obj, _score = new[0]
        return {(kind, obj.pk): EwScore.objects.get(**{kind: obj}, engine_version=version)}
    return {(kind, obj.pk): score for kind, obj, score in new}


def _alerts_raise(new) -> None:
    """One alert per place for the batch's merah reports (opened, or the open one updated)."""
    by_place: dict[str, list] = {}
    for kind, obj, score in new:
        if score.level == AlertLevel.MERAH:
            place = f"kel:{obj.kelurahan_id}" if obj.kelurahan_id else f"{kind}:{obj.pk}"
            by_place.setdefault(f"{place}:{obj.is_exercise}", []).append((kind, obj, score))
    for group in by_place.values():
        kind, obj, _score = group[0]
        alert_raise(scores=[score for _k, _o, score in group], obj=obj, kind=kind)


# A place with this many reports in the surge window is recounted at most every
# SURGE_RECOUNT_SECONDS per process (its counts are thousands of rows; a surge is an hour's
# pattern, a few seconds do not change it); in between its result stands and, if it is a
# surge, the batch's reports still join the open surge alert.
SURGE_RECOUNT_MIN = 500
SURGE_RECOUNT_SECONDS = 5.0
_surge_seen: dict[tuple[int, bool], tuple[float, int, str | None]] = {}


def _surges_check(new) -> None:
    """A surge: more reports about a kelurahan in the last hour than its baseline explains.

    Test: with k reports in the window of W minutes and a baseline rate r per hour (the
    kelurahan's own last 24 hours before the window, blended with a prior of 0.25 an hour
    weighted as 6 hours), P(X >= k | Poisson(r * W / 60)) < alpha (0.001) and k >= 4. Checked
    for each kelurahan of the batch with a report scored at `surge_min_score` or more, after
    the batch's scores are in (the counts include them), all places in one query.
    """
    minimum = _stream("surge_min_score")
    places: dict[tuple[int, bool], list] = {}
    for _kind, obj, score in new:
        if obj.kelurahan_id and score.score >= minimum:
            places.setdefault((obj.kelurahan_id, obj.is_exercise), []).append((obj, score))
    if not places:
        return
    now = timezone.now()
    clock = time.monotonic()
    reasons: dict[tuple[int, bool], str | None] = {}
    for key in places:
        seen = _surge_seen.get(key)
        if seen and seen[1] >= SURGE_RECOUNT_MIN and clock - seen[0] < SURGE_RECOUNT_SECONDS:
            reasons[key] = seen[2]
    counted = [key for key in places if key not in reasons]
    if counted:
        names = {key: places[key][0][0].kelurahan.name for key in counted}
        for key, (k, reason) in _surge_counts(names, now).items():
            reasons[key] = reason
            _surge_seen[key] = (clock, k, reason)
    for key, group in places.items():
        if reasons.get(key) is not None:
            alert_surge_raise(
                scores=[score for _obj, score in group],
                kelurahan=group[0][0].kelurahan,
                exercise=key[1],
                reason=reasons[key],
                now=now,
            )


def _surge_counts(places: dict, now) -> dict[tuple[int, bool], tuple[int, str | None]]:
    """Per place (a dict of place -> kelurahan name): k (reports in the window) and the
    surge's reason, or None if no surge."""
    window = dt.timedelta(minutes=_stream("surge_window_minutes"))
    base_hours = _stream("surge_baseline_hours")
    rows = (
        EwScore.objects.filter(
            kelurahan_id__in={kelurahan_id for kelurahan_id, _exercise in places},
            report_at__gte=now - window - dt.timedelta(hours=base_hours),
            report_at__lt=now + dt.timedelta(seconds=1),
        )
        .order_by()
        .values_list("kelurahan_id", "is_exercise")
        .annotate(
            k=Count("id", filter=Q(report_at__gte=now - window)),
            before=Count("id", filter=Q(report_at__lt=now - window)),
        )
    )
    counts = {(kelurahan_id, exercise): (k, b) for kelurahan_id, exercise, k, b in rows}
    prior_h = _stream("surge_prior_hours")
    out: dict[tuple[int, bool], tuple[int, str | None]] = {}
    for key in places:
        k, before = counts.get(key, (0, 0))
        out[key] = (k, None)
        if k < _stream("surge_min_count"):
            continue
        rate = (before + _stream("surge_prior_rate_per_hour") * prior_h) / (base_hours + prior_h)
        expected = rate * window.total_seconds() / 3600
        p = poisson_sf(k, expected)
        if p >= _stream("surge_alpha"):
            continue
        reason = _("%(k)d laporan di %(w)s dalam %(m)d menit; biasanya %(e).1f (p = %(p).1e)") % {
            "k": k,
            "w": places[key],
            "m": int(window.total_seconds() // 60),
            "e": expected,
            "p": p,
        }
        out[key] = (k, reason)
    return out


def _stream(key: str):
    return engine_get().config.data["stream"][key]


def _stamp(kind: str) -> str:
    return "reported_at" if kind == "incident" else "created_at"


def scores_sweep(*, older_than_seconds: int | None = None, limit: int = 500) -> int:
    """Enqueue reports left unscored under the current version (a lost message, a broker
    outage); run by Celery beat every EW_SWEEP_SECONDS. Returns how many were enqueued.

    Reports still waiting in the scoring list are not enqueued again (under a backlog they are
    all older than the cutoff: sending them twice would double the backlog); the rest join the
    list, in one command, to be scored in batches like any other.
    """
    if older_than_seconds is None:
        older_than_seconds = settings.EW_SWEEP_SECONDS
    version = engine_version()
    now = timezone.now()
    cutoff = now - dt.timedelta(seconds=older_than_seconds)
    # Reports older than the window are not swept: a newly activated version scores what is
    # current, it does not raise alerts for last week's reports.
    oldest = now - dt.timedelta(hours=settings.EW_SWEEP_WINDOW_HOURS)
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    try:
        queued = set() if eager else {tuple(item) for item in _score_queue.queued()}
    except Exception:
        log.warning("broker still down; sweep waits")
        return 0
    pending = []
    for kind, model in KINDS.items():
        stamp = _stamp(kind)
        failed = ScoringFailure.objects.filter(
            kind=kind, engine_version=version, status=ScoringFailure.Status.FAILED
        ).values("report_id")
        pks = (
            model.objects.filter(**{f"{stamp}__lt": cutoff, f"{stamp}__gte": oldest})
            .exclude(scores__engine_version=version)
            .exclude(pk__in=failed)  # left for the administrator (ScoringFailure)
            .order_by(stamp)
            .values_list("pk", flat=True)[:limit]
        )
        pending += [(kind, pk) for pk in pks if (kind, pk) not in queued]
    try:
        if eager:
            for kind, pk in pending:
                task_delay("incidents.tasks.score_report", kind, pk)
        else:
            _score_queue.push_many([list(item) for item in pending])
    except Exception:
        log.warning("broker still down; sweep stops")
        return 0
    return len(pending)
