"""Backups that restore: the database and the evidence files in one archive, and back.

An archive (`sispam-backup-<UTC time>.tar.gz` in BACKUP_DIR) holds:
- `database.dump`: PostgreSQL's own custom-format dump (`pg_dump -Fc`, no owners or grants),
  or on the embedded default a consistent copy of the SQLite file (SQLite's backup API);
- `media/...`: every file under MEDIA_ROOT (evidence photos, their originals);
- `manifest.json`: when, which database, and the SHA-256 of every file above.

`backup_create` writes one and keeps the newest BACKUP_KEEP; `backup_restore` checks the
manifest first (a damaged archive restores nothing), then replaces the database (pg_restore
--clean, in one transaction) and the media directory. Commands: `manage.py backup`,
`manage.py restore FILE --yes`; `make backup`, `make restore FILE=...`; beat runs
`core.tasks.backup_daily` at 02:00 WIB. docs/operations-runbook.md has the drill.
"""

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connections

FORMAT = "sispam-backup/1"
PREFIX = "sispam-backup-"


class BackupError(Exception):
    """The archive cannot be written or restored (its message says why)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_env(db: dict) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore from Django's settings (password by env)."""
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {done.stderr.strip()[-800:]}")


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of one SQLite database onto another (SQLite's backup API)."""
    src, dst = sqlite3.connect(str(source)), sqlite3.connect(str(target))
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def _dump_database(target: Path) -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        args, env = _pg_env(db)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file",
              str(target), *args], env)  # fmt: skip
        return "postgresql"
    if db["ENGINE"] == "django.db.backends.sqlite3":
        _sqlite_copy(Path(db["NAME"]), target)
        return "sqlite"
    raise BackupError(f"no backup for the database engine {db['ENGINE']}")


def backup_create(directory: Path | None = None, *, keep: int | None = None) -> Path:
    """Write an archive of the database and the media files; returns its path."""
    directory = Path(directory or settings.BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    final = directory / f"{PREFIX}{stamp}.tar.gz"
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(dir=directory) as work:
        dump = Path(work) / "database.dump"
        vendor = _dump_database(dump)
        files = {"database.dump": _sha256(dump)}
        media_files = sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []
        for path in media_files:
            files[f"media/{path.relative_to(media).as_posix()}"] = _sha256(path)
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "database": vendor,
            "files": files,
        }
        partial = Path(work) / final.name
        with tarfile.open(partial, "w:gz") as tar:
            body = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
            tar.add(dump, arcname="database.dump")
            for path in media_files:
                tar.add(path, arcname=f"media/{path.relative_to(media).as_posix()}")
        partial.replace(final)  # whole or not at all
    backups_prune(directory, keep=settings.BACKUP_KEEP if keep is None else keep)
    return final


def backups_prune(directory: Path, *, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives; the ones deleted."""
    archives = sorted(directory.glob(f"{PREFIX}*.tar.gz"))
    gone = archives[:-keep] if keep > 0 else []
    for path in gone:
        path.unlink()
    return gone


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for member in tar.getmembers():
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"refused: {member.name!r} is not a plain file of a backup")
        members.append(member)
    return members


def backup_restore(archive: Path) -> dict:
    """Replace the database and the media files with the archive's; its manifest."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"no such file: {archive}")
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(root, members=_safe_members(tar), filter="data")
            manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        except (tarfile.TarError, OSError, ValueError) as exc:
            raise BackupError(f"not a readable backup: {exc}") from None
        if manifest.get("format") != FORMAT:
            raise BackupError("not a Sispam backup (manifest format)")
        for name, digest in manifest["files"].items():
            path = root / name
            if not path.is_file() or _sha256(path) != digest:
                raise BackupError(f"damaged backup: {name} does not match its manifest")
        _restore_database(root / "database.dump", manifest["database"])
        media = Path(settings.MEDIA_ROOT)
        if media.exists():
            shutil.rmtree(media)
        media.mkdir(parents=True, exist_ok=True)
        if (root / "media").exists():
            shutil.copytree(root / "media", media, dirs_exist_ok=True)
    return manifest


def _restore_database(dump: Path, vendor: str) -> None:
    db = settings.DATABASES["default"]
    connections.close_all()  # no connection of ours holds a lock on what is dropped
    if vendor == "postgresql" and db["ENGINE"] == "django.db.backends.postgresql":
        args, env = _pg_env(db)
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", *args, str(dump)], env)  # fmt: skip
    elif vendor == "sqlite" and db["ENGINE"] == "django.db.backends.sqlite3":
        _sqlite_copy(dump, Path(db["NAME"]))
    else:
        raise BackupError(f"a {vendor} backup cannot be restored into {db['ENGINE']}")
