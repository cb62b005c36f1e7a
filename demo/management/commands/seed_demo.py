import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.builder import demo_seed


class Command(BaseCommand):
    help = (
        "Build the deterministic Kota Metro demo (idempotent: a second run changes nothing). "
        "Refuses when DEBUG is off unless given --allow-production; never changes the password "
        "of an account that already exists."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even though DEBUG is off (a throw-away database configured as production).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            # DEBUG off is how production runs: 825 demo officers, 462 demo TPS and logins with
            # the published demo password must not land in the real database by a slip.
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: this looks like a production database. "
                "If it is a throw-away one, run it again with --allow-production."
            )
        started = time.perf_counter()
        result = demo_seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready in {time.perf_counter() - started:.1f}s: {result.units} units, "
                f"{result.officers_polres} Polres officers + {result.officers_bko} BKO, "
                f"{result.tps} TPS (DPT {result.dpt}), {result.users} demo logins "
                "(komando, intel, lapangan, penghubung_kpu, admin)."
            )
        )
