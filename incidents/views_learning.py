"""Early-warning console pages: scored reports to correct, corrections, training runs and
versions, and a version's backtest before it is activated (komando and intel)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import CAN_TUNE_EARLY_WARNING, role_required
from incidents import learning
from incidents.models import AlertLevel, EwBacktest, EwConfig, EwCorrection, EwScore, EwTrainingRun
from incidents.scoring import engine_version

tune = role_required(*CAN_TUNE_EARLY_WARNING)


def _text(kind: str, obj) -> str:
    if kind == "incident":
        return f"{obj.get_type_display()}. {obj.description}"
    return obj.text


@tune
def console(request):
    """Scored reports (active version) with a correction form each; corrections; versions."""
    level = request.GET.get("tingkat", "")
    scores = (
        EwScore.objects.filter(engine_version=engine_version(), is_exercise=False)
        .select_related("intel", "tip", "incident", "kelurahan")
        .prefetch_related("corrections")
        .order_by("-scored_at", "-id")
    )
    if level in AlertLevel.values:
        scores = scores.filter(level=level)
    page = Paginator(scores, 20).get_page(request.GET.get("page"))
    rows = []
    for s in page:
        kind, obj = learning.score_subject(s)
        latest = max(s.corrections.all(), key=lambda c: (c.created_at, c.id), default=None)
        rows.append(
            {"score": s, "kind": kind, "obj": obj, "text": _text(kind, obj), "correction": latest}
        )
    return render(
        request,
        "incidents/ew_console.html",
        {
            "rows": rows,
            "page": page,
            "level": level,
            "levels": AlertLevel.choices,
            "active": engine_version(),
            "corrections": EwCorrection.objects.select_related("by", "score").order_by(
                "-created_at", "-id"
            )[:15],
            "corrections_total": EwCorrection.objects.count(),
            "versions": EwConfig.objects.order_by("-created_at", "-id")[:20],
            "runs": EwTrainingRun.objects.select_related("requested_by")[:5],
        },
    )


@tune
@require_POST
def correct(request):
    score = get_object_or_404(EwScore, pk=request.POST.get("score") or 0)
    try:
        learning.ew_correction_create(
            score=score,
            level=request.POST.get("level", ""),
            reason=request.POST.get("reason", ""),
            by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Koreksi disimpan: dipakai pada pelatihan berikutnya."))
    return redirect(request.POST.get("next") or "ew-console")


@tune
@require_POST
def train(request):
    try:
        run = learning.ew_training_request(
            by=request.user, version=request.POST.get("version", "").strip() or None
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("ew-console")
    run.refresh_from_db()
    if run.status == EwTrainingRun.Status.DONE:
        messages.success(request, _("Versi %(v)s selesai dilatih.") % {"v": run.version})
        return redirect("ew-version", version=run.version)
    if run.status == EwTrainingRun.Status.FAILED:
        messages.error(request, _("Pelatihan gagal: %(e)s") % {"e": run.error})
    else:
        messages.success(request, _("Pelatihan %(v)s berjalan di worker.") % {"v": run.version})
    return redirect("ew-console")


@tune
def version_page(request, version):
    config = get_object_or_404(EwConfig, version=version)
    backtest = None
    wanted = request.GET.get("backtest")
    if wanted and wanted.isdigit():
        backtest = EwBacktest.objects.filter(pk=wanted, config=config).first()
    if backtest is None:
        backtest = config.backtests.order_by("-created_at", "-id").first()
    return render(
        request,
        "incidents/ew_version.html",
        {
            "config": config,
            "trained": learning._summary_model(config),
            "learned": bool((config.config or {}).get("model")),
            "backtest": backtest,
            "active": engine_version(),
            "fresh": backtest is not None and backtest.against == engine_version(),
        },
    )


@tune
@require_POST
def backtest(request, version):
    config = get_object_or_404(EwConfig, version=version)
    result = learning.ew_backtest_run(config=config, by=request.user)
    return redirect(f"/intel/peringatan-dini/versi/{config.version}/?backtest={result.pk}")


@tune
@require_POST
def activate(request, version):
    config = get_object_or_404(EwConfig, version=version)
    wanted = request.POST.get("backtest", "")
    bt = EwBacktest.objects.filter(pk=wanted).first() if wanted.isdigit() else None
    try:
        learning.ew_config_activate(config=config, backtest=bt, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("ew-version", version=version)
    messages.success(request, _("Versi %(v)s aktif.") % {"v": version})
    return redirect("ew-console")
