"""Backups that restore (issue #16): `make backup` writes the database and the evidence files,
a wipe loses them, `make restore FILE` brings back every row and every file byte for byte; a
damaged archive restores nothing."""

import hashlib
import io
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from core.backup import BackupError, backup_create, backup_restore, backups_prune
from incidents.models import Incident, IncidentPhoto
from personnel.models import Officer

APPS = ("core", "personnel", "operations", "incidents", "auth", "authtoken")


def counts() -> dict[str, int]:
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in APPS and not m._meta.proxy
    }


def evidence(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def filled(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BACKUP_DIR = tmp_path / "backups"
    call_command("seed_demo", "--allow-production", verbosity=0)
    reporter = Officer.objects.filter(user__isnull=False).first().user
    incident = Incident.objects.create(
        type="unjuk_rasa",
        occurred_at=timezone.now(),
        description="massa di depan KPU",
        reporter=reporter,
        verify_due_at=timezone.now(),
    )
    photo = IncidentPhoto(
        incident=incident, sha256="1" * 64, content_type="image/png", size=12, uploaded_by=reporter
    )
    photo.display.save("bukti.png", ContentFile(b"\x89PNG\r\n\x1a\nbersih"), save=False)
    photo.original.save("bukti-asli.png", ContentFile(b"\x89PNG\r\n\x1a\nasli+gps"), save=False)
    photo.save()
    return settings


def test_a_backup_brings_back_every_row_and_evidence_file_after_a_wipe(filled):
    media = Path(filled.MEDIA_ROOT)
    rows, files = counts(), evidence(media)
    assert rows["personnel.Officer"] > 500 and len(files) == 2
    out = io.StringIO()
    call_command("backup", stdout=out)
    archive = Path(out.getvalue().strip())
    assert archive.is_file() and archive.parent == Path(filled.BACKUP_DIR)

    call_command("flush", "--noinput")  # the wipe
    for path in media.rglob("*"):
        if path.is_file():
            path.unlink()
    assert Officer.objects.count() == 0 and evidence(media) == {}

    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(archive))
    call_command("restore", str(archive), "--yes", stdout=io.StringIO())
    assert counts() == rows
    assert evidence(media) == files


def test_a_damaged_backup_restores_nothing(filled, tmp_path):
    archive = backup_create()
    before = counts()
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name.startswith("media/"):
                data = data + b"!"  # one byte more than the manifest says
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    with pytest.raises(BackupError, match="damaged backup"):
        backup_restore(damaged)
    assert counts() == before


def test_only_the_newest_backups_are_kept(tmp_path):
    for i in range(5):
        (tmp_path / f"sispam-backup-2026120{i}T000000Z.tar.gz").write_bytes(b"x")
    gone = backups_prune(tmp_path, keep=2)
    assert len(gone) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "sispam-backup-20261203T000000Z.tar.gz",
        "sispam-backup-20261204T000000Z.tar.gz",
    ]
