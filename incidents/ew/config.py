"""The engine's data types and versions: levels, labels, phases, the config (lexicon, weights,
thresholds, optional event lexicon and learned model) and the report and score records (no
Django)."""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incidents.ew.model import LinearModel, load_artefact

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default_config.json")
# The lexicon rules alone (version ew-2024.1): the base the learned versions read and extend.
RULES_CONFIG_PATH = Path(__file__).with_name("rules-ew-2024.1.json")
LEVELS = ("hijau", "kuning", "merah")
CHANNELS = ("intel", "tip", "field")
VULNERABILITY_LABELS = {
    "kurang_rawan": "kurang rawan",
    "rawan": "rawan",
    "sangat_rawan": "sangat rawan",
}
RELIABILITY_LABELS = {
    "A": "sepenuhnya andal",
    "B": "biasanya andal",
    "C": "cukup andal",
    "D": "biasanya tidak andal",
    "E": "tidak andal",
    "F": "keandalan tidak dapat dinilai",
}
CREDIBILITY_LABELS = {
    1: "dikonfirmasi sumber lain",
    2: "kemungkinan besar benar",
    3: "mungkin benar",
    4: "diragukan",
    5: "kemungkinan tidak benar",
    6: "kebenaran tidak dapat dinilai",
}
CHANNEL_LABELS = {"tip": "laporan warga", "field": "laporan lapangan", "intel": "laporan intelijen"}
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")


def _wib(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=WIB)


@dataclass(frozen=True)
class Phase:
    code: str
    label: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    weight: float


# A copy of operations.reference.PHASES_2024 (PKPU 3/2022) so the engine can weigh
# `reported_at` without a database; the Django side passes the phase weight it has on record.
PHASES_2024 = (
    Phase("kampanye", "kampanye", _wib(2023, 11, 28), _wib(2024, 2, 10, 23, 59), 1.2),
    Phase("masa-tenang", "masa tenang", _wib(2024, 2, 11), _wib(2024, 2, 13, 23, 59), 1.3),
    Phase("pemungutan", "hari pemungutan suara", _wib(2024, 2, 14, 7), _wib(2024, 2, 14, 13), 2.0),
    Phase(
        "penghitungan", "penghitungan suara", _wib(2024, 2, 14, 13), _wib(2024, 2, 15, 23, 59), 1.8
    ),
    Phase("rekapitulasi", "rekapitulasi", _wib(2024, 2, 16), _wib(2024, 3, 20, 23, 59), 1.5),
    Phase("penetapan", "penetapan hasil", _wib(2024, 3, 21), _wib(2024, 4, 30, 23, 59), 1.6),
)

KINDS = (
    "threat",
    "target",
    "reassurance",
    "routine",
    "negator",
    "neutral",
    "clause_break",
    "drill",
    "not_drill",
    "imminent_now",
    "imminent_planned",
    "past",
    "rumour",
    "conditional",
    "diminisher",
    "intensifier",
    "resolved",
)


class InvalidReport(ValueError):
    """A report the engine cannot score (missing text, unknown grading letter, bad date)."""


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class Config:
    """Lexicon, weights and thresholds (from_dict, load, or default_config())."""

    version: str
    data: dict[str, Any] = field(repr=False, compare=False)
    model: LinearModel | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Config:
        """Validate an (admin-edited) config dict; raises ValueError naming the bad field."""
        if not isinstance(data, dict):
            raise ValueError("config must be a JSON object")
        version = data.get("version")
        if not isinstance(version, str) or not version.strip():
            raise ValueError("config.version must be a non-empty string")
        th = data.get("thresholds") or {}
        kuning, merah = th.get("kuning"), th.get("merah")
        if not all(isinstance(v, int | float) for v in (kuning, merah)) or not (
            0 < kuning < merah <= 100
        ):
            raise ValueError("config.thresholds needs 0 < kuning < merah <= 100")
        cats = data.get("categories")
        if not isinstance(cats, dict) or not cats:
            raise ValueError("config.categories must be a non-empty object")
        for name, cat in cats.items():
            if not isinstance(cat, dict) or cat.get("kind") not in KINDS:
                raise ValueError(f"config.categories.{name}.kind must be one of {', '.join(KINDS)}")
            terms = cat.get("terms")
            if not isinstance(terms, dict):
                raise ValueError(f"config.categories.{name}.terms must be an object")
            for term, weight in terms.items():
                if not isinstance(weight, int | float) or isinstance(weight, bool):
                    raise ValueError(f"config.categories.{name}.terms[{term!r}] must be a number")
                if not term.lstrip("=").strip():
                    raise ValueError(f"config.categories.{name} has an empty term")
        for key in ("hard_categories", "conditional_exempt"):
            for name in data.get(key, []):
                if name not in cats:
                    raise ValueError(f"config.{key} names an unknown category {name!r}")
        if data.get("drill_max_level", "hijau") not in LEVELS:
            raise ValueError("config.drill_max_level must be hijau, kuning or merah")
        for key in ("weights", "scale", "grading", "vulnerability", "stream"):
            if not isinstance(data.get(key), dict):
                raise ValueError(f"config.{key} must be an object")
        model = None
        if data.get("model") is not None:
            model = LinearModel(load_artefact(data["model"]))  # ValueError names the problem
        if data.get("events") is not None and not isinstance(data["events"], dict):
            raise ValueError("config.events must be an object")
        # A deep copy of the rules; the model (an artefact of a megabyte, never mutated) is
        # shared, and loaded once: the engine takes the one built here.
        copied = json.loads(json.dumps({k: v for k, v in data.items() if k != "model"}))
        if "model" in data:
            copied["model"] = data["model"]
        return cls(version=version.strip(), data=copied, model=model)

    @classmethod
    def load(cls, path: str | Path) -> Config:
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.data))


@functools.cache
def default_config() -> Config:
    """The config shipped in default_config.json (cached): the lexicon with the learned model."""
    return Config.load(DEFAULT_CONFIG_PATH)


@functools.cache
def rules_config() -> Config:
    """The lexicon rules alone, version ew-2024.1 (cached): the learned layer's base."""
    return Config.load(RULES_CONFIG_PATH)


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True, slots=True)
class Report:
    """One report to score. Only `text` is required; the rest weighs it when known."""

    text: str
    source_reliability: str | None = None  # "A".."F"
    info_credibility: int | None = None  # 1..6
    channel: str | None = None  # "intel" | "tip" | "field"
    kelurahan: str | None = None
    reported_at: dt.datetime | None = None  # aware
    vulnerability: str | None = None  # "kurang_rawan" | "rawan" | "sangat_rawan"
    phase_weight: float | None = None  # 1.0 normal, polling day 2.0
    phase_label: str | None = None
    source_id: str | None = None  # who sent it (tip client, informant code), for duplicates
    id: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not self.text.strip():
            raise InvalidReport("text is required")
        if self.source_reliability is not None and self.source_reliability not in (
            RELIABILITY_LABELS
        ):
            raise InvalidReport(
                f"unknown source_reliability {self.source_reliability!r} (expected A..F)"
            )
        if self.info_credibility is not None and (
            isinstance(self.info_credibility, bool)
            or self.info_credibility not in CREDIBILITY_LABELS
        ):
            raise InvalidReport(
                f"unknown info_credibility {self.info_credibility!r} (expected 1..6)"
            )
        if self.channel is not None and self.channel not in CHANNELS:
            raise InvalidReport(f"unknown channel {self.channel!r} (expected intel, tip or field)")
        if self.reported_at is not None and (
            not isinstance(self.reported_at, dt.datetime) or self.reported_at.tzinfo is None
        ):
            raise InvalidReport("reported_at must be an aware datetime")
        if self.vulnerability is not None and self.vulnerability not in VULNERABILITY_LABELS:
            raise InvalidReport(f"unknown vulnerability {self.vulnerability!r}")
        if self.phase_weight is not None and not (
            isinstance(self.phase_weight, int | float) and 0 < self.phase_weight <= 10
        ):
            raise InvalidReport("phase_weight must be a number in (0, 10]")


@dataclass(frozen=True, slots=True)
class Score:
    score: int
    level: str
    reasons: list[str]
    config_version: str
    categories: tuple[str, ...] = ()
    drill: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "level": self.level, "reasons": list(self.reasons)}
