import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from incidents.learning import ew_backtest_run
from incidents.models import EwConfig
from incidents.selectors import alert_backtest


class Command(BaseCommand):
    help = (
        "Back-test the alerts: which were followed by incidents in the same kelurahan within "
        "N hours, and which incidents had no alert before them. With --config V: how engine "
        "version V would score the stored and the corrected reports. Prints one JSON object."
    )

    def add_arguments(self, parser):
        parser.add_argument("--config", metavar="VERSION", help="backtest an engine version")
        parser.add_argument("--limit", type=int, default=2000, help="stored reports (--config)")
        parser.add_argument("--from", dest="since", help="ISO start (default: 7 days ago)")
        parser.add_argument("--to", dest="until", help="ISO end (default: now)")
        parser.add_argument("--hours", type=int, default=6)

    def handle(self, *args, **opts):
        if opts["config"]:
            self._config(opts["config"], opts["limit"])
            return
        until = self._when(opts["until"], "--to") if opts["until"] else timezone.now()
        since = (
            self._when(opts["since"], "--from") if opts["since"] else until - dt.timedelta(days=7)
        )
        if opts["hours"] < 1:
            raise CommandError("--hours must be at least 1")
        report = alert_backtest(since=since, until=until, hours=opts["hours"])
        self.stdout.write(json.dumps(report, ensure_ascii=False))

    def _config(self, version: str, limit: int) -> None:
        config = EwConfig.objects.filter(version=version).first()
        if config is None:
            known = ", ".join(EwConfig.objects.values_list("version", flat=True)) or "none"
            raise CommandError(f"no engine version {version!r} (stored versions: {known})")
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        result = ew_backtest_run(config=config, by=None, limit=limit)
        out = {"backtest": result.pk, "version": version, "against": result.against}
        self.stdout.write(json.dumps({**out, **result.summary}, ensure_ascii=False))

    def _when(self, text, flag):
        value = parse_datetime(text)
        if value is None:
            raise CommandError(f"{flag}: not an ISO 8601 date-time: {text!r}")
        return value if timezone.is_aware(value) else timezone.make_aware(value)
