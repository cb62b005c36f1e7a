import time

from django.core.management.base import BaseCommand

from demo.builder import demo_seed


class Command(BaseCommand):
    help = "Build the deterministic Kota Metro demo (idempotent: a second run changes nothing)."

    def handle(self, *args, **options):
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
