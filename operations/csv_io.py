"""CSV import and export of the TPS list (polling stations, their indicators and category).

An import is all or nothing: every row is checked first and every problem reported with its
line; only a clean file is written, in one transaction, with one audit event. The category is
always recomputed from the indicators (an override, with its reason, stays in force); the
`category` column of an export is there for reading and is ignored on import.
"""

import math
import re
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.csv_io import (
    FILE,
    CsvFileError,
    CsvRow,
    ImportResult,
    Progress,
    RowError,
    csv_cell_safe,
    csv_read,
    csv_writer,
    import_note,
    row_diff,
    rows_write,
)
from core.services import audit_record
from operations.models import Indicator, Kelurahan, Tps, TpsCategory, validate_in_city
from operations.services import tps_apply_category

TPS_COLUMNS = [
    "kelurahan",
    "number",
    "address",
    "lat",
    "lon",
    "dpt",
    "is_khusus",
    "khusus_kind",
    "indicators",
    "category_override",
    "override_reason",
    "category",
]
TPS_REQUIRED = ["kelurahan", "number", "lat", "lon", "dpt"]
TPS_OPTIONAL = [
    "address",
    "is_khusus",
    "khusus_kind",
    "indicators",
    "category_override",
    "override_reason",
]
TPS_IGNORED = ["category"]
# What a TPS import writes (every column of the file, and the category that follows from them).
TPS_WRITE_FIELDS = [
    "address",
    "lat",
    "lon",
    "dpt",
    "is_khusus",
    "khusus_kind",
    "indicators",
    "category_override",
    "override_reason",
    "category_computed",
    "category",
]
# Indicators in one cell. Always `|` on export; `;` and `,` are read too, inside a quoted cell.
INDICATOR_SEPARATOR = "|"
TRUE = {"1", "true", "ya", "y"}
FALSE = {"0", "false", "tidak", "t", ""}
MAX_NUMBER = 32767  # PositiveSmallIntegerField
MAX_DPT = 2_147_483_647


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _tps_row(tps: Tps) -> dict[str, str]:
    """A TPS as the text of one CSV row (TPS_COLUMNS)."""
    return {
        "kelurahan": tps.kelurahan.name,
        "number": str(tps.number),
        "address": tps.address,
        "lat": repr(float(tps.lat)),
        "lon": repr(float(tps.lon)),
        "dpt": str(tps.dpt),
        "is_khusus": "ya" if tps.is_khusus else "tidak",
        "khusus_kind": tps.khusus_kind,
        "indicators": INDICATOR_SEPARATOR.join(tps.indicators or []),
        "category_override": tps.category_override,
        "override_reason": tps.override_reason,
        "category": tps.category,
    }


def _tps_label(tps: Tps) -> str:
    return f"{tps.kelurahan.name} {tps.number:03d}"


def tps_export(stream: IO[str], queryset=None) -> int:
    """Write TPS as CSV (TPS_COLUMNS, indicators joined by `|`); return the rows written."""
    qs = Tps.objects.order_by("kelurahan__name", "number") if queryset is None else queryset
    writer = csv_writer(stream)
    writer.writerow(TPS_COLUMNS)
    count = 0
    for tps in qs.select_related("kelurahan").iterator(chunk_size=1000):
        writer.writerow([csv_cell_safe(v) for v in _tps_row(tps).values()])
        count += 1
    return count


def _int(text: str, column: str, low: int, high: int, message: str, errors: list) -> int | None:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        errors.append((column, message % {"v": text or _("(kosong)")}))
        return None
    return value


def _coordinate(text: str, column: str, errors: list) -> float | None:
    # A spreadsheet in an Indonesian locale writes decimals with a comma ("-5,1135").
    normal = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
    try:
        value = float(normal)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value):
        errors.append((column, _("%(c)s harus angka desimal: %(v)s") % {"c": column, "v": text}))
        return None
    return value


def _text(cells: dict[str, str], column: str, errors: list) -> str:
    value = cells[column]
    max_length = Tps._meta.get_field(column).max_length
    if len(value) > max_length:
        errors.append((column, _("paling banyak %(n)d karakter") % {"n": max_length}))
    return value


def _tps_parse(
    cells: dict[str, str], present: set[str], kelurahan: dict[str, Kelurahan], errors: list
) -> dict[str, Any]:
    """The model values of one row; an optional column absent from the file is kept as is."""
    values: dict[str, Any] = {"kelurahan": kelurahan.get(_key(cells["kelurahan"]))}
    if values["kelurahan"] is None:
        errors.append(
            ("kelurahan", _("kelurahan tidak dikenal: %(v)s") % {"v": cells["kelurahan"] or "-"})
        )
    values["number"] = _int(
        cells["number"],
        "number",
        1,
        MAX_NUMBER,
        _("nomor TPS harus bilangan bulat positif: %(v)s"),
        errors,
    )
    values["lat"] = _coordinate(cells["lat"], "lat", errors)
    values["lon"] = _coordinate(cells["lon"], "lon", errors)
    if values["lat"] is not None and values["lon"] is not None:
        try:
            validate_in_city(values["lat"], values["lon"])
        except ValidationError as exc:
            bounds = settings.CITY_BOUNDS
            column = "lat" if not bounds["south"] <= values["lat"] <= bounds["north"] else "lon"
            errors.append((column, exc.messages[0]))
    values["dpt"] = _int(
        cells["dpt"], "dpt", 0, MAX_DPT, _("DPT harus bilangan bulat tidak negatif: %(v)s"), errors
    )
    for column in ("address", "khusus_kind"):
        if column in present:
            values[column] = _text(cells, column, errors)
    if "is_khusus" in present:
        flag = cells["is_khusus"].lower()
        values["is_khusus"] = flag in TRUE
        if flag not in TRUE | FALSE:
            errors.append(
                (
                    "is_khusus",
                    _("is_khusus harus 1/0, true/false atau ya/tidak: %(v)s")
                    % {"v": cells["is_khusus"]},
                )
            )
    if "indicators" in present:
        codes = [c.strip().lower() for c in re.split(r"[|;,]", cells["indicators"]) if c.strip()]
        unknown = sorted({c for c in codes if c not in Indicator.values})
        if unknown:
            errors.append(
                ("indicators", _("indikator tidak dikenal: %(v)s") % {"v": ", ".join(unknown)})
            )
        values["indicators"] = sorted(set(codes))
    if "category_override" in present:
        raw = cells["category_override"]
        category = re.sub(r"\s+", "_", raw.lower())
        values["category_override"] = category
        if category and category not in TpsCategory.values:
            errors.append(
                (
                    "category_override",
                    _("kategori tidak dikenal: %(v)s (pilihan: %(c)s)")
                    % {"v": raw, "c": ", ".join(TpsCategory.values)},
                )
            )
    if "override_reason" in present:
        values["override_reason"] = _text(cells, "override_reason", errors)
    return values


def tps_import(
    *,
    data: bytes | IO[bytes],
    by,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Create or update TPS from a CSV keyed by (kelurahan, number): all rows valid, or none."""
    try:
        table = csv_read(data, required=TPS_REQUIRED, optional=TPS_OPTIONAL, ignored=TPS_IGNORED)
    except CsvFileError as exc:
        return ImportResult(errors=exc.errors)
    try:
        with transaction.atomic():
            return _tps_apply(table.rows, set(table.columns), by, progress, dry_run)
    except IntegrityError:
        return ImportResult(
            errors=[
                RowError(
                    0,
                    FILE,
                    _("data berubah selama impor (TPS yang sama dibuat bersamaan); ulangi impor"),
                )
            ]
        )


def _tps_apply(
    rows: list[CsvRow], present: set[str], by, progress: Progress | None, dry_run: bool
) -> ImportResult:
    report = progress or _no_progress
    kelurahan = {_key(k.name): k for k in Kelurahan.objects.all()}
    qs = Tps.objects.select_related("kelurahan").order_by("pk")
    if not dry_run:
        # Lock the TPS rows (not the kelurahan), in pk order so concurrent imports queue.
        qs = qs.select_for_update(of=("self",))
    wanted = {kelurahan[k].pk for k in {_key(r.cells["kelurahan"]) for r in rows} if k in kelurahan}
    existing = {(t.kelurahan_id, t.number): t for t in qs.filter(kelurahan_id__in=wanted)}
    errors: list[RowError] = []
    seen: dict[tuple[int, int], int] = {}
    created: list[Tps] = []
    updated: list[tuple[Tps, dict[str, list[str]]]] = []
    unchanged = 0
    for index, row in enumerate(rows, start=1):
        report(_("memeriksa"), index, len(rows))
        row_errors: list[tuple[str, str]] = []
        values = _tps_parse(row.cells, present, kelurahan, row_errors)
        key = None
        if values["kelurahan"] is not None and values["number"] is not None:
            key = (values["kelurahan"].pk, values["number"])
            if key in seen:
                row_errors.append(
                    (
                        "number",
                        _("TPS ganda dalam berkas: sudah ada di baris %(l)d") % {"l": seen[key]},
                    )
                )
            seen.setdefault(key, row.line)
        tps = existing.get(key) if key else None
        before = _tps_row(tps) if tps is not None else None
        if tps is None:
            tps = Tps()
        for name, value in values.items():
            setattr(tps, name, value)
        if not tps.category_override:
            tps.override_reason = ""
        elif tps.category_override in TpsCategory.values and not tps.override_reason.strip():
            row_errors.append(("override_reason", _("alasan wajib diisi bila kategori ditetapkan")))
        if row_errors:
            errors.extend(RowError(row.line, f, m) for f, m in row_errors)
            continue
        tps_apply_category(tps)
        if before is None:
            created.append(tps)
        elif diff := row_diff(before, _tps_row(tps)):
            updated.append((tps, diff))
        else:
            unchanged += 1
    if errors:
        return ImportResult(errors=errors)
    result = ImportResult(created=len(created), updated=len(updated), unchanged=unchanged)
    if dry_run:
        return result

    rows_write(Tps, created=created, updated=updated, fields=TPS_WRITE_FIELDS, report=report)
    audit_record(
        actor=by,
        action="tps.import",
        changes={"created": [None, result.created], "updated": [None, result.updated]},
        note=import_note(
            created=[_tps_label(t) for t in created],
            updated={_tps_label(t): diff for t, diff in updated},
        ),
    )
    return result
