"""Sispamkota scenarios: the definition's validation (every inject, its data and what it
expects), the shipped files in command/scenarios/, and their rows (docs/exercises.md)."""

import json
import re
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.services import audit_record
from incidents.models import (
    CrowdColour,
    IncidentType,
    IntelField,
)
from incidents.tps_returns import TPS_RETURN_ORDER
from operations.models import ExerciseInject, Kelurahan, Scenario, Tps

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"

KINDS = [k.value for k in ExerciseInject.Kind]
LEVELS = ["hijau", "kuning", "merah"]
FORCES = ["dalmas_awal", "dalmas_lanjut", "phh"]
WINDOWS = ["alert_within", "ack_within", "dispatch_within", "on_scene_within"]
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")

# The fields each kind of inject may carry in its "data", and which are required.
DATA_FIELDS = {
    "intel": {
        "required": [
            "subject",
            "field",
            "source",
            "source_reliability",
            "info_credibility",
            "what",
        ],
        "optional": [
            "source_relation",
            "obtained_how",
            "when_text",
            "where_text",
            "who",
            "how",
            "why",
            "analysis",
            "prediction",
            "recommendation",
            "kelurahan",
            "tps",
        ],
    },
    "tip": {"required": ["text"], "optional": ["place", "kelurahan"]},
    "incident": {
        "required": ["type", "colour", "description"],
        "optional": ["kelurahan", "tps", "crowd_size", "casualties", "lat", "lon"],
    },
    "tps_return": {"required": ["tps", "status"], "optional": ["note"]},
    "escalate": {"required": ["target", "colour"], "optional": ["note"]},
    # A leg between two sites of the chain (logistics site codes) stopped on the road.
    "logistics": {"required": ["origin", "destination", "note"], "optional": []},
}
# Which expectations make sense for which kind of inject.
EXPECTS = {
    "intel": {"alert", "alert_within", "ack_within"},
    "tip": {"alert", "alert_within", "ack_within"},
    "incident": {"alert", "alert_within", "ack_within", "dispatch_within", "on_scene_within"},
    "tps_return": set(),
    "escalate": {"dispatch_within", "on_scene_within", "force"},
    "logistics": {"alert", "alert_within", "ack_within"},
}


def duration_parse(value) -> int:
    """Seconds from 90, "90s", "2m", "1m30s" or "1h"; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        if value < 0:
            raise ValueError
        return value
    if isinstance(value, str):
        m = DURATION_RE.match(value.strip())
        if m and any(m.groups()):
            h, mi, s = (int(g or 0) for g in m.groups())
            return h * 3600 + mi * 60 + s
    raise ValueError


class _Errors:
    def __init__(self) -> None:
        self.items: dict[str, list[str]] = {}

    def add(self, where: str, message: str) -> None:
        self.items.setdefault(where, []).append(message)


def _choice_check(errors, where, value, choices) -> None:
    if value not in choices:
        errors.add(
            where, _("nilai '%(v)s' tidak dikenal; pilih %(c)s") % {"v": value, "c": choices}
        )


def _check_data(errors: _Errors, where: str, kind: str, data, refs: dict, index: int) -> None:
    if not isinstance(data, dict):
        errors.add(where, _("harus berupa objek JSON"))
        return
    spec = DATA_FIELDS[kind]
    for key in spec["required"]:
        if data.get(key) in (None, ""):
            errors.add(f"{where}.{key}", _("wajib diisi"))
    for key in data:
        if key not in spec["required"] and key not in spec["optional"]:
            errors.add(f"{where}.{key}", _("isian tidak dikenal untuk inject %(k)s") % {"k": kind})
    if kind == "intel":
        if "field" in data:
            _choice_check(errors, f"{where}.field", data["field"], IntelField.values)
        if "source_reliability" in data:
            _choice_check(
                errors, f"{where}.source_reliability", data["source_reliability"], list("ABCDEF")
            )
        if "info_credibility" in data:
            _choice_check(
                errors, f"{where}.info_credibility", data["info_credibility"], [1, 2, 3, 4, 5, 6]
            )
    if kind == "incident":
        if "type" in data:
            _choice_check(errors, f"{where}.type", data["type"], IncidentType.values)
        if not any(data.get(k) not in (None, "") for k in ("kelurahan", "tps", "lat")):
            errors.add(where, _("laporan kejadian perlu lokasi: kelurahan, tps atau lat/lon"))
        for key in ("crowd_size", "casualties"):
            value = data.get(key)
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 0
            ):
                errors.add(f"{where}.{key}", _("harus bilangan bulat >= 0"))
    if kind in ("incident", "escalate") and "colour" in data:
        _choice_check(errors, f"{where}.colour", data["colour"], CrowdColour.values)
    if kind == "tps_return" and "status" in data:
        _choice_check(
            errors, f"{where}.status", data["status"], [s.value for s in TPS_RETURN_ORDER]
        )
    if kind == "tip" and isinstance(data.get("text"), str) and len(data["text"].strip()) < 10:
        errors.add(f"{where}.text", _("minimal 10 karakter"))
    if "tps" in data and data["tps"] not in (None, ""):
        tps = data["tps"]
        if not (
            isinstance(tps, dict)
            and isinstance(tps.get("kelurahan"), str)
            and isinstance(tps.get("number"), int)
        ):
            errors.add(f"{where}.tps", _('tulis sebagai {"kelurahan": "Metro", "number": 1}'))
    if kind == "escalate" and "target" in data:
        target = data["target"]
        if target not in refs:
            errors.add(
                f"{where}.target",
                _("'%(t)s' bukan ref inject laporan kejadian sebelumnya") % {"t": target},
            )


def _check_expect(errors: _Errors, where: str, kind: str, expect) -> dict:
    if expect is None:
        return {}
    if not isinstance(expect, dict):
        errors.add(where, _("harus berupa objek JSON"))
        return {}
    out: dict = {}
    for key, value in expect.items():
        if key not in EXPECTS[kind]:
            allowed = sorted(EXPECTS[kind]) or "-"
            errors.add(
                f"{where}.{key}",
                _("tidak berlaku untuk inject %(k)s (yang berlaku: %(a)s)")
                % {"k": kind, "a": allowed},
            )
            continue
        if key in WINDOWS:
            try:
                out[key] = duration_parse(value)
            except ValueError:
                errors.add(f"{where}.{key}", _('durasi tidak sah: tulis detik atau "2m", "90s"'))
        elif key == "alert":
            _choice_check(errors, f"{where}.alert", value, LEVELS)
            out[key] = value
        elif key == "force":
            _choice_check(errors, f"{where}.force", value, FORCES)
            out[key] = value
    if "alert" in out and "alert_within" not in out:
        errors.add(f"{where}.alert_within", _("wajib diisi bila alert diharapkan"))
    if "alert_within" in out and "alert" not in out:
        out["alert"] = "merah"
    if "ack_within" in out and "alert" not in out:
        errors.add(f"{where}.ack_within", _("hanya bersama alert yang diharapkan"))
    return out


def scenario_validate(data, *, check_places: bool = True) -> dict:
    """Check a scenario definition and return it normalised (offsets and windows in seconds).

    Raises ValidationError whose message_dict names each problem by its path
    (e.g. ``injects[2].expect.alert_within``). With `check_places`, the kelurahan and TPS it
    names must exist in the database.
    """
    errors = _Errors()
    if not isinstance(data, dict):
        raise ValidationError({"scenario": [_("skenario harus berupa objek JSON")]})
    for key in data:
        if key not in ("name", "title", "description", "injects"):
            errors.add(key, _("isian tidak dikenal"))
    name = data.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        errors.add("name", _("wajib: huruf kecil, angka dan tanda '-', 2-64 karakter"))
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        errors.add("title", _("wajib diisi, paling banyak 200 karakter"))
    if not isinstance(data.get("description", ""), str):
        errors.add("description", _("harus berupa teks"))
    injects = data.get("injects")
    normal = []
    if not isinstance(injects, list) or not injects:
        errors.add("injects", _("wajib: daftar inject, minimal satu"))
        injects = []
    if len(injects) > 200:
        errors.add("injects", _("paling banyak 200 inject"))
    refs: dict[str, int] = {}
    previous = 0
    for i, inject in enumerate(injects):
        where = f"injects[{i}]"
        if not isinstance(inject, dict):
            errors.add(where, _("harus berupa objek JSON"))
            continue
        for key in inject:
            if key not in ("offset", "kind", "label", "ref", "data", "expect"):
                errors.add(f"{where}.{key}", _("isian tidak dikenal"))
        kind = inject.get("kind")
        if kind not in KINDS:
            errors.add(f"{where}.kind", _("jenis tidak dikenal; pilih %(c)s") % {"c": KINDS})
            continue
        try:
            offset = duration_parse(inject.get("offset"))
        except ValueError:
            errors.add(f"{where}.offset", _('wajib: detik sejak mulai, atau "5m", "1m30s"'))
            offset = previous
        if offset > 24 * 3600:
            errors.add(f"{where}.offset", _("paling lama 24 jam"))
        if offset < previous:
            errors.add(f"{where}.offset", _("lebih awal dari inject sebelumnya"))
        previous = max(previous, offset)
        _check_data(errors, f"{where}.data", kind, inject.get("data"), refs, i)
        expect = _check_expect(errors, f"{where}.expect", kind, inject.get("expect"))
        ref = inject.get("ref")
        if ref is not None:
            if kind != "incident":
                errors.add(f"{where}.ref", _("ref hanya untuk laporan kejadian"))
            elif not isinstance(ref, str) or not ref or ref in refs:
                errors.add(f"{where}.ref", _("ref harus teks yang unik"))
            else:
                refs[ref] = i
        label = inject.get("label", "")
        if not isinstance(label, str) or len(label) > 120:
            errors.add(f"{where}.label", _("teks, paling banyak 120 karakter"))
        normal.append(
            {
                "offset": offset,
                "kind": kind,
                "label": label if isinstance(label, str) else "",
                **({"ref": ref} if ref is not None else {}),
                "data": inject.get("data"),
                "expect": expect,
            }
        )
    if check_places and not errors.items:
        _check_places(errors, normal)
    if errors.items:
        raise ValidationError(errors.items)
    return {
        "name": name,
        "title": title.strip(),
        "description": data.get("description", ""),
        "injects": normal,
    }


def _check_places(errors: _Errors, injects: list[dict]) -> None:
    known = set(Kelurahan.objects.values_list("name", flat=True))
    for i, inject in enumerate(injects):
        data = inject["data"]
        kel = data.get("kelurahan")
        if kel and kel not in known:
            errors.add(
                f"injects[{i}].data.kelurahan", _("kelurahan '%(k)s' tidak ada") % {"k": kel}
            )
        tps = data.get("tps")
        if (
            tps
            and not Tps.objects.filter(
                kelurahan__name=tps["kelurahan"], number=tps["number"]
            ).exists()
        ):
            errors.add(
                f"injects[{i}].data.tps",
                _("TPS %(n)s di %(k)s tidak ada") % {"n": tps["number"], "k": tps["kelurahan"]},
            )


def scenario_span_seconds(definition: dict) -> int:
    """Scenario time from the start to the close of the last expected window."""
    end = 0
    for inject in definition["injects"]:
        windows = [v for k, v in inject["expect"].items() if k in WINDOWS]
        end = max(end, inject["offset"] + max(windows, default=0))
    return end


# --- scenario files and rows ------------------------------------------------------------------


def scenario_file_read(path: Path) -> dict:
    """Read and validate one scenario file (structure only: places are checked on load)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    except json.JSONDecodeError as exc:
        raise ValidationError(
            {"file": [_("JSON tidak sah: %(e)s (baris %(l)d)") % {"e": exc.msg, "l": exc.lineno}]}
        ) from None
    return scenario_validate(data, check_places=False)


def scenario_files() -> dict[str, Path]:
    """The shipped scenario files by their scenario name."""
    out = {}
    for path in sorted(SCENARIO_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out[data.get("name", path.stem)] = path
    return out


@transaction.atomic
def scenario_save(
    *, by, data: dict, source: str, scenario: Scenario | None = None, check_places: bool = True
) -> Scenario:
    """Create or update a scenario from its definition (validated here); an edit that changes
    the definition bumps the version."""
    definition = scenario_validate(data, check_places=check_places)
    if scenario is None:
        scenario = Scenario.objects.filter(name=definition["name"]).select_for_update().first()
    elif (
        definition["name"] != scenario.name
        and Scenario.objects.filter(name=definition["name"]).exclude(pk=scenario.pk).exists()
    ):
        raise ValidationError({"name": [_("nama sudah dipakai skenario lain")]})
    created = scenario is None
    if created:
        scenario = Scenario(version=1)
    elif scenario.definition == definition and scenario.source == source:
        return scenario
    else:
        scenario.version += 1
    scenario.name = definition["name"]
    scenario.title = definition["title"]
    scenario.description = definition["description"]
    scenario.definition = definition
    scenario.source = source
    scenario.updated_by = by if getattr(by, "is_authenticated", False) else None
    scenario.save()
    audit_record(
        actor=by,
        action="exercise.scenario_save",
        obj=scenario,
        changes={"version": [None if created else scenario.version - 1, scenario.version]},
    )
    return scenario


def scenario_load_files(*, by=None, names=None, force: bool = False) -> list[tuple[str, str]]:
    """Load shipped scenario files into the database: new ones are created, file-sourced ones
    updated when the file changed; one edited in the form is kept unless `force`.
    Returns [(name, what happened)]."""
    done = []
    for name, path in scenario_files().items():
        if names and name not in names:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        existing = Scenario.objects.filter(name=name).first()
        if existing is not None and existing.source == Scenario.Source.FORM and not force:
            done.append((name, "kept (edited in the form)"))
            continue
        before = existing.version if existing else None
        # Places are checked when a run starts: a file may name TPS imported later.
        row = scenario_save(
            by=by, data=data, source=Scenario.Source.FILE, scenario=existing, check_places=False
        )
        done.append(
            (
                name,
                "created" if before is None else ("updated" if row.version != before else "same"),
            )
        )
    return done


def scenario_get_or_load(name: str) -> Scenario:
    """The scenario by name; a shipped file not yet in the database is loaded on demand."""
    scenario = Scenario.objects.filter(name=name).first()
    if scenario is not None:
        return scenario
    if name not in scenario_files():
        raise ValidationError({"name": [_("skenario '%(n)s' tidak ada") % {"n": name}]})
    scenario_load_files(names=[name])
    return Scenario.objects.get(name=name)
