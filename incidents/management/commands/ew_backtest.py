import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from incidents.selectors import alert_backtest


class Command(BaseCommand):
    help = (
        "Back-test the alerts: which were followed by incidents in the same kelurahan within "
        "N hours, and which incidents had no alert before them. Prints one JSON object."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="since", help="ISO start (default: 7 days ago)")
        parser.add_argument("--to", dest="until", help="ISO end (default: now)")
        parser.add_argument("--hours", type=int, default=6)

    def handle(self, *args, **opts):
        until = self._when(opts["until"], "--to") if opts["until"] else timezone.now()
        since = (
            self._when(opts["since"], "--from") if opts["since"] else until - dt.timedelta(days=7)
        )
        if opts["hours"] < 1:
            raise CommandError("--hours must be at least 1")
        report = alert_backtest(since=since, until=until, hours=opts["hours"])
        self.stdout.write(json.dumps(report, ensure_ascii=False))

    def _when(self, text, flag):
        value = parse_datetime(text)
        if value is None:
            raise CommandError(f"{flag}: not an ISO 8601 date-time: {text!r}")
        return value if timezone.is_aware(value) else timezone.make_aware(value)
