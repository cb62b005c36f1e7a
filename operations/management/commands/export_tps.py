from django.core.management.base import BaseCommand, CommandError

from operations.csv_io import tps_export


class Command(BaseCommand):
    help = "Write every TPS as CSV (the columns import_tps reads) to stdout or a file."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        path = options["output"]
        if not path:
            count = tps_export(self.stdout)
        else:
            # With a BOM, so that a spreadsheet opens the file as UTF-8 (imports accept it).
            try:
                with open(path, "w", encoding="utf-8-sig", newline="") as handle:
                    count = tps_export(handle)
            except OSError as exc:
                raise CommandError(f"cannot write {path}: {exc.strerror}") from None
        self.stderr.write(f"exported {count} TPS")
