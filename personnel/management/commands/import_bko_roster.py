from django.core.management.base import BaseCommand, CommandError

from core.csv_io import TextProgressBar, command_file_read, command_report, command_user
from personnel.csv_io import bko_roster_import
from personnel.models import BkoContingent


class Command(BaseCommand):
    help = (
        "Check a BKO contingent in from its roster (columns: nrp, name, rank[, phone, "
        "function]). Every NRP must be new. All rows or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file (UTF-8, `,` or `;`); - reads stdin")
        parser.add_argument("--contingent", required=True, help="the contingent's code")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--user", help="username to record in the audit trail")

    def handle(self, *args, **options):
        try:
            contingent = BkoContingent.objects.get(code=options["contingent"])
        except BkoContingent.DoesNotExist:
            raise CommandError(f"unknown contingent: {options['contingent']}") from None
        data = command_file_read(options["file"])
        by = command_user(options["user"])
        progress = TextProgressBar(self.stderr)
        result = bko_roster_import(
            contingent=contingent, data=data, by=by, progress=progress, dry_run=options["dry_run"]
        )
        progress.close()
        command_report(self, result, dry_run=options["dry_run"])
