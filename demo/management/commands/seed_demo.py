import datetime as dt
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo.builder import demo_seed


class Command(BaseCommand):
    help = (
        "Build the deterministic Kota Metro demo (idempotent: a second run changes nothing). "
        "Refuses when DEBUG is off unless given --allow-production; never changes the password "
        "of an account that already exists. The election calendar is placed so that polling "
        "day is today (Asia/Jakarta) unless --voting-day says otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even though DEBUG is off (a throw-away database configured as production).",
        )
        parser.add_argument(
            "--without-logistics",
            action="store_true",
            help="Leave out the ballot distribution plan (its custody trail is append-only).",
        )
        parser.add_argument(
            "--voting-day",
            metavar="YYYY-MM-DD",
            help=(
                "Polling day of the demo election (default: today in Asia/Jakarta); every other "
                "phase keeps its Pemilu 2024 distance from it. 2024-02-14 gives Pemilu 2024."
            ),
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            # DEBUG off is how production runs: 825 demo officers, 462 demo TPS and logins with
            # the published demo password must not land in the real database by a slip.
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: this looks like a production database. "
                "If it is a throw-away one, run it again with --allow-production."
            )
        voting_day = _voting_day(options.get("voting_day"))
        started = time.perf_counter()
        result = demo_seed(voting_day=voting_day, logistics=not options.get("without_logistics"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready in {time.perf_counter() - started:.1f}s: {result.units} units, "
                f"{result.officers_polres} Polres officers + {result.officers_bko} BKO, "
                f"{result.tps} TPS (DPT {result.dpt}), {result.users} demo logins "
                "(komando, intel, lapangan, penghubung_kpu, admin); polling day "
                f"{voting_day:%Y-%m-%d}."
            )
        )


def _voting_day(text: str | None) -> dt.date:
    if not text:
        return timezone.localdate()  # TIME_ZONE is Asia/Jakarta
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--voting-day wants a date as YYYY-MM-DD, not {text!r}.") from exc
