"""CSV import and export of the officer roster and of BKO contingent rosters.

Imports are all or nothing: every row is checked first and every problem reported with its line;
only a clean file is written, in one transaction, with one audit event.
"""

import re
from collections.abc import Iterable
from typing import IO, Any

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
from personnel.models import (
    BkoContingent,
    Officer,
    OfficerStatus,
    OfficerStatusChange,
    Rank,
    Satgas,
    Unit,
)
from personnel.services import bko_contingent_check_in

OFFICER_COLUMNS = [
    "nrp",
    "name",
    "rank",
    "unit_code",
    "function",
    "phone",
    "status",
    "satgas_code",
    "contingent_code",
]
OFFICER_REQUIRED = ["nrp", "name", "rank", "unit_code"]
ROSTER_COLUMNS = ["nrp", "name", "rank", "phone", "function"]
ROSTER_REQUIRED = ["nrp", "name", "rank"]
# What an officer import writes: every column of the file, as model fields.
OFFICER_WRITE_FIELDS = [
    "nrp",
    "name",
    "rank",
    "unit",
    "function",
    "phone",
    "status",
    "satgas",
    "contingent",
]

NRP_RE = re.compile(r"\d{8}")
PHONE_RE = re.compile(r"\+?[0-9][0-9 ]*")


def _rank_table() -> dict[str, int]:
    table: dict[str, int] = {}
    for rank in Rank:
        label = " ".join(str(rank.label).lower().split())
        table[label] = rank.value
        table[str(rank.value)] = rank.value
        if label.endswith(" pol"):
            table[label.removesuffix(" pol")] = rank.value  # "Kombes" as often as "Kombes Pol"
    return table


RANKS = _rank_table()


def rank_parse(text: str) -> int | None:
    """A rank from its label in any case ("bripka", "Kombes Pol") or its number; else None."""
    return RANKS.get(" ".join(text.lower().split()))


def _status_parse(text: str) -> str | None:
    value = re.sub(r"[\s/]+", "_", text.strip().lower())
    return value if value in OfficerStatus.values else None


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


def _text(
    cells: dict[str, str], column: str, max_length: int, errors: list, *, required: bool = False
) -> str:
    value = cells[column]
    if required and not value:
        errors.append((column, _("wajib diisi")))
    elif len(value) > max_length:
        errors.append((column, _("paling banyak %(n)d karakter") % {"n": max_length}))
    return value


def _nrp(cells: dict[str, str], errors: list) -> str:
    nrp = cells["nrp"]
    if not NRP_RE.fullmatch(nrp):
        errors.append(("nrp", _("NRP harus 8 angka: %(v)s") % {"v": nrp or _("(kosong)")}))
    return nrp


def _rank(cells: dict[str, str], errors: list) -> int | None:
    rank = rank_parse(cells["rank"])
    if rank is None:
        errors.append(("rank", _("pangkat tidak dikenal: %(v)s") % {"v": cells["rank"]}))
    return rank


def _phone(cells: dict[str, str], errors: list) -> str:
    phone = " ".join(cells["phone"].split())
    if phone and not PHONE_RE.fullmatch(phone):
        errors.append(("phone", _("telepon hanya boleh berisi angka, spasi dan +")))
    elif len(phone) > Officer._meta.get_field("phone").max_length:
        errors.append(("phone", _("telepon paling banyak 20 karakter")))
    return phone


def _by_code(model, field: str = "code") -> dict[str, Any]:
    return {getattr(obj, field).lower(): obj for obj in model.objects.all()}


def _officers_by_nrp(nrps: Iterable[str], *, lock: bool) -> dict[str, Officer]:
    """The officers with these NRP, in chunks (SQLite caps query parameters)."""
    qs = Officer.objects.select_related("unit", "satgas", "contingent").order_by("pk")
    if lock:
        # Lock only the officer rows (the joins are outer joins PostgreSQL cannot lock); in pk
        # order, so two imports touching the same officers queue instead of deadlocking.
        qs = qs.select_for_update(of=("self",))
    wanted = sorted({n for n in nrps if n})
    found: dict[str, Officer] = {}
    for start in range(0, len(wanted), 2000):
        found.update((o.nrp, o) for o in qs.filter(nrp__in=wanted[start : start + 2000]))
    return found


def _officer_row(officer: Officer) -> dict[str, str]:
    """An officer as the text of one CSV row (OFFICER_COLUMNS)."""
    return {
        "nrp": officer.nrp,
        "name": officer.name,
        "rank": str(Rank(officer.rank).label),
        "unit_code": officer.unit.code,
        "function": officer.function,
        "phone": officer.phone,
        "status": officer.status,
        "satgas_code": officer.satgas.code if officer.satgas_id else "",
        "contingent_code": officer.contingent.code if officer.contingent_id else "",
    }


def _raced() -> ImportResult:
    return ImportResult(
        errors=[
            RowError(
                0,
                FILE,
                _("data berubah selama impor (NRP yang sama didaftarkan bersamaan); ulangi impor"),
            )
        ]
    )


def officers_export(stream: IO[str], queryset=None) -> int:
    """Write officers as CSV (OFFICER_COLUMNS, rank by its label); return the rows written."""
    qs = Officer.objects.order_by("nrp") if queryset is None else queryset
    writer = csv_writer(stream)
    writer.writerow(OFFICER_COLUMNS)
    count = 0
    for officer in qs.select_related("unit", "satgas", "contingent").iterator(chunk_size=1000):
        writer.writerow([csv_cell_safe(v) for v in _officer_row(officer).values()])
        count += 1
    return count


def officers_import(
    *,
    data: bytes | IO[bytes],
    by,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Create or update officers from a CSV keyed by NRP: every row valid, or nothing written."""
    try:
        table = csv_read(data, required=OFFICER_REQUIRED, optional=OFFICER_COLUMNS)
    except CsvFileError as exc:
        return ImportResult(errors=exc.errors)
    try:
        with transaction.atomic():
            return _officers_apply(table.rows, set(table.columns), by, progress, dry_run)
    except IntegrityError:
        return _raced()


def _officer_parse(
    cells: dict[str, str], present: set[str], refs: dict[str, dict], errors: list
) -> dict[str, Any]:
    """The model values of one row; a column absent from the file is left out (kept as is)."""
    values: dict[str, Any] = {
        "nrp": _nrp(cells, errors),
        "name": _text(cells, "name", 128, errors, required=True),
        "rank": _rank(cells, errors),
    }
    code = cells["unit_code"].lower()
    values["unit"] = refs["unit"].get(code)
    if values["unit"] is None:
        errors.append(("unit_code", _("satuan tidak dikenal: %(v)s") % {"v": code or "-"}))
    if "function" in present:
        values["function"] = _text(cells, "function", 128, errors)
    if "phone" in present:
        values["phone"] = _phone(cells, errors)
    if "status" in present and cells["status"]:
        values["status"] = _status_parse(cells["status"])
        if values["status"] is None:
            errors.append(
                (
                    "status",
                    _("status tidak dikenal: %(v)s (pilihan: %(c)s)")
                    % {"v": cells["status"], "c": ", ".join(OfficerStatus.values)},
                )
            )
    for column, name in (("satgas_code", "satgas"), ("contingent_code", "contingent")):
        if column in present:
            code = cells[column].lower()
            values[name] = refs[name].get(code) if code else None
            if code and values[name] is None:
                message = (
                    _("satgas tidak dikenal: %(v)s")
                    if name == "satgas"
                    else _("kontingen BKO tidak dikenal: %(v)s")
                )
                errors.append((column, message % {"v": cells[column]}))
    return values


def _officers_apply(
    rows: list[CsvRow], present: set[str], by, progress: Progress | None, dry_run: bool
) -> ImportResult:
    report = progress or _no_progress
    refs = {
        "unit": _by_code(Unit),
        "satgas": _by_code(Satgas),
        "contingent": {
            c.code.lower(): c for c in BkoContingent.objects.select_related("home_unit")
        },
    }
    existing = _officers_by_nrp((r.cells["nrp"] for r in rows), lock=not dry_run)
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    created: list[Officer] = []
    updated: list[tuple[Officer, dict[str, list[str]]]] = []
    unchanged = 0
    for index, row in enumerate(rows, start=1):
        report(_("memeriksa"), index, len(rows))
        row_errors: list[tuple[str, str]] = []
        values = _officer_parse(row.cells, present, refs, row_errors)
        nrp = values["nrp"]
        # A malformed NRP is reported once, not again as a duplicate.
        if nrp in seen and NRP_RE.fullmatch(nrp):
            row_errors.append(
                ("nrp", _("NRP ganda dalam berkas: sudah ada di baris %(l)d") % {"l": seen[nrp]})
            )
        seen.setdefault(nrp, row.line)
        if row_errors:
            errors.extend(RowError(row.line, f, m) for f, m in row_errors)
            continue
        officer = existing.get(nrp)
        before = _officer_row(officer) if officer is not None else None
        if officer is None:
            officer = Officer(status=OfficerStatus.SIAGA)
        for name, value in values.items():
            setattr(officer, name, value)
        contingent = officer.contingent if officer.contingent_id else None
        if contingent is not None and officer.unit_id != contingent.home_unit_id:
            errors.append(
                RowError(
                    row.line,
                    "unit_code",
                    _("anggota BKO harus tercatat di satuan asal kontingennya: %(u)s")
                    % {"u": contingent.home_unit.code},
                )
            )
            continue
        if before is None:
            created.append(officer)
        elif diff := row_diff(before, _officer_row(officer)):
            updated.append((officer, diff))
        else:
            unchanged += 1
    if errors:
        return ImportResult(errors=errors)
    result = ImportResult(created=len(created), updated=len(updated), unchanged=unchanged)
    if dry_run:
        return result

    user = by if by is not None and getattr(by, "is_authenticated", False) else None
    rows_write(
        Officer, created=created, updated=updated, fields=OFFICER_WRITE_FIELDS, report=report
    )
    # A status changed by import joins the officer's history, as officer_set_status would.
    OfficerStatusChange.objects.bulk_create(
        OfficerStatusChange(
            officer=officer,
            from_status=diff["status"][0],
            to_status=diff["status"][1],
            by=user,
            note=_("impor CSV"),
        )
        for officer, diff in updated
        if "status" in diff
    )
    audit_record(
        actor=by,
        action="officers.import",
        changes={"created": [None, result.created], "updated": [None, result.updated]},
        note=import_note(
            created=[o.nrp for o in created], updated={o.nrp: diff for o, diff in updated}
        ),
    )
    return result


def bko_roster_export(stream: IO[str], contingent: BkoContingent) -> int:
    """Write a contingent's roster as CSV (ROSTER_COLUMNS); return the rows written."""
    writer = csv_writer(stream)
    writer.writerow(ROSTER_COLUMNS)
    count = 0
    for officer in contingent.officers.order_by("-rank", "name", "nrp"):
        row = _officer_row_roster(officer)
        writer.writerow([csv_cell_safe(row[c]) for c in ROSTER_COLUMNS])
        count += 1
    return count


def _officer_row_roster(officer: Officer) -> dict[str, str]:
    return {
        "nrp": officer.nrp,
        "name": officer.name,
        "rank": str(Rank(officer.rank).label),
        "phone": officer.phone,
        "function": officer.function,
    }


def bko_roster_import(
    *,
    contingent: BkoContingent,
    data: bytes | IO[bytes],
    by,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Check a BKO contingent in from its roster file: new officers only, all rows or none."""
    report = progress or _no_progress
    try:
        table = csv_read(data, required=ROSTER_REQUIRED, optional=ROSTER_COLUMNS)
    except CsvFileError as exc:
        return ImportResult(errors=exc.errors)
    if contingent.status == BkoContingent.Status.RELEASED:
        return ImportResult(errors=[RowError(0, FILE, _("kontingen sudah dikembalikan"))])
    present = set(table.columns)
    existing = _officers_by_nrp((r.cells["nrp"] for r in table.rows), lock=False)
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    officers: list[dict[str, Any]] = []
    for index, row in enumerate(table.rows, start=1):
        report(_("memeriksa"), index, len(table.rows))
        row_errors: list[tuple[str, str]] = []
        cells = row.cells
        values = {
            "nrp": _nrp(cells, row_errors),
            "name": _text(cells, "name", 128, row_errors, required=True),
            "rank": _rank(cells, row_errors),
            "phone": _phone(cells, row_errors) if "phone" in present else "",
            "function": _text(cells, "function", 128, row_errors) if "function" in present else "",
        }
        nrp = values["nrp"]
        # A malformed NRP is reported once, not again as a duplicate.
        if nrp in seen and NRP_RE.fullmatch(nrp):
            row_errors.append(
                ("nrp", _("NRP ganda dalam berkas: sudah ada di baris %(l)d") % {"l": seen[nrp]})
            )
        elif nrp in existing:
            known = existing[nrp]
            where = known.contingent.name if known.contingent_id else known.unit.name
            row_errors.append(
                (
                    "nrp",
                    _("NRP sudah terdaftar: %(o)s, %(w)s") % {"o": known, "w": where},
                )
            )
        seen.setdefault(nrp, row.line)
        errors.extend(RowError(row.line, f, m) for f, m in row_errors)
        officers.append(values)
    if errors:
        return ImportResult(errors=errors)
    result = ImportResult(created=len(officers))
    if dry_run:
        return result
    report(_("menyimpan"), 0, len(officers))
    try:
        with transaction.atomic():
            bko_contingent_check_in(contingent=contingent, by=by, officers=officers)
            audit_record(
                actor=by,
                action="bko.roster_import",
                obj=contingent,
                changes={"created": [None, result.created], "updated": [None, 0]},
                note=import_note(created=[o["nrp"] for o in officers], updated={}),
            )
    except ValidationError as exc:
        # The check-in validates again under its lock; map what it found back to lines.
        return ImportResult(errors=_check_in_errors(exc, [r.line for r in table.rows]))
    except IntegrityError:
        return _raced()
    report(_("menyimpan"), len(officers), len(officers))
    return result


def _check_in_errors(exc: ValidationError, lines: list[int]) -> list[RowError]:
    if not hasattr(exc, "error_dict"):
        return [RowError(0, FILE, m) for m in exc.messages]
    errors = []
    for key, messages in exc.message_dict.items():
        match = re.fullmatch(r"officers\[(\d+)\]", key)
        line = lines[int(match.group(1)) - 1] if match else 0
        errors.extend(RowError(line, "nrp" if match else FILE, m) for m in messages)
    return errors
