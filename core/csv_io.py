"""Shared pieces of the CSV imports and exports: reading an upload safely, results, progress.

An import reads the whole file first (at most MAX_BYTES, UTF-8 with an optional BOM, `,` or `;`
as delimiter, as spreadsheets in an Indonesian locale write `;`), checks the header, and hands
the rows on with their line numbers so every error can point at the line a user sees in an
editor. Nothing here touches the database.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

MAX_BYTES = 10 * 1024 * 1024

# A text cell starting with one of these is run as a formula by spreadsheet programs (CSV
# injection); exports prefix such cells with an apostrophe and imports take it off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Numbers and phone numbers start with + or - legitimately and are not formulas.
_PLAIN_NUMBER = re.compile(r"[+-][\d .,]*")

FILE = "file"
HEADER = "header"
ROW = "row"


@dataclass(frozen=True)
class RowError:
    """One problem in an imported file: line 1 is the header, 0 the file as a whole."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        if self.line == 0:
            return f"{self.field}: {self.message}"
        return f"line {self.line}, field {self.field}: {self.message}"


@dataclass
class ImportResult:
    """What an import did (or, with errors, why it did nothing at all)."""

    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class CsvFileError(Exception):
    """The file cannot be read as a table at all (too big, not UTF-8, wrong header)."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


class CsvRow(NamedTuple):
    line: int
    cells: dict[str, str]


@dataclass
class CsvTable:
    delimiter: str
    columns: list[str]
    rows: list[CsvRow]


# progress(stage, done, total): called while an import validates and while it writes.
Progress = Callable[[str, int, int], None]


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def csv_bytes_read(
    source: bytes | bytearray | memoryview | IO[bytes], *, max_bytes: int = MAX_BYTES
) -> bytes:
    """The bytes of an upload (bytes or a binary file), refused if over max_bytes unread."""
    too_big = _("berkas terlalu besar: %(size)s, batasnya %(max)s")
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) > max_bytes:
            raise CsvFileError(
                [
                    RowError(
                        0,
                        FILE,
                        too_big % {"size": _megabytes(len(source)), "max": _megabytes(max_bytes)},
                    )
                ]
            )
        return bytes(source)
    # Django's UploadedFile knows its size; a plain file is read only one byte past the limit,
    # so a huge upload is never held in memory whole.
    size = getattr(source, "size", None)
    if isinstance(size, int) and size > max_bytes:
        raise CsvFileError(
            [RowError(0, FILE, too_big % {"size": _megabytes(size), "max": _megabytes(max_bytes)})]
        )
    data = source.read(max_bytes + 1)
    if isinstance(data, str):
        raise TypeError("csv_bytes_read needs a binary file, not a text file")
    if len(data) > max_bytes:
        raise CsvFileError(
            [
                RowError(
                    0,
                    FILE,
                    _("berkas terlalu besar: lebih dari %(max)s") % {"max": _megabytes(max_bytes)},
                )
            ]
        )
    return bytes(data)


def _not_utf8(data: bytes, offset: int, hint: str = "") -> RowError:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    message = _("berkas bukan UTF-8: byte 0x%(byte)02x di baris %(line)d, byte ke-%(col)d") % {
        "byte": data[offset],
        "line": line,
        "col": column,
    }
    if hint:
        message += f" ({hint})"
    message += "; " + _('simpan ulang sebagai "CSV UTF-8"')
    return RowError(line, FILE, message)


def csv_decode(data: bytes) -> str:
    """The text of a UTF-8 file (BOM dropped); any other encoding is refused with its position."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CsvFileError([_not_utf8(data, 0, _("tampaknya UTF-16"))])
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CsvFileError([_not_utf8(data, exc.start)]) from None
    # UTF-16 without a BOM decodes "successfully" as ASCII interleaved with NUL bytes.
    nul = data.find(b"\x00")
    if nul >= 0:
        raise CsvFileError([_not_utf8(data, nul, _("berisi byte NUL, mungkin UTF-16"))])
    return text


def csv_delimiter_sniff(text: str) -> str:
    """`;` when the header line has more semicolons than commas, else `,`."""
    for line in text.splitlines():
        if line.strip():
            return ";" if line.count(";") > line.count(",") else ","
    return ","


def csv_cell_safe(value: Any) -> str:
    """A cell value as text that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _cell_unescape(text: str) -> str:
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def csv_read(
    source: bytes | IO[bytes],
    *,
    required: Iterable[str],
    optional: Iterable[str] = (),
    ignored: Iterable[str] = (),
    max_bytes: int = MAX_BYTES,
) -> CsvTable:
    """Parse an uploaded CSV into rows keyed by (lower-case) column; raises CsvFileError."""
    text = csv_decode(csv_bytes_read(source, max_bytes=max_bytes))
    delimiter = csv_delimiter_sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    required, ignored = list(required), set(ignored)
    known = list(dict.fromkeys([*required, *optional, *sorted(ignored)]))
    header: list[str] | None = None
    header_line = 0
    rows: list[CsvRow] = []
    errors: list[RowError] = []
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise CsvFileError(
                [RowError(line, FILE, _("format CSV rusak: %(e)s") % {"e": exc})]
            ) from None
        if not any(cell.strip() for cell in record):
            continue  # blank lines, and rows of bare delimiters a spreadsheet leaves behind
        cells = [_cell_unescape(cell.strip()) for cell in record]
        if header is None:
            header, header_line = [c.lower() for c in cells], line
            _header_check(header, header_line, required, known)
            continue
        if len(cells) != len(header):
            errors.append(
                RowError(
                    line,
                    ROW,
                    _("baris berisi %(n)d kolom, seharusnya %(m)d")
                    % {"n": len(cells), "m": len(header)},
                )
            )
            continue
        rows.append(
            CsvRow(line, {c: v for c, v in zip(header, cells, strict=True) if c not in ignored})
        )
    if header is None:
        raise CsvFileError([RowError(1, FILE, _("berkas kosong"))])
    if errors:
        raise CsvFileError(errors)
    if not rows:
        raise CsvFileError(
            [RowError(header_line + 1, FILE, _("berkas tidak berisi data (hanya judul kolom)"))]
        )
    return CsvTable(delimiter=delimiter, columns=[c for c in header if c not in ignored], rows=rows)


def _header_check(header: list[str], line: int, required: list[str], known: list[str]) -> None:
    errors = []
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        errors.append(
            RowError(line, HEADER, _("kolom ganda: %(c)s") % {"c": ", ".join(duplicates)})
        )
    missing = [c for c in required if c not in header]
    if missing:
        errors.append(RowError(line, HEADER, _("kolom hilang: %(c)s") % {"c": ", ".join(missing)}))
    unknown = [c or "(kosong)" for c in header if c not in known]
    if unknown:
        errors.append(
            RowError(
                line,
                HEADER,
                _("kolom tidak dikenal: %(c)s (kolom yang dikenal: %(k)s)")
                % {"c": ", ".join(unknown), "k": ", ".join(known)},
            )
        )
    if errors:
        raise CsvFileError(errors)


def csv_writer(stream: IO[str]) -> Any:
    """A csv.writer with the project's dialect: comma, quotes only where needed, CRLF."""
    return csv.writer(stream, delimiter=",", lineterminator="\r\n")


class TextProgressBar:
    """A one-line progress bar, "\\r[#####.....] 230/462", for management commands.

    Call it as an import's `progress(stage, done, total)`. On a terminal it redraws in place;
    into a log (not a TTY) it writes one line per finished stage.
    """

    def __init__(self, stream: Any = None, *, width: int = 30):
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.stage: str | None = None
        self.filled = -1
        self.finished = False
        isatty = getattr(self.stream, "isatty", None)
        self.live = bool(isatty and isatty())

    def _write(self, text: str) -> None:
        # Django's OutputWrapper appends a newline unless told otherwise.
        try:
            self.stream.write(text, ending="")
        except TypeError:
            self.stream.write(text)
        flush = getattr(self.stream, "flush", None)
        if flush:
            flush()

    def render(self, stage: str, done: int, total: int) -> str:
        """The bar as text, without the carriage return."""
        filled = min(self.width, self.width * done // total) if total > 0 else self.width
        return f"{stage} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}"

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.filled, self.finished = stage, -1, False
        if self.finished:
            return
        finished = done >= total
        filled = min(self.width, self.width * done // total) if total > 0 else self.width
        if self.live:
            if filled == self.filled and not finished:
                return  # redraw only when the bar moves: 30 writes, not one per row
            self._write("\r" + self.render(stage, done, total) + ("\n" if finished else ""))
        elif finished:
            self._write(self.render(stage, done, total) + "\n")
        self.filled, self.finished = filled, finished

    def close(self) -> None:
        """End a bar left unfinished (an import that stopped early) with a newline."""
        if self.live and self.stage is not None and not self.finished and self.filled >= 0:
            self._write("\n")
        self.finished = True


# Helpers for the import and export management commands.


def command_file_read(path: str, *, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of an import command's FILE argument ("-" reads standard input)."""
    try:
        if path == "-":
            return csv_bytes_read(sys.stdin.buffer, max_bytes=max_bytes)
        with open(path, "rb") as handle:
            return csv_bytes_read(handle, max_bytes=max_bytes)
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    except CsvFileError as exc:
        raise CommandError(str(exc)) from None


def command_user(username: str | None):
    """The account a command's writes are recorded under; None (the system) when not given."""
    if not username:
        return None
    User = get_user_model()
    try:
        return User.objects.get(**{User.USERNAME_FIELD: username})
    except User.DoesNotExist:
        raise CommandError(f"unknown user: {username}") from None


def command_report(command: Any, result: ImportResult, *, dry_run: bool = False) -> None:
    """Print an import's outcome; on errors print each one and fail with CommandError."""
    limit = 200
    if result.errors:
        for error in result.errors[:limit]:
            command.stderr.write(str(error))
        if len(result.errors) > limit:
            command.stderr.write(f"... and {len(result.errors) - limit} more errors")
        raise CommandError(f"import refused: {len(result.errors)} error(s); nothing was changed")
    summary = f"created {result.created}, updated {result.updated}"
    if result.unchanged:
        summary += f" ({result.unchanged} unchanged)"
    if dry_run:
        summary = f"dry run, nothing written: would have {summary}"
    command.stdout.write(command.style.SUCCESS(summary))


def import_note(*, created: list[str], updated: dict[str, dict[str, list[str]]]) -> str:
    """The audit note of an import: keys of the rows created, and per updated row what changed."""
    parts = []
    if created:
        parts.append(_("baru (%(n)d): %(k)s") % {"n": len(created), "k": ", ".join(created)})
    if updated:
        rows = []
        for key, diff in updated.items():
            changes = ", ".join(
                f"{col} {before!r} → {after!r}" for col, (before, after) in diff.items()
            )
            rows.append(f"{key}: {changes}")
        parts.append(_("diubah (%(n)d): %(r)s") % {"n": len(updated), "r": "; ".join(rows)})
    return "\n".join(parts)


def row_diff(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    """{column: [before, after]} for the columns of an exported row whose text changed."""
    return {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}


BATCH = 500


def rows_write(model, *, created: list, updated: list, fields: list[str], report) -> None:
    """Bulk-insert `created` and bulk-update the objects of `updated` ((obj, diff) pairs) in
    batches, reporting progress as "menyimpan" (the caller holds the transaction)."""
    total = len(created) + len(updated)
    done = 0
    if total:
        report(_("menyimpan"), done, total)
    for start in range(0, len(created), BATCH):
        batch = created[start : start + BATCH]
        model.objects.bulk_create(batch)
        done += len(batch)
        report(_("menyimpan"), done, total)
    for start in range(0, len(updated), BATCH):
        batch = [obj for obj, _diff in updated[start : start + BATCH]]
        model.objects.bulk_update(batch, fields)
        done += len(batch)
        report(_("menyimpan"), done, total)
