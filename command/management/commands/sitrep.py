"""python manage.py sitrep --from ISO --to ISO --format html|pdf|csv|json --output FILE
[--partner] [--author NAME]: the situation report, the same figures as the page."""

import getpass
import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from command.sitrep import sitrep_build, sitrep_day, sitrep_period_default
from command.sitrep_render import sitrep_csv, sitrep_header, sitrep_pdf, sitrep_tables


class Command(BaseCommand):
    help = (
        "Write the situation report (laporan situasi) for a period as HTML, PDF, CSV or JSON. "
        "Without --from/--to: the last 24 hours. Times without an offset are WIB."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", help="ISO start, e.g. 2024-02-14T00:00")
        parser.add_argument("--to", dest="end", help="ISO end (exclusive), e.g. 2024-02-15T00:00")
        parser.add_argument("--format", choices=["html", "pdf", "csv", "json"], default="pdf")
        parser.add_argument("--output", "-o", help="file to write ('-' or none: standard output)")
        parser.add_argument(
            "--partner",
            action="store_true",
            help="the partner version (KPU/Bawaslu): no intelligence or personal data",
        )
        parser.add_argument(
            "--author",
            help="who the report names as its author (default: the OS user, else 'sistem')",
        )

    def handle(self, *args, **opts):
        if bool(opts["start"]) != bool(opts["end"]):
            raise CommandError("give --from and --to together")
        if opts["start"]:
            start, end = self._when(opts["start"], "--from"), self._when(opts["end"], "--to")
        else:
            start, end = sitrep_period_default()
        author = opts["author"] or _os_user()
        try:
            report = sitrep_build(start=start, end=end, partner=opts["partner"], author=author)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        fmt = opts["format"]
        if fmt == "pdf":
            data: bytes | str = sitrep_pdf(report)
        elif fmt == "csv":
            data = sitrep_csv(report)
        elif fmt == "json":
            data = json.dumps(report.as_dict(), ensure_ascii=False, indent=2)
        else:
            data = render_to_string(
                "operations/sitrep_standalone.html",
                {
                    "report": report,
                    "header": sitrep_header(report),
                    "tables": sitrep_tables(report),
                },
            )
        output = opts["output"]
        if not output or output == "-":
            if isinstance(data, bytes):
                raise CommandError("a PDF needs --output FILE")
            self.stdout.write(data)
            return
        path = Path(output)
        try:
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}") from None
        self.stderr.write(f"Laporan situasi {report.period_text} -> {path}")

    def _when(self, text: str, flag: str):
        value = parse_datetime(text)
        if value is None:
            day = parse_date(text)
            if day is None:
                raise CommandError(f"{flag}: not an ISO 8601 date or date-time: {text!r}")
            return sitrep_day(day=day)[0]
        return value if timezone.is_aware(value) else timezone.make_aware(value)


def _os_user() -> str:
    """The account running the command, or 'sistem' where there is none (a container)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "sistem"
