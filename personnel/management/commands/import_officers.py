from django.core.management.base import BaseCommand

from core.csv_io import TextProgressBar, command_file_read, command_report, command_user
from personnel.csv_io import officers_import


class Command(BaseCommand):
    help = (
        "Create or update officers from a CSV file keyed by NRP (columns: nrp, name, rank, "
        "unit_code[, function, phone, status, satgas_code, contingent_code]). All rows or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file (UTF-8, `,` or `;`); - reads stdin")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--user", help="username to record in the audit trail")

    def handle(self, *args, **options):
        data = command_file_read(options["file"])
        by = command_user(options["user"])
        progress = TextProgressBar(self.stderr)
        result = officers_import(data=data, by=by, progress=progress, dry_run=options["dry_run"])
        progress.close()
        command_report(self, result, dry_run=options["dry_run"])
