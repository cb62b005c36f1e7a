import time

from django.core.management.base import BaseCommand

from demo.situation import situation_seed


class Command(BaseCommand):
    help = "Add a demo polling-day situation (reports, responses, TPS returns) once."

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = situation_seed()
        if not result.created:
            self.stdout.write(f"Demo situation already there ({result.incidents} reports).")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo situation ready in {time.perf_counter() - started:.1f}s: "
                f"{result.incidents} reports, {result.tps_returns} TPS returns."
            )
        )
