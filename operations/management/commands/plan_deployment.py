import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from operations.models import DeploymentPattern
from operations.selectors import operation_window_default
from operations.services import plan_accept, plan_run

REPORT_KEYS = [
    "tps_total",
    "tps_covered",
    "tps_uncovered",
    "officers_available",
    "reserve",
    "officers_required",
    "officers_assigned",
    "shortfall",
    "bko_needed",
]


class Command(BaseCommand):
    help = "Run the deployment planner and print its coverage report (--json for one object)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--reserve", type=float, default=0.1, help="reserve share, 0..0.95")
        parser.add_argument("--pattern", help="pattern name (default: the default pattern)")
        parser.add_argument("--from", dest="starts_at", help="ISO start (default H-1 00:00)")
        parser.add_argument("--to", dest="ends_at", help="ISO end (default H+1 23:59)")
        parser.add_argument(
            "--reset-manual", action="store_true", help="do not keep manual assignments"
        )
        parser.add_argument("--accept", action="store_true", help="apply the plan at once")

    def handle(self, *args, **opts):
        start, end = operation_window_default()
        if opts["starts_at"]:
            start = self._when(opts["starts_at"], "--from")
        if opts["ends_at"]:
            end = self._when(opts["ends_at"], "--to")
        pattern = None
        if opts["pattern"]:
            pattern = DeploymentPattern.objects.filter(name=opts["pattern"]).first()
            if pattern is None:
                names = ", ".join(DeploymentPattern.objects.values_list("name", flat=True))
                raise CommandError(f"unknown pattern {opts['pattern']!r}; known: {names}")
        try:
            plan = plan_run(
                by=None,
                pattern=pattern,
                reserve_share=opts["reserve"],
                starts_at=start,
                ends_at=end,
                keep_manual=not opts["reset_manual"],
            )
            if opts["accept"]:
                plan = plan_accept(plan=plan, by=None)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        cov = plan.coverage
        if opts["json"]:
            report = {k: cov[k] for k in REPORT_KEYS}
            report.update(
                {
                    "plan_id": plan.pk,
                    "status": plan.status,
                    "pattern": plan.pattern.name,
                    "shortfall_by_category": cov["shortfall_by_category"],
                    "assigned_by_tier": cov["assigned_by_tier"],
                    "duration_ms": plan.duration_ms,
                }
            )
            self.stdout.write(json.dumps(report))
            return
        self.stdout.write(f"Rencana #{plan.pk} ({plan.pattern.name}), {plan.status}")
        self.stdout.write(f"  TPS: {cov['tps_total']}, belum tercakup {cov['tps_uncovered']}")
        self.stdout.write(
            f"  Personel: tersedia {cov['officers_available']}, cadangan {cov['reserve']}, "
            f"dibutuhkan {cov['officers_required']}, ditempatkan {cov['officers_assigned']}"
        )
        tiers = cov["assigned_by_tier"]
        self.stdout.write(
            f"  Asal: Polsek {tiers['polsek']}, Polres {tiers['polres']}, BKO {tiers['bko']}"
        )
        self.stdout.write(f"  Kekurangan: {cov['shortfall']} (BKO dibutuhkan {cov['bko_needed']})")
        for category, short in cov["shortfall_by_category"].items():
            if short:
                self.stdout.write(f"    {category}: {short}")
        self.stdout.write(f"  Dihitung dalam {plan.duration_ms} ms")

    def _when(self, text: str, flag: str):
        value = parse_datetime(text)
        if value is None:
            raise CommandError(f"{flag}: not an ISO 8601 date-time: {text!r}")
        return value if timezone.is_aware(value) else timezone.make_aware(value)
