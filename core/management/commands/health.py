"""`manage.py health [--require PART,...]`: the parts' health as /healthz sees it, one line each;
exits 1 when a required part is not ok (docker-compose's healthchecks use it: the worker and beat
services require `worker`, a fresh heartbeat)."""

import json

from django.core.management.base import BaseCommand, CommandError

from core.health import health_checks

PARTS = ("database", "broker", "channel_layer", "worker")
GOOD = {"ok", "eager"}


class Command(BaseCommand):
    help = "Print the health of each part; fail when a required part is not ok."

    def add_arguments(self, parser):
        parser.add_argument(
            "--require",
            default="database",
            help=f"comma-separated parts that must be ok ({', '.join(PARTS)})",
        )

    def handle(self, *args, **opts):
        required = [p.strip() for p in opts["require"].split(",") if p.strip()]
        unknown = sorted(set(required) - set(PARTS))
        if unknown:
            raise CommandError(f"unknown part(s): {', '.join(unknown)}; known: {', '.join(PARTS)}")
        _status, checks = health_checks()
        for name, check in checks.items():
            self.stdout.write(f"{name}: {json.dumps(check, sort_keys=True)}")
        bad = [p for p in required if checks.get(p, {}).get("status") not in GOOD]
        if bad:
            raise CommandError(f"not healthy: {', '.join(bad)}")
