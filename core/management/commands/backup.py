"""`manage.py backup [--dir DIR]`: write an archive of the database and the evidence files
(core/backup.py) and print its path."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database and the media files into one archive."

    def add_arguments(self, parser):
        parser.add_argument("--dir", help="where to write it (default BACKUP_DIR)")

    def handle(self, *args, **opts):
        try:
            path = backup_create(Path(opts["dir"]) if opts["dir"] else None)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(path))
