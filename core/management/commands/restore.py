"""`manage.py restore FILE --yes`: replace the database and the evidence files with a backup's
(core/backup.py). Everything written since the backup is lost: it asks for --yes."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore the database and the media files from a backup archive."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--yes", action="store_true", help="yes, replace the current data with the backup's"
        )

    def handle(self, *args, **opts):
        if not opts["yes"]:
            raise CommandError(
                "restore replaces the database and the media files with the backup's; "
                "everything written since is lost. Run again with --yes."
            )
        try:
            manifest = backup_restore(Path(opts["file"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"restored {manifest['database']} database and {len(manifest['files']) - 1} "
            f"media file(s) from {manifest['created_at']}"
        )
