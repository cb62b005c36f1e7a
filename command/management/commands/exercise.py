"""Sispamkota exercises from the command line (docs/exercises.md).

    python manage.py exercise list [--json]
    python manage.py exercise validate FILE
    python manage.py exercise load [NAME ...] [--force]
    python manage.py exercise run NAME [--speed N] [--timeout S] [--user USERNAME]
    python manage.py exercise stop RUN_ID
    python manage.py exercise report RUN_ID

`run` starts the scenario on the running stack and waits until the run ends: its last inject
plus the longest expected window after it, in scenario time divided by the speed, plus a few
seconds of grace (or `--timeout` real seconds, after which the run is stopped). Ctrl-C stops the
run. It then prints the after-action report as one JSON object on stdout (progress goes to
stderr). In the embedded default (eager Celery, no worker) the command plays the injects itself
at their due times.
"""

import json
import signal
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from command import exercises
from command.aar import exercise_report
from command.scenario import (
    scenario_file_read,
    scenario_files,
    scenario_get_or_load,
    scenario_load_files,
    scenario_span_seconds,
)
from operations.models import ExerciseRun, Scenario

POLL_SECONDS = 0.5


def _errors_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "\n".join(f"  {k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return "\n".join(f"  {m}" for m in exc.messages)


class Command(BaseCommand):
    help = "Sispamkota exercises: list, validate, load, run, stop, report."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="shipped scenario files and scenarios in the DB")
        listing.add_argument("--json", action="store_true")
        validate = sub.add_parser("validate", help="check a scenario file")
        validate.add_argument("file")
        load = sub.add_parser("load", help="load the shipped scenario files into the database")
        load.add_argument("names", nargs="*")
        load.add_argument(
            "--force", action="store_true", help="overwrite scenarios edited in the form"
        )
        run = sub.add_parser("run", help="play a scenario and print the after-action report")
        run.add_argument("name")
        run.add_argument("--speed", type=float, default=1.0, help="N times faster than real time")
        run.add_argument("--timeout", type=float, default=None, help="stop after S real seconds")
        run.add_argument("--user", default=None, help="who starts it (a username)")
        stop = sub.add_parser("stop", help="stop a running exercise")
        stop.add_argument("run_id", type=int)
        report = sub.add_parser("report", help="print a run's after-action report as JSON")
        report.add_argument("run_id", type=int)

    def handle(self, *args, **opts):
        return getattr(self, f"do_{opts['action']}")(opts)

    # --- list, validate, load ------------------------------------------------------------

    def do_list(self, opts):
        rows = {}
        for name, path in scenario_files().items():
            try:
                definition = scenario_file_read(path)
                problem = ""
            except ValidationError as exc:
                definition, problem = None, _errors_text(exc).strip()
            rows[name] = {
                "name": name,
                "source": "file",
                "file": str(path.relative_to(settings.BASE_DIR)),
                "in_db": False,
                "version": None,
                "title": definition["title"] if definition else "",
                "injects": len(definition["injects"]) if definition else 0,
                "span_seconds": scenario_span_seconds(definition) if definition else 0,
                "problem": problem,
            }
        for scenario in Scenario.objects.order_by("name"):
            definition = scenario.definition
            rows[scenario.name] = {
                **rows.get(scenario.name, {"file": None, "problem": ""}),
                "name": scenario.name,
                "source": scenario.source,
                "in_db": True,
                "version": scenario.version,
                "title": scenario.title,
                "injects": len(definition.get("injects", [])),
                "span_seconds": scenario_span_seconds(definition),
            }
        if opts["json"]:
            self.stdout.write(json.dumps(list(rows.values()), ensure_ascii=False, indent=2))
            return
        for row in rows.values():
            where = f"db v{row['version']}" if row["in_db"] else "file (not loaded)"
            minutes = row["span_seconds"] / 60
            self.stdout.write(
                f"{row['name']:<28} {row['source']:<5} {where:<18} {row['injects']:>3} injects "
                f"{minutes:6.1f} min  {row['title']}"
            )
            if row["problem"]:
                self.stdout.write(row["problem"])

    def do_validate(self, opts):
        try:
            definition = scenario_file_read(Path(opts["file"]))
        except ValidationError as exc:
            raise CommandError(
                f"{opts['file']} is not a valid scenario:\n{_errors_text(exc)}"
            ) from None
        self.stdout.write(
            f"{opts['file']}: valid ({definition['name']}, {len(definition['injects'])} injects)"
        )

    def do_load(self, opts):
        try:
            done = scenario_load_files(names=opts["names"] or None, force=opts["force"])
        except ValidationError as exc:
            raise CommandError(f"a scenario file is not valid:\n{_errors_text(exc)}") from None
        for name, what in done:
            self.stdout.write(f"{name}: {what}")

    # --- run, stop, report ----------------------------------------------------------------

    def do_stop(self, opts):
        run = ExerciseRun.objects.filter(pk=opts["run_id"]).first()
        if run is None:
            raise CommandError(f"no exercise run {opts['run_id']}")
        try:
            exercises.exercise_run_stop(run=run, by=None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"run {run.pk} stopped")

    def do_report(self, opts):
        run = ExerciseRun.objects.select_related("scenario").filter(pk=opts["run_id"]).first()
        if run is None:
            raise CommandError(f"no exercise run {opts['run_id']}")
        self.stdout.write(json.dumps(exercise_report(run=run), ensure_ascii=False))

    def do_run(self, opts):
        user = None
        if opts["user"]:
            user = get_user_model().objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"no user {opts['user']}")
        try:
            scenario = scenario_get_or_load(opts["name"])
            run = exercises.exercise_run_start(scenario=scenario, by=user, speed=opts["speed"])
        except ValidationError as exc:
            raise CommandError(f"cannot start {opts['name']}:\n{_errors_text(exc)}") from None
        eager = settings.CELERY_TASK_ALWAYS_EAGER
        self.stderr.write(
            f"exercise run {run.pk}: {scenario.name} x{run.speed:g}, "
            f"{len(run.definition['injects'])} injects, ends {run.ends_at:%H:%M:%S}"
            + (" (embedded: this command plays the injects)" if eager else "")
        )
        # SIGTERM ends the wait like Ctrl-C does: the run is stopped, the report printed.
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        started = time.monotonic()
        fired = 0
        try:
            while True:
                if eager:
                    exercises.exercise_run_advance(run=run)
                run.refresh_from_db()
                now_fired = run.injects.filter(fired_at__isnull=False).count()
                if now_fired != fired:
                    fired = now_fired
                    self.stderr.write(f"  {fired}/{len(run.definition['injects'])} injects played")
                if run.status != ExerciseRun.Status.RUNNING:
                    break
                if opts["timeout"] is not None and time.monotonic() - started > opts["timeout"]:
                    self.stderr.write("timeout: stopping the run")
                    exercises.exercise_run_stop(run=run, by=user)
                    break
                # The worker's finish task ends the run; if no worker did, end it here.
                late = (timezone.now() - run.ends_at).total_seconds() if run.ends_at else 0
                if not eager and late > 10:
                    exercises.exercise_run_finish(run_id=run.pk)
                time.sleep(POLL_SECONDS)
        except KeyboardInterrupt:
            self.stderr.write("interrupted: stopping the run")
            run.refresh_from_db()
            if run.status == ExerciseRun.Status.RUNNING:
                exercises.exercise_run_stop(run=run, by=user)
        finally:
            signal.signal(signal.SIGTERM, previous)
        run.refresh_from_db()
        report = exercise_report(run=run)
        self.stderr.write(
            f"run {run.pk} {run.status}: "
            + ", ".join(f"{k} {v}" for k, v in report["summary"].items())
        )
        self.stdout.write(json.dumps(report, ensure_ascii=False))


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt
