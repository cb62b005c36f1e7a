"""The engine learns from the command post: corrections, training, backtest, activation.

- **Corrections** (`ew_correction_create`): komando or intel mark a scored report's right level
  with a short reason; append-only and audited. The latest correction of a report counts.
- **Training** (`ew_training_request` -> Celery task -> `ew_training_execute`, or
  `manage.py ew_train`): the corpus in ``EW_CORPUS_DIR`` (one JSON Lines file per author) plus
  every report's latest correction (as one more author, ``koreksi``) trains a new version of the
  learned layer (incidents/ew/train.py) on the active version's lexicon; it is saved as an
  inactive ``EwConfig`` with the model inline.
- **Backtest** (`ew_backtest_run`, `manage.py ew_backtest --config V`): how version V would
  score the stored reports (the latest ``limit`` scored under the active version) and the
  corrected ones: how many change level, which, and which corrections it now agrees with.
- **Activation** (`ew_config_activate`) names the backtest that was shown; a backtest of
  another version, against another active version, or older than ``EW_BACKTEST_MAX_MINUTES``
  is refused, so nobody activates a version without having seen what it changes.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.queue import task_delay
from core.services import audit_record
from incidents.ew import Config, Engine, rules_config
from incidents.ew.train import read_corpus, train
from incidents.models import (
    AlertLevel,
    EwBacktest,
    EwConfig,
    EwCorrection,
    EwScore,
    EwTrainingRun,
)
from incidents.scoring import engine_get, engine_version, report_build

log = logging.getLogger(__name__)
CORRECTIONS_AUTHOR = "koreksi"
REASON_MAX = 500
CHANGES_LISTED = 100


# --------------------------------------------------------------------------- corrections


def score_subject(score: EwScore) -> tuple[str, object]:
    """(kind, report) of a score."""
    for kind in ("intel", "tip", "incident"):
        obj = getattr(score, kind)
        if obj is not None:
            return kind, obj
    raise ValueError("score without a report")


def ew_correction_create(*, score: EwScore, level: str, reason: str, by) -> EwCorrection:
    """Record the right level of a scored report, with its reason (audited)."""
    reason = (reason or "").strip()
    errors = {}
    if level not in AlertLevel.values:
        errors["level"] = _("Tingkat harus hijau, kuning atau merah.")
    if len(reason) < 3:
        errors["reason"] = _("Tuliskan alasan koreksi (minimal 3 huruf).")
    elif len(reason) > REASON_MAX:
        errors["reason"] = _("Alasan paling banyak %(n)d huruf.") % {"n": REASON_MAX}
    if score.is_exercise:
        errors["score"] = _("Laporan latihan tidak dipakai untuk melatih mesin.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        correction = EwCorrection.objects.create(score=score, level=level, reason=reason, by=by)
        audit_record(
            actor=by,
            action="ew.correction",
            obj=score,
            changes={"level": [score.level, level]},
            note=reason,
        )
    return correction


def corrections_latest() -> dict[tuple[str, int], EwCorrection]:
    """The latest correction of each corrected report, by (kind, report id)."""
    out: dict[tuple[str, int], EwCorrection] = {}
    rows = EwCorrection.objects.select_related(
        "score__intel__kelurahan",
        "score__intel__tps",
        "score__tip__kelurahan",
        "score__incident__kelurahan",
        "score__incident__tps",
        "by",
    ).order_by("created_at", "id")
    for c in rows:
        kind, obj = score_subject(c.score)
        out[(kind, obj.pk)] = c
    return out


def correction_row(correction: EwCorrection) -> dict:
    """A correction in the corpus format (ew_score's input fields plus `expected`)."""
    kind, obj = score_subject(correction.score)
    report = report_build(kind, obj)
    return {
        "id": f"{kind}-{obj.pk}",
        "text": report.text,
        "channel": report.channel,
        "kelurahan": report.kelurahan,
        "source_reliability": report.source_reliability,
        "info_credibility": report.info_credibility,
        "reported_at": report.reported_at.isoformat() if report.reported_at else None,
        "expected": correction.level,
        "reason": correction.reason,
    }


def corrections_export() -> list[dict]:
    """Every corrected report once (its latest correction), oldest first, as corpus lines."""
    return [correction_row(c) for c in corrections_latest().values()]


# --------------------------------------------------------------------------- training


def corpus_rows(corpus_dir: Path | None = None, *, corrections: bool = True) -> list[dict]:
    corpus_dir = Path(corpus_dir or settings.EW_CORPUS_DIR)
    rows = read_corpus(sorted(corpus_dir.glob("*.jsonl")))
    if corrections:
        for row in corrections_export():
            rows.append({**row, "author": CORRECTIONS_AUTHOR})
    return rows


def _base_config() -> dict:
    """The active version's lexicon (its model left out), or the shipped rules."""
    active = engine_get().config.to_dict()
    active.pop("model", None)
    return active if active.get("categories") else rules_config().to_dict()


def ew_version_next() -> str:
    """A fresh version name: ew-YYYYMMDD-N."""
    day = timezone.localdate().strftime("%Y%m%d")
    taken = set(EwConfig.objects.values_list("version", flat=True))
    taken |= set(EwTrainingRun.objects.values_list("version", flat=True))
    n = 1
    while f"ew-{day}-{n}" in taken:
        n += 1
    return f"ew-{day}-{n}"


def ew_training_request(*, by, version: str | None = None) -> EwTrainingRun:
    """Queue the training of a new version (a worker runs it; eagerly in the embedded default)."""
    version = version or ew_version_next()
    taken = (
        EwConfig.objects.filter(version=version).exists()
        or EwTrainingRun.objects.filter(version=version).exists()
    )
    if taken:
        raise ValidationError({"version": _("Versi %(v)s sudah ada.") % {"v": version}})
    with transaction.atomic():
        run = EwTrainingRun.objects.create(version=version, requested_by=by)
        audit_record(actor=by, action="ew.train.request", obj=run)
        transaction.on_commit(lambda: task_delay("incidents.tasks.ew_train", run.pk))
    return run


def ew_training_execute(
    *, run: EwTrainingRun, corpus_dir: Path | None = None, corrections: bool = True
) -> EwConfig:
    """Train the run's version on the corpus and the corrections; save it inactive."""
    EwTrainingRun.objects.filter(pk=run.pk).update(status=EwTrainingRun.Status.RUNNING)
    try:
        rows = corpus_rows(corpus_dir, corrections=corrections)
        if len({r["expected"] for r in rows}) < 3:
            raise ValueError("the corpus needs reports of all three levels")
        base = _base_config()
        featuriser = Engine(Config.from_dict({**base, "version": run.version}))
        artefact = train(
            rows,
            lambda r: featuriser.model_blocks(r["text"], r.get("channel")),
            version=run.version,
        )
        data = {**base, "version": run.version, "model": artefact}
        Config.from_dict(data)
        n_corr = sum(1 for r in rows if r["author"] == CORRECTIONS_AUTHOR)
        summary = {
            "reports": len(rows),
            "authors": artefact["trained"]["authors"],
            "corrections": n_corr,
            "per_level": artefact["trained"]["per_level"],
            "thresholds": artefact["thresholds"],
            "features": len(artefact["coef"]),
            "base": base.get("version"),
        }
        with transaction.atomic():
            config = EwConfig.objects.create(
                version=run.version,
                config=data,
                is_active=False,
                note=_("Dilatih dari %(n)d laporan (%(c)d koreksi).")
                % {"n": len(rows), "c": n_corr},
            )
            EwTrainingRun.objects.filter(pk=run.pk).update(
                status=EwTrainingRun.Status.DONE, finished_at=timezone.now(), summary=summary
            )
            audit_record(
                actor=run.requested_by,
                action="ew.train",
                obj=config,
                changes={"version": [None, run.version]},
            )
        return config
    except Exception as exc:
        log.exception("training %s failed", run.version)
        EwTrainingRun.objects.filter(pk=run.pk).update(
            status=EwTrainingRun.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000]
        )
        raise


# --------------------------------------------------------------------------- backtest


def _summary_model(config: EwConfig) -> dict:
    model = (config.config or {}).get("model")
    return model.get("trained", {}) if isinstance(model, dict) else {}


def ew_backtest_run(*, config: EwConfig, by, limit: int = 2000) -> EwBacktest:
    """Score the stored and the corrected reports with `config`; store what would change."""
    against = engine_version()
    engine = Engine(Config.from_dict({**config.config, "version": config.version}))
    scores = list(
        EwScore.objects.filter(engine_version=against, is_exercise=False)
        .select_related(
            "intel__kelurahan",
            "intel__tps",
            "tip__kelurahan",
            "incident__kelurahan",
            "incident__tps",
        )
        .order_by("-scored_at", "-id")[:limit]
    )
    transitions: dict[str, int] = {}
    changes = []
    current: dict[tuple[str, int], str] = {}
    for s in scores:
        kind, obj = score_subject(s)
        current[(kind, obj.pk)] = s.level
        new = engine.score(report_build(kind, obj))
        if new.level != s.level:
            key = f"{s.level}->{new.level}"
            transitions[key] = transitions.get(key, 0) + 1
            if len(changes) < CHANGES_LISTED:
                changes.append(
                    {
                        "ref": f"{kind}-{obj.pk}",
                        "from": s.level,
                        "to": new.level,
                        "score": new.score,
                        "text": report_build(kind, obj).text[:140],
                    }
                )
    corr_rows = []
    agree_new = agree_active = 0
    for (kind, pk), c in corrections_latest().items():
        obj = getattr(c.score, kind)
        new = engine.score(report_build(kind, obj))
        active_level = current.get((kind, pk))
        if active_level is None:
            active_level = (
                EwScore.objects.filter(**{kind: obj}, engine_version=against)
                .values_list("level", flat=True)
                .first()
            ) or c.score.level
        agree_new += new.level == c.level
        agree_active += active_level == c.level
        corr_rows.append(
            {
                "ref": f"{kind}-{pk}",
                "expected": c.level,
                "active": active_level,
                "new": new.level,
                "now_agrees": new.level == c.level and active_level != c.level,
                "now_disagrees": new.level != c.level and active_level == c.level,
            }
        )
    summary = {
        "reports": len(scores),
        "changed": sum(transitions.values()),
        "transitions": transitions,
        "changes": changes,
        "corrections": {
            "n": len(corr_rows),
            "agree_new": agree_new,
            "agree_active": agree_active,
            "rows": corr_rows[:CHANGES_LISTED],
        },
        "trained": _summary_model(config),
    }
    with transaction.atomic():
        backtest = EwBacktest.objects.create(config=config, against=against, by=by, summary=summary)
        audit_record(
            actor=by,
            action="ew.backtest",
            obj=config,
            changes={"against": [None, against], "changed": [None, summary["changed"]]},
        )
    return backtest


def ew_config_activate(*, config: EwConfig, backtest: EwBacktest | None, by) -> EwConfig:
    """Activate `config` after its backtest was shown (the backtest is named by the caller)."""
    if backtest is None or backtest.config_id != config.pk:
        raise ValidationError({"backtest": _("Jalankan dan tinjau backtest versi ini dulu.")})
    if config.is_active:
        raise ValidationError({"version": _("Versi ini sudah aktif.")})
    if backtest.against != engine_version():
        raise ValidationError(
            {"backtest": _("Versi aktif sudah berubah sejak backtest; jalankan lagi.")}
        )
    age = timezone.now() - backtest.created_at
    if age > dt.timedelta(minutes=settings.EW_BACKTEST_MAX_MINUTES):
        raise ValidationError({"backtest": _("Backtest sudah kedaluwarsa; jalankan lagi.")})
    with transaction.atomic():
        previous = EwConfig.objects.select_for_update().filter(is_active=True).first()
        EwConfig.objects.filter(is_active=True).update(is_active=False)
        EwConfig.objects.filter(pk=config.pk).update(is_active=True)
        audit_record(
            actor=by,
            action="ew.activate",
            obj=config,
            changes={"active": [previous.version if previous else None, config.version]},
            note=f"backtest {backtest.pk}",
        )
    config.refresh_from_db()
    return config
