"""Exercise pages under /operasi/latihan/: scenarios and runs, the scenario form, starting and
stopping a run, and the after-action report with its timeline (docs/exercises.md)."""

import copy
import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from command import exercises
from command.aar import exercise_report, exercise_timeline_svg
from command.scenario import (
    scenario_file_read,
    scenario_files,
    scenario_get_or_load,
    scenario_save,
    scenario_span_seconds,
)
from core.access import (
    CAN_EDIT_SCENARIOS,
    CAN_READ_EXERCISE_RUNS,
    CAN_READ_EXERCISES,
    CAN_RUN_EXERCISES,
    role_required,
    user_has_role,
)
from operations.models import ExerciseRun, Scenario


@role_required(*CAN_READ_EXERCISES)
def exercise_list(request):
    """Scenarios (database and shipped files) and, for komando and intel, the runs."""
    in_db = {s.name: s for s in Scenario.objects.order_by("name")}
    rows = []
    for name, scenario in in_db.items():
        rows.append(
            {
                "name": name,
                "title": scenario.title,
                "source": scenario.get_source_display(),
                "version": scenario.version,
                "injects": len(scenario.definition.get("injects", [])),
                "minutes": scenario_span_seconds(scenario.definition) / 60,
            }
        )
    for name, path in scenario_files().items():
        if name in in_db:
            continue
        try:
            definition = scenario_file_read(path)
        except ValidationError:
            continue
        rows.append(
            {
                "name": name,
                "title": definition["title"],
                "source": _("berkas (belum dimuat)"),
                "version": None,
                "injects": len(definition["injects"]),
                "minutes": scenario_span_seconds(definition) / 60,
            }
        )
    rows.sort(key=lambda r: r["name"])
    can_read_runs = user_has_role(request.user, CAN_READ_EXERCISE_RUNS)
    runs = (
        ExerciseRun.objects.select_related("scenario", "started_by")[:30] if can_read_runs else []
    )
    return render(
        request,
        "operations/exercises/list.html",
        {
            "scenarios": rows,
            "runs": runs,
            "can_start": user_has_role(request.user, CAN_RUN_EXERCISES),
            "can_edit": user_has_role(request.user, CAN_EDIT_SCENARIOS),
            "running": ExerciseRun.objects.filter(status=ExerciseRun.Status.RUNNING).first()
            if can_read_runs
            else None,
        },
    )


def _scenario_form(request, scenario: Scenario | None, initial_text: str):
    errors: dict[str, list[str]] = {}
    text = initial_text
    if request.method == "POST":
        text = request.POST.get("definition", "")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            errors = {
                "JSON": [_("tidak sah: %(e)s (baris %(l)d)") % {"e": exc.msg, "l": exc.lineno}]
            }
        else:
            try:
                saved = scenario_save(
                    by=request.user, data=data, source=Scenario.Source.FORM, scenario=scenario
                )
            except ValidationError as exc:
                errors = exc.message_dict
            else:
                messages.success(
                    request,
                    _("Skenario %(n)s disimpan (versi %(v)d).")
                    % {"n": saved.name, "v": saved.version},
                )
                return redirect("exercise-list")
    return render(
        request,
        "operations/exercises/scenario_form.html",
        {"scenario": scenario, "text": text, "errors": sorted(errors.items())},
        status=400 if errors else 200,
    )


@role_required(*CAN_EDIT_SCENARIOS)
def scenario_new(request):
    example = scenario_files().get("sengketa-tps")
    text = example.read_text(encoding="utf-8") if example else "{}"
    return _scenario_form(request, None, text)


@role_required(*CAN_EDIT_SCENARIOS)
def scenario_edit(request, name: str):
    scenario = Scenario.objects.filter(name=name).first()
    if scenario is not None:
        text = json.dumps(scenario.definition, ensure_ascii=False, indent=2)
    else:
        path = scenario_files().get(name)
        if path is None:
            raise Http404
        # A shipped file not loaded yet: saving the form makes it a form-sourced scenario.
        text = path.read_text(encoding="utf-8")
    return _scenario_form(request, scenario, text)


@role_required(*CAN_RUN_EXERCISES)
@require_POST
def run_start(request, name: str):
    try:
        scenario = scenario_get_or_load(name)
        run = exercises.exercise_run_start(
            scenario=scenario, by=request.user, speed=request.POST.get("speed", "1")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("exercise-list")
    messages.success(request, _("Latihan #%(n)d dimulai.") % {"n": run.pk})
    return redirect("exercise-run", pk=run.pk)


def _run_get(pk: int) -> ExerciseRun:
    run = get_object_or_404(ExerciseRun.objects.select_related("scenario", "started_by"), pk=pk)
    if settings.CELERY_TASK_ALWAYS_EAGER and run.status == ExerciseRun.Status.RUNNING:
        # Embedded default: no worker holds the ETA tasks, so viewing the run plays what is due.
        run = exercises.exercise_run_advance(run=run)
    return run


def _timeline_labels(run: ExerciseRun) -> dict:
    return {
        "title": _("Garis waktu latihan #%(n)d (waktu skenario, menit:detik)") % {"n": run.pk},
        "alert": _("peringatan"),
        "ack": _("diterima"),
        "dispatch": _("dikerahkan"),
        "on_scene": _("tiba"),
        "fired": _("inject dimainkan"),
        "not_played": _("tidak dimainkan"),
        "force": _("kekuatan"),
    }


def _labelled(report: dict) -> dict:
    """The report for the page: each check and miss with its words in the user's language."""
    outcomes = {
        "met": _("tepat"),
        "late": _("terlambat"),
        "missed": _("terlewat"),
        "pending": _("menunggu"),
        "not_played": _("tidak dimainkan"),
        "wrong": _("salah"),
    }
    whats = {
        "alert": _("peringatan"),
        "ack": _("diterima"),
        "dispatch": _("dikerahkan"),
        "on_scene": _("tiba"),
        "force": _("kekuatan"),
    }
    shown = copy.deepcopy(report)
    items = [c for row in shown["injects"] for c in row["checks"]] + shown["missed"]
    for item in items:
        item["outcome_label"] = outcomes.get(item["outcome"], item["outcome"])
        item["what_label"] = whats.get(item["what"], item["what"])
    return shown


@role_required(*CAN_READ_EXERCISE_RUNS)
def run_detail(request, pk: int):
    run = _run_get(pk)
    report = exercise_report(run=run)
    return render(
        request,
        "operations/exercises/run_detail.html",
        {
            "run": run,
            "report": _labelled(report),
            "timeline": exercise_timeline_svg(report, _timeline_labels(run)),
            "can_stop": user_has_role(request.user, CAN_RUN_EXERCISES)
            and run.status == ExerciseRun.Status.RUNNING,
            "refresh": run.status == ExerciseRun.Status.RUNNING,
        },
    )


@role_required(*CAN_READ_EXERCISE_RUNS)
def run_report_json(request, pk: int):
    run = _run_get(pk)
    return JsonResponse(exercise_report(run=run), json_dumps_params={"ensure_ascii": False})


@role_required(*CAN_RUN_EXERCISES)
@require_POST
def run_stop(request, pk: int):
    run = get_object_or_404(ExerciseRun, pk=pk)
    try:
        exercises.exercise_run_stop(run=run, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Latihan #%(n)d dihentikan.") % {"n": run.pk})
    return redirect("exercise-run", pk=run.pk)
