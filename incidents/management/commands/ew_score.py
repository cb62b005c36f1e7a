"""`python manage.py ew_score`: the early-warning engine's command-line face (issue #5).

Reads JSON Lines (stdin, or --input FILE), one report per line: `id`, `text` (required),
optional `source_reliability` (A..F), `info_credibility` (1..6), `channel` (intel, tip, field),
`kelurahan`, `reported_at` (ISO 8601; without an offset it is read as WIB), and the optional
context `vulnerability` (kurang_rawan, rawan, sangat_rawan), `phase_weight` and `source_id`.
Writes one JSON line per input line, in the same order:
`{"id": ..., "score": 0..100, "level": "hijau"|"kuning"|"merah", "reasons": [...]}`; with
--stream a line that completes a surge also carries `"surge": {...}`. A bad line (invalid JSON,
missing text, unknown grading letter, invalid date) gets `{"id": ..., "line": N, "error": ...}`
and the run goes on. Exit status 0 unless the input or the config cannot be read.

No reports in the database are needed. The config is the shipped default_config.json unless
--config names another JSON file (same format, e.g. an administrator's edited copy).
"""

import io
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from incidents.ew import Config, Engine, score_lines


class Command(BaseCommand):
    help = "Score reports (JSON Lines in, JSON Lines out) with the early-warning engine."
    stealth_options = ("stdin",)  # call_command(..., stdin=StringIO(...)) in tests

    def add_arguments(self, parser):
        parser.add_argument("--input", metavar="FILE", help="JSON Lines file (default: stdin)")
        parser.add_argument(
            "--stream",
            action="store_true",
            help="score lines as one time-ordered stream (corroboration and surges)",
        )
        parser.add_argument(
            "--config", metavar="FILE", help="engine config JSON (default: shipped)"
        )

    def handle(self, *args, **opts):
        try:
            config = Config.load(opts["config"]) if opts["config"] else None
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot load config {opts['config']}: {exc}") from None
        engine = Engine(config)
        if opts["input"]:
            try:
                source = open(opts["input"], encoding="utf-8", errors="replace")  # noqa: SIM115
            except OSError as exc:
                raise CommandError(f"cannot read {opts['input']}: {exc.strerror}") from None
        else:
            source = opts.get("stdin") or io.TextIOWrapper(
                sys.stdin.buffer, encoding="utf-8", errors="replace"
            )
        out = self.stdout
        try:
            for result in score_lines(source, engine=engine, stream=opts["stream"]):
                out.write(json.dumps(result, ensure_ascii=False))
        except (OSError, UnicodeError) as exc:
            raise CommandError(f"input could not be read: {exc}") from None
        finally:
            if opts["input"]:
                source.close()
