"""The distribution plan as CSV: import the KPU's schedule (all rows valid, or nothing written;
an error per line and column) and export the plan back with what became of each leg.

Columns: `kode` (the leg's reference), `asal` and `tujuan` (site codes: gudang-kpu, kpu-kota,
ppk-<kecamatan>, pps-<kelurahan>, tps-<kelurahan>-<nnn>), `berangkat` and `tiba` (WIB,
"YYYY-MM-DD HH:MM"), `kendaraan`, `komandan_nrp`, `pengawal_nrp` (NRP separated by spaces or
`;`), one column per manifest item (ManifestItem: kotak_suara, ss_ppwp...), `segel` (seal
numbers separated by spaces or `;`). The export adds the leg's status, times and problem
(ignored when the file is imported again). docs/logistics.md.
"""

import datetime as dt
from typing import IO

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.csv_io import (
    FILE,
    CsvFileError,
    ImportResult,
    RowError,
    csv_cell_safe,
    csv_read,
    csv_writer,
    import_note,
)
from core.services import audit_record
from logistics.models import (
    STAGES,
    Leg,
    LegStatus,
    ManifestItem,
    Site,
)
from logistics.services import counts_clean, escort_team, nrps_split, seals_clean, sites_ensure
from personnel.models import Officer

ITEMS = [i.value for i in ManifestItem]
REQUIRED = ["kode", "asal", "tujuan", "berangkat", "tiba"]
OPTIONAL = ["kendaraan", "komandan_nrp", "pengawal_nrp", *ITEMS, "segel"]
# What the export adds: read back, these are ignored.
STATE = ["status", "berangkat_aktual", "tiba_aktual", "diserahkan", "masalah"]
COLUMNS = [*REQUIRED, *OPTIONAL, *STATE]
TIME_FORMAT = "%Y-%m-%d %H:%M"
# The leg's fields an import writes (_parse's values but the escorts).
WRITTEN = [
    "code",
    "stage",
    "origin",
    "destination",
    "planned_departure",
    "planned_arrival",
    "vehicle",
    "commander",
    "manifest",
    "seals",
]


def _time(text: str) -> str:
    return timezone.localtime(text).strftime(TIME_FORMAT) if text else ""


def _row(leg: Leg) -> list[str]:
    escorts = sorted(o.nrp for o in leg.escorts.all() if o.pk != leg.commander_id)
    values = [
        leg.code,
        leg.origin.code,
        leg.destination.code,
        _time(leg.planned_departure),
        _time(leg.planned_arrival),
        leg.vehicle,
        leg.commander.nrp if leg.commander_id else "",
        " ".join(escorts),
        *[str(leg.manifest.get(item, "")) for item in ITEMS],
        " ".join(leg.seals),
        leg.status,
        _time(leg.departed_at),
        _time(leg.arrived_at),
        _time(leg.handed_over_at),
        leg.problem,
    ]
    return [csv_cell_safe(v) for v in values]


def legs_export(stream: IO[str], queryset=None) -> int:
    """Write the plan as CSV (COLUMNS); return the rows written."""
    qs = Leg.objects.all() if queryset is None else queryset
    qs = qs.select_related("origin", "destination", "commander").prefetch_related("escorts")
    writer = csv_writer(stream)
    writer.writerow(COLUMNS)
    count = 0
    for leg in qs.order_by("planned_departure", "code"):
        writer.writerow(_row(leg))
        count += 1
    return count


def _when(text: str, column: str, errors: list) -> dt.datetime | None:
    try:
        naive = dt.datetime.strptime(text.strip(), TIME_FORMAT)  # noqa: DTZ007 (WIB below)
    except ValueError:
        errors.append(
            (column, _("waktu harus YYYY-MM-DD HH:MM (WIB): %(v)s") % {"v": text or "(kosong)"})
        )
        return None
    return timezone.make_aware(naive, timezone.get_default_timezone())


def _site(text: str, column: str, sites: dict[str, Site], errors: list) -> Site | None:
    site = sites.get(text.strip().lower())
    if site is None:
        if text.strip().lower().startswith("tps-"):
            message = _("TPS tidak dikenal: %(v)s")
        else:
            message = _("lokasi tidak dikenal: %(v)s")
        errors.append((column, message % {"v": text or "(kosong)"}))
    return site


def _parse(cells: dict[str, str], sites, officers, errors: list) -> dict:
    values: dict = {"code": cells["kode"].strip().lower()}
    code_field = Leg._meta.get_field("code")
    if not values["code"] or len(values["code"]) > code_field.max_length:
        errors.append(("kode", _("kode wajib, paling banyak 64 karakter")))
    else:
        try:
            code_field.run_validators(values["code"])
        except ValidationError:
            errors.append(("kode", _("kode hanya huruf, angka, - dan _")))
    origin = _site(cells["asal"], "asal", sites, errors)
    destination = _site(cells["tujuan"], "tujuan", sites, errors)
    if origin and destination:
        stage = STAGES.get((origin.kind, destination.kind))
        if stage is None:
            errors.append(
                (
                    "tujuan",
                    _("rute %(a)s ke %(b)s bukan tahap distribusi atau pengembalian")
                    % {"a": origin.get_kind_display(), "b": destination.get_kind_display()},
                )
            )
        values["stage"] = stage
    values["origin"], values["destination"] = origin, destination
    departure = _when(cells["berangkat"], "berangkat", errors)
    arrival = _when(cells["tiba"], "tiba", errors)
    if departure and arrival and arrival <= departure:
        errors.append(("tiba", _("waktu tiba harus sesudah waktu berangkat")))
    values["planned_departure"], values["planned_arrival"] = departure, arrival
    vehicle = cells.get("kendaraan", "")
    if len(vehicle) > 64:
        errors.append(("kendaraan", _("paling banyak %(n)d karakter") % {"n": 64}))
    values["vehicle"] = vehicle
    commander_nrp = cells.get("komandan_nrp", "").strip()
    values["commander"] = officers.get(commander_nrp) if commander_nrp else None
    if commander_nrp and values["commander"] is None:
        errors.append(("komandan_nrp", _("NRP tidak dikenal: %(v)s") % {"v": commander_nrp}))
    escorts = []
    for nrp in nrps_split(cells.get("pengawal_nrp", "")):
        if nrp not in officers:
            errors.append(("pengawal_nrp", _("NRP tidak dikenal: %(v)s") % {"v": nrp}))
        else:
            escorts.append(officers[nrp])
    values["escorts"] = escorts
    raw_counts = {}
    for item in ITEMS:
        text = cells.get(item, "").strip()
        if not text:
            continue
        try:
            raw_counts[item] = int(text)
        except ValueError:
            errors.append((item, _("jumlah harus bilangan bulat: %(v)s") % {"v": text}))
    try:
        values["manifest"] = counts_clean(raw_counts)
    except ValidationError as exc:
        errors.extend((item, " ".join(m)) for item, m in exc.message_dict.items())
    try:
        values["seals"] = seals_clean(cells.get("segel", ""))
    except ValidationError as exc:
        errors.append(("segel", " ".join(exc.message_dict["seals"])))
    return values


def legs_import(*, data: bytes | IO[bytes], by) -> ImportResult:
    """Create or update legs from the KPU's schedule, keyed by `kode`: all rows, or none. A leg
    already on the road is not changed by an import (its row is refused)."""
    try:
        table = csv_read(data, required=REQUIRED, optional=OPTIONAL, ignored=STATE)
    except CsvFileError as exc:
        return ImportResult(errors=exc.errors)
    try:
        with transaction.atomic():
            return _apply(table.rows, by)
    except IntegrityError:
        return ImportResult(
            errors=[RowError(0, FILE, _("data berubah selama impor; ulangi impor"))]
        )


def _apply(rows, by) -> ImportResult:
    sites_ensure()
    sites = {s.code: s for s in Site.objects.all()}
    officers = {o.nrp: o for o in Officer.objects.all()}
    existing = {leg.code: leg for leg in Leg.objects.select_for_update()}
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    parsed: list[dict] = []
    for row in rows:
        row_errors: list[tuple[str, str]] = []
        values = _parse(row.cells, sites, officers, row_errors)
        code = values["code"]
        if code in seen:
            row_errors.append(
                ("kode", _("kode ganda dalam berkas: sudah ada di baris %(l)d") % {"l": seen[code]})
            )
        seen.setdefault(code, row.line)
        leg = existing.get(code)
        if leg is not None and leg.status != LegStatus.RENCANA:
            row_errors.append(
                (
                    "kode",
                    _("perjalanan %(c)s sudah berjalan: tidak diubah lewat impor") % {"c": code},
                )
            )
        if row_errors:
            errors.extend(RowError(row.line, f, m) for f, m in row_errors)
            continue
        parsed.append(values)
    if errors:
        return ImportResult(errors=errors)
    # In bulk: a whole city's schedule is about a thousand legs.
    new: list[Leg] = []
    changed: list[Leg] = []
    teams: dict[str, list] = {}
    for values in parsed:
        escorts = values.pop("escorts")
        teams[values["code"]] = escort_team(values["commander"], escorts)
        leg = existing.get(values["code"]) or Leg()
        for name, value in values.items():
            setattr(leg, name, value)
        leg.updated_at = timezone.now()  # bulk_update does not touch auto_now fields
        (new if leg.pk is None else changed).append(leg)
    Leg.objects.bulk_create(new, batch_size=500)
    Leg.objects.bulk_update(changed, [*WRITTEN, "updated_at"], batch_size=500)
    through = Leg.escorts.through
    through.objects.filter(leg__in=changed).delete()
    through.objects.bulk_create(
        [through(leg=leg, officer=o) for leg in new + changed for o in teams[leg.code]],
        batch_size=1000,
    )
    created, updated = [leg.code for leg in new], [leg.code for leg in changed]
    audit_record(
        actor=by,
        action="logistics.import",
        changes={"created": [None, len(created)], "updated": [None, len(updated)]},
        note=import_note(created=created, updated={})
        + (("\n" + _("diperbarui: %(k)s") % {"k": ", ".join(updated)}) if updated else ""),
    )
    return ImportResult(created=len(created), updated=len(updated))
