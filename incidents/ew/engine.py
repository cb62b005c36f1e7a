"""The early-warning engine: scores intelligence reports, tips and field reports (no Django).

A report's text is read against a lexicon of Indonesian terms; the source grading, the place
and the election phase weigh the result; in a stream, independent reports of the same thing
corroborate each other and a burst of reports in one kelurahan raises a surge of its own. Every
number below is data in the config (default_config.json), editable by an administrator and
versioned; the version is written into every score.

Reading the text
----------------
The text is lower-cased and cut into words, numbers and clause marks (``. , ; : ! ? ( )`` and
line breaks). Chat spelling is expanded first (``yg``, ``gk``/``tdk`` -> tidak, ``bnyk``,
``skrg`` -> sekarang, ``sajam`` -> senjata tajam, ``rame2`` -> rame; config ``abbreviations``).
Each word gets a stem from Sastrawi, so "kerusuhan" and "rusuh", "membakar" and "bakar" meet;
where Sastrawi does not know a root (``menghadang``) or gets it wrong (``kerusakan`` -> "rusa")
``stem_overrides`` and a small affix stripper that only accepts lexicon stems fix it (also the
chat forms ngamuk, nyerang, ngebakar, dikumpulin). Stems are cached per word: uncached, Sastrawi
costs about 0.07 ms a word, 1.3 ms a typical report (measured here; the often-quoted 0.08 ms a
sentence holds only with its cache warm), which alone would cap the engine near 800 reports/s;
with the cache a word costs a dictionary look-up.

A lexicon term is a word or phrase; a leading ``=`` matches the written form only (``=aman``
must not match "pengamanan", ``=dipukul`` must not match "pukul 10.00"). Phrases match before
their words (longest first), so "serangan fajar" is money politics, not an attack, and
"tidak netral" is a violation, not a negation. Each category has a *kind*:

- ``threat`` (kekerasan, senjata, proses pemilu, intimidasi, pengerahan massa, politik uang,
  hoaks/SARA, pelanggaran/masalah pemilu, gangguan pelaksanaan such as banjir or listrik
  padam, situasi memanas): points. Within a category the strongest term
  counts fully, the next ``category_decay`` (0.5) of its weight, the next 0.25, and so on;
  categories add up. A term repeated counts once.
- ``negator`` (tidak, tak, bukan, belum, tanpa, tidak ada, anti, ...): a threat term within
  ``negation_window`` (4) words after it, in the same clause, does not count; each negated
  term stretches the window by ``negation_extend`` (2) words so that "tidak ditemukan
  pengerahan massa maupun senjata tajam" negates both. Negated threat terms take
  ``negated_penalty`` (0.25) of their weight off the score (at most 15). A negated
  reassurance ("tidak kondusif", "belum bubar") is a sign of trouble: it counts as
  "situasi memanas" with the reassurance's weight.
- ``conditional`` (jika, kalau, ancam): threat terms within ``conditional_window`` words after
  it describe a threat, not a deed ("diancam akan dipukul"); they count ``conditional_factor``
  (0.4). Categories in ``conditional_exempt`` (senjata) are not affected: in "mengancam KPPS
  dengan pistol" the pistol is real.
- ``target`` (kantor KPU, gudang logistik, kotak suara, PPK, TPS, rumah calon, ...): add the
  strongest two (the second at half) but only when there is a threat.
- scale: a number, or ratusan/ribuan/puluhan, within 3 words before a word for people
  ("200 orang", "ratusan massa") adds points by band (``scale.bands``: >=1000: 25, >=200: 18,
  >=50: 12, >=20: 7, >=10: 4), only when there is a threat.
- ``imminent_now`` (sekarang, saat ini, sedang, minta bantuan, terus bertambah, ...) and
  ``imminent_planned`` (akan, malam ini, besok pagi, rencana, menyiapkan, ...): multiply the
  threat by 1 + the strongest value (now beats planned).
- ``past`` (kemarin, tadi malam, sempat, pasca): times ``past_factor`` (0.6) and ``resolved``
  (bubar, selesai, diamankan, dipadamkan, dibatalkan, kembali normal): times
  ``resolved_factor`` (0.6), each only when nothing is going on now (an ``imminent_now`` term
  of at least ``ongoing_min``, 0.2: "masih" alone does not count); ``rumour`` (beredar, isu,
  katanya, belum jelas, diduga): times ``rumour_factor`` (0.75); ``diminisher`` (kecil,
  ringan, salah paham) and ``intensifier`` (besar, parah) multiply by their value.
- ``reassurance`` (aman, kondusif, terkendali, lancar, tertib, tidak benar, ...) and
  ``resolved`` terms, and ``routine`` ones (sosialisasi, patroli dialogis, apel, mediasi, a
  citizen's question, ...): points taken off (the strongest fully, each next one times
  ``reassurance_decay`` 0.6; at most 40, and at most 20 for routine).
- ``drill`` (simulasi, latihan, gladi, Sispamkota, peragaan, TFG; "skenario" half): when their
  values reach ``drill_min`` the report is a drill: threat points times ``drill_factor`` (0.15),
  the level at most ``drill_max_level`` (hijau), and a reason says so. ``not_drill`` phrases
  ("bukan latihan") override.
- ``neutral`` phrases are consumed and ignored ("tidak dikenal", "dipukul mundur",
  "pemadam kebakaran"); ``clause_break`` words (namun, tetapi) end negation scopes like commas.

Weighing the report
-------------------
``threat = (categories + targets + scale) x time x past x resolved x rumour x size x drill`` is
then multiplied
by the context: the source grading (reliability A..F x credibility 1..6: A 1.0, B 0.9, C 0.8,
D 0.65, E 0.5, F 0.9 and 1 1.0, 2 0.95, 3 0.85, 4 0.65, 5 0.45, 6 0.9, so A1 1.0, F6 0.81;
both missing: the ungraded weight of the channel, tip 0.75, field 0.95, intel 0.8: a tip
weighs less than even an F6 report but still counts); the vulnerability of the TPS or kelurahan
(kurang_rawan 1.0, rawan 1.1, sangat_rawan 1.25); and the election phase weight w raised to
``phase_exponent`` (0.4: polling day 2.0 -> x1.32), taken from the caller or from the built-in
Pemilu 2024 table (:data:`PHASES_2024`) by ``reported_at``. Reassurance and routine points are
subtracted after that (a poor source does not make "aman" more reassuring), corroboration
points added, and the total clamped to 0..100: that is the score.

Levels (``thresholds``): **merah** from 55, **kuning** from 15, else **hijau**. Merah also needs
a ``hard_categories`` term (kekerasan, senjata, proses pemilu): money politics, a hoax or a
peaceful crowd, however large, is at most kuning (needs verification, Gakkumdu), never "act
now".

The config (default_config.json; an administrator's copy has the same shape)
----------------------------------------------------------------------------
``version`` (string, stored with every score); ``thresholds`` {kuning, merah};
``hard_categories`` [names]; ``conditional_exempt`` [names]; ``drill_max_level``;
``weights`` {the factors named above};
``scale`` {bands [[people, points], ...], people [words], words {ratusan: 300, ...},
multipliers {ratus: 100, ...}}; ``grading`` {reliability {A..F}, credibility {"1".."6"},
ungraded {tip, field, intel, "": weight}}; ``vulnerability`` {kurang_rawan, rawan,
sangat_rawan}; ``stream`` {the corroboration and surge settings below}; ``acronyms`` (shown
upper case in reasons); ``abbreviations`` {chat form: expansion}; ``stem_overrides``
{word: stem}; optional ``phases`` [{code, label, start, end (ISO 8601), weight}] replacing
:data:`PHASES_2024`; and ``categories`` {name: {kind, label, terms {term: weight}}}, where the
weight is points for threat/target/reassurance/resolved/routine terms, the added fraction for
imminence, the factor for diminishers and intensifiers, and unused for the other kinds.
:meth:`Config.from_dict` checks it and names the bad field.

The stream
----------
:class:`StreamScorer` scores reports in time order and remembers recent ones per kelurahan:

- **corroboration**: earlier reports in the same kelurahan within
  ``corroboration_window_minutes`` (120) whose signatures (the stems of their threat and target
  terms plus their threat category names) overlap (Jaccard >= 0.25, sharing at least one
  category) corroborate the new one if they are independent: from another source (channel +
  ``source_id`` when known) and not near-identical text (Jaccard of all word stems >= 0.8,
  which is how a forwarded WhatsApp message looks). Each independent one adds
  ``corroboration_points`` (10), at most ``corroboration_max_reports`` (2). A near-duplicate from
  the same source adds nothing and is said to be a duplicate.
- **surge**: reports that carry a signal (standalone score >= ``surge_min_score``, 10; not
  duplicates) are counted per kelurahan. k is the count in the last ``surge_window_minutes``
  (60); the baseline is the kelurahan's own count in the ``surge_baseline_hours`` (24) before
  that window, shrunk towards a prior rate over ``surge_prior_hours`` (6) so that the first
  hours of a stream are not all surges:
  ``rate = (prior x 6 + baseline count) / (6 + baseline hours observed)``, where
  ``prior = max(surge_prior_rate_per_hour (0.25), signals per hour per active kelurahan
  elsewhere in the city)``: a busy polling day everywhere is not a surge in one place.
  ``expected = rate x window hours``; a surge is ``P(X >= k | Poisson(expected)) <
  surge_alpha`` with ``k >= surge_min_count`` (4). The test is repeated at every report over a
  sliding window, which inflates false alarms, so ``surge_alpha`` is 0.001 rather than 0.01:
  on steady random traffic of 3 signals an hour in each of 5 kelurahan for two days that gives
  about one false surge episode, where 0.01 gave one every few hours. A surge is returned as
  a :class:`Surge` (``first`` marks the start of an episode) for the caller to raise or update
  an alert of its own; the report's score is unchanged, its reasons say so.
- memory is bounded: items older than the longer window are evicted as time moves on, each
  kelurahan keeps at most ``max_items_per_place`` items and the scorer at most ``max_places``
  kelurahan (least recently seen dropped first), so a long stream stays fast.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incidents.ew.events import EventReader
from incidents.ew.lexicon import stem, stem_cache_clear  # noqa: F401 (re-exported)
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
        if data.get("model") is not None:
            LinearModel(load_artefact(data["model"]))  # raises ValueError naming the problem
        if data.get("events") is not None and not isinstance(data["events"], dict):
            raise ValueError("config.events must be an object")
        return cls(version=version.strip(), data=json.loads(json.dumps(data)))

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


_TOKEN_RE = re.compile(r"[a-z]+[0-9]*|[0-9]+(?:[.,][0-9]+)*|[.,;:!?()\n]")
_BOUNDARY = frozenset(".,;:!?()\n")
_PREFIXES = ("meng", "meny", "mem", "men", "me", "di", "peng", "peny", "pem", "pen", "pe", "ter")
_PREFIXES += ("ber", "ke", "se", "nge", "ng", "ny", "n", "pel", "per")
_SUFFIXES = ("kan", "an", "i", "nya", "in")
_NASAL_LOST = {
    "meny": "sc",
    "peny": "s",
    "ny": "sc",
    "n": "t",
    "meng": "k",
    "peng": "k",
    "ng": "k",
    "mem": "p",
    "pem": "p",
    "men": "t",
    "pen": "t",
}
_K_THREAT, _K_TARGET, _K_REASSURE, _K_ROUTINE, _K_NEG, _K_NEUTRAL, _K_BREAK = range(7)
_K_DRILL, _K_NOTDRILL, _K_NOW, _K_PLANNED, _K_PAST, _K_RUMOUR, _K_COND = range(7, 14)
_K_DIMINISH, _K_INTENSIFY, _K_RESOLVED = 14, 15, 16
_KIND_CODE = {name: i for i, name in enumerate(KINDS)}


def _parse_number(tok: str) -> float | None:
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", tok):
        return float(tok.replace(".", ""))
    try:
        return float(tok.replace(",", "."))
    except ValueError:
        return None


@dataclass(slots=True)
class _Entry:
    category: str
    kind: int
    label: str
    weight: float
    words: tuple[str, ...]
    exact: bool


@dataclass(slots=True)
class Analysis:
    """What the lexicon found in one text (before the context weighs it)."""

    threats: dict[str, dict[str, tuple[float, bool]]] = field(default_factory=dict)
    negated: dict[str, float] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)
    reassurance: dict[str, float] = field(default_factory=dict)
    resolved: dict[str, float] = field(default_factory=dict)
    routine: dict[str, float] = field(default_factory=dict)
    drill: dict[str, float] = field(default_factory=dict)
    not_drill: bool = False
    now: dict[str, float] = field(default_factory=dict)
    planned: dict[str, float] = field(default_factory=dict)
    past: list[str] = field(default_factory=list)
    rumour: list[str] = field(default_factory=list)
    size: dict[str, float] = field(default_factory=dict)
    people: float = 0.0
    signature: frozenset = frozenset()
    words: frozenset = frozenset()


class Engine:
    """Scores reports with one config. Build once and reuse: it caches the word look-ups."""

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or default_config()
        d = self.config.data
        self.version = self.config.version
        w = d["weights"]
        self.w = w
        self.kuning = float(d["thresholds"]["kuning"])
        self.merah = float(d["thresholds"]["merah"])
        self.hard = frozenset(d.get("hard_categories", ()))
        # A weapon named after "mengancam" is there, not hypothetical ("mengancam dengan parang").
        self.cond_exempt = frozenset(d.get("conditional_exempt", ()))
        self.drill_cap = LEVELS.index(d.get("drill_max_level", "hijau"))
        self.labels = {name: c.get("label", name) for name, c in d["categories"].items()}
        self.acronyms = frozenset(d.get("acronyms", ()))
        self.abbrev = {k: tuple(v.split()) for k, v in d.get("abbreviations", {}).items()}
        self.overrides = dict(d.get("stem_overrides", {}))
        scale = d["scale"]
        self.people_words = frozenset(scale.get("people", ()))
        self.number_words = {k: float(v) for k, v in scale.get("words", {}).items()}
        self.multipliers = {k: float(v) for k, v in scale.get("multipliers", {}).items()}
        self.scale_bands = sorted((tuple(b) for b in scale.get("bands", ())), reverse=True)
        self.grading = d["grading"]
        self.vulnerability = d["vulnerability"]
        self.stream_cfg = d["stream"]
        self.phases = self._phases(d.get("phases"))
        self.reader = EventReader(d.get("events"))
        self.model = LinearModel(load_artefact(d["model"])) if d.get("model") else None

        entries: list[_Entry] = []
        for name, cat in d["categories"].items():
            kind = _KIND_CODE[cat["kind"]]
            for term, weight in cat["terms"].items():
                exact = term.startswith("=")
                words = tuple(term.lstrip("=").lower().split())
                entries.append(_Entry(name, kind, " ".join(words), float(weight), words, exact))
        # Stems the lexicon knows: the affix stripper only accepts these, and lexicon words
        # are stemmed the same way as the text so both sides meet.
        self._vocab = {self._stem_plain(wd) for e in entries if not e.exact for wd in e.words}
        self._cache: dict[str, tuple[tuple[str, str], ...]] = {}
        self.by_surface: dict[str, list[_Entry]] = {}
        self.by_stem: dict[str, list[_Entry]] = {}
        for e in entries:
            if e.exact:
                self.by_surface.setdefault(e.words[0], []).append(e)
            else:
                e.words = tuple(self._stem_word(wd) for wd in e.words)
                self.by_stem.setdefault(e.words[0], []).append(e)
        for index in (self.by_surface, self.by_stem):
            for lst in index.values():
                lst.sort(key=lambda e: -len(e.words))

    # ---- words

    @staticmethod
    def _phases(raw: list[dict] | None) -> tuple[Phase, ...]:
        if not raw:
            return PHASES_2024
        return tuple(
            Phase(
                p["code"],
                p["label"],
                dt.datetime.fromisoformat(p["start"]),
                dt.datetime.fromisoformat(p["end"]),
                float(p["weight"]),
            )
            for p in raw
        )

    def _stem_plain(self, word: str) -> str:
        return self.overrides.get(word) or stem(word)

    def _stem_word(self, word: str) -> str:
        """Stem, then fall back on lexicon-aware affix stripping and letter de-doubling."""
        s = self._stem_plain(word)
        if s in self._vocab or not word.isalpha():
            return s
        if s == word:  # Sastrawi did not know the root (colloquial ng-/ny-/-in, hadang, ...)
            for cand in self._strip_affixes(word):
                if len(cand) >= 4 and cand in self._vocab:
                    return cand
        dedup = re.sub(r"(.)\1+", r"\1", word)
        if dedup != word:
            s2 = self._stem_plain(dedup)
            if s2 in self._vocab:
                return s2
        return s

    @staticmethod
    def _strip_affixes(word: str) -> Iterator[str]:
        bases = [word]
        for suf in _SUFFIXES:
            if word.endswith(suf) and len(word) - len(suf) >= 3:
                bases.append(word[: -len(suf)])
        for base in bases:
            yield base
            for pre in _PREFIXES:
                if base.startswith(pre) and len(base) - len(pre) >= 3:
                    rest = base[len(pre) :]
                    yield rest
                    # meny-/ny- replace s or c, meng-/ng- k, mem- p, men-/n- t: nyerang <- serang
                    if rest[0] in "aeiou":
                        for lost in _NASAL_LOST.get(pre, ""):
                            yield lost + rest

    def _tokens(self, raw: str) -> tuple[tuple[str, str], ...]:
        """(surface, stem) pairs for one raw token, cached; boundaries stem to '|'."""
        hit = self._cache.get(raw)
        if hit is not None:
            return hit
        if raw in _BOUNDARY:
            out: tuple[tuple[str, str], ...] = ((raw, "|"),)
        elif raw[0].isdigit():
            out = ((raw, "#"),)
        else:
            word = raw
            if word[-1].isdigit() and word[:-1].isalpha() and word.endswith("2"):
                word = word[:-1]  # rame2, bagi2: reduplication written with a 2
            words = self.abbrev.get(word, (word,))
            out = tuple((wd, self._stem_word(wd)) for wd in words)
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[raw] = out
        return out

    # ---- analysis

    def analyse(self, text: str) -> Analysis:
        """Find the lexicon's signals in `text`."""
        surf: list[str] = []
        stems: list[str] = []
        for raw in _TOKEN_RE.findall(text.lower()):
            for s, k in self._tokens(raw):
                surf.append(s)
                stems.append(k)
        a = Analysis()
        w = self.w
        neg_window = int(w.get("negation_window", 4))
        neg_extend = int(w.get("negation_extend", 2))
        cond_window = int(w.get("conditional_window", 5))
        neg_end = cond_end = -1
        neg_word = ""
        sig: set[str] = set()
        n = len(surf)
        by_surface, by_stem = self.by_surface, self.by_stem
        i = 0
        while i < n:
            k = stems[i]
            if k == "|":
                neg_end = cond_end = -1
                i += 1
                continue
            if k == "#" or surf[i] in self.number_words:
                self._scale_at(a, surf, i)
            c1 = by_surface.get(surf[i])
            c2 = by_stem.get(k)
            if c1 is None and c2 is None:
                i += 1
                continue
            # Longest match wins; at equal length a written-form (=) entry beats a stem entry,
            # so "=kebakaran" (a fire) is not also "bakar" (arson).
            best: list[_Entry] = []
            best_len = 0
            for cands, seq in ((c1, surf), (c2, stems)):
                if not cands:
                    continue
                exact_pass = seq is surf
                for e in cands:
                    length = len(e.words)
                    if i + length > n or length < best_len:
                        continue
                    if length == best_len and not exact_pass and best and best[0].exact:
                        continue
                    if length == 1 or all(seq[i + j] == e.words[j] for j in range(1, length)):
                        if length > best_len:
                            best, best_len = [e], length
                        else:
                            best.append(e)
            if not best:
                i += 1
                continue
            end = i + best_len
            for e in best:
                kind = e.kind
                if kind == _K_THREAT:
                    if i <= neg_end:
                        a.negated[e.label] = max(a.negated.get(e.label, 0.0), e.weight)
                        neg_end = max(neg_end, end - 1 + neg_extend)
                    else:
                        hyp = i <= cond_end and e.category not in self.cond_exempt
                        cat = a.threats.setdefault(e.category, {})
                        old = cat.get(e.label)
                        if old is None or (old[1] and not hyp):
                            cat[e.label] = (e.weight, hyp)
                        sig.update(e.words)
                        sig.add("#" + e.category)
                elif kind == _K_TARGET:
                    a.targets[e.label] = max(a.targets.get(e.label, 0.0), e.weight)
                    sig.update(e.words)
                elif kind in (_K_REASSURE, _K_RESOLVED):
                    if i <= neg_end:
                        cat = a.threats.setdefault("situasi", {})
                        cat[f"{neg_word} {e.label}"] = (e.weight, False)
                        sig.add("#situasi")
                    elif kind == _K_REASSURE:
                        a.reassurance[e.label] = e.weight
                    else:
                        a.resolved[e.label] = e.weight
                elif kind == _K_ROUTINE:
                    a.routine[e.label] = e.weight
                elif kind == _K_NEG:
                    neg_end = end - 1 + neg_window
                    neg_word = e.label
                elif kind == _K_BREAK:
                    neg_end = cond_end = -1
                elif kind == _K_DRILL:
                    if i <= neg_end:
                        a.not_drill = True
                    else:
                        a.drill[e.label] = e.weight
                elif kind == _K_NOTDRILL:
                    a.not_drill = True
                elif kind == _K_NOW:
                    if i > neg_end:
                        a.now[e.label] = e.weight
                elif kind == _K_PLANNED:
                    if i > neg_end:
                        a.planned[e.label] = e.weight
                elif kind == _K_PAST:
                    a.past.append(e.label)
                elif kind == _K_RUMOUR:
                    a.rumour.append(e.label)
                elif kind == _K_COND:
                    cond_end = end - 1 + cond_window
                elif kind in (_K_DIMINISH, _K_INTENSIFY):
                    a.size[e.label] = e.weight
            i = end
        a.signature = frozenset(sig)
        a.words = frozenset(k for k in stems if k not in ("|", "#"))
        return a

    def _scale_at(self, a: Analysis, surf: list[str], i: int) -> None:
        tok = surf[i]
        value = self.number_words.get(tok)
        if value is None:
            value = _parse_number(tok)
        if value is None:
            return
        j = i + 1
        if j < len(surf) and surf[j] in self.multipliers:
            value *= self.multipliers[surf[j]]
            j += 1
        window = int(self.w.get("scale_window", 3))
        for s in surf[j : j + window]:
            if s in self.people_words:
                a.people = max(a.people, value)
                return
            if s in _BOUNDARY:
                return

    # ---- scoring

    def grade_weight(self, report: Report) -> tuple[float, str]:
        g = self.grading
        rel, cred = report.source_reliability, report.info_credibility
        if rel is None and cred is None:
            channel = report.channel or ""
            weight = float(g["ungraded"].get(channel, g["ungraded"].get("", 0.75)))
            what = CHANNEL_LABELS.get(channel, "laporan")
            return weight, f"{what} tanpa penilaian sumber (bobot {weight:.2f})"
        rw = float(g["reliability"].get(rel or "F", 0.8))
        cw = float(g["credibility"].get(str(cred or 6), 0.8))
        code = f"{rel or '?'}{cred or '?'}"
        parts = []
        if rel:
            parts.append(RELIABILITY_LABELS[rel])
        if cred:
            parts.append(CREDIBILITY_LABELS[cred])
        return rw * cw, f"sumber {code} ({', '.join(parts)}; bobot {rw * cw:.2f})"

    def phase_for(self, when: dt.datetime | None) -> Phase | None:
        if when is None:
            return None
        for phase in self.phases:
            if phase.starts_at <= when <= phase.ends_at:
                return phase
        return None

    def model_blocks(self, text: str, channel: str | None = None) -> dict[str, list[str]]:
        """The learned layer's features of one text (ew_train and scoring share this)."""
        from incidents.ew.combine import model_blocks

        return model_blocks(self, text, channel)[0]

    def score(self, report: Report, *, corroboration: int = 0, place: str | None = None) -> Score:
        """Score one report; `corroboration` = independent reports that back it (stream)."""
        return self.score_analysis(
            report, self.analyse(report.text), corroboration=corroboration, place=place
        )

    def score_analysis(
        self,
        report: Report,
        a: Analysis,
        *,
        corroboration: int = 0,
        place: str | None = None,
        extra_reasons: Iterable[str] = (),
    ) -> Score:
        """Score an analysed report: the learned layer when the config has a model (it reads
        the lexicon's result as one of its signals), else the lexicon rules alone."""
        if self.model is None:
            return self.rule_score(
                report, a, corroboration=corroboration, place=place, extra_reasons=extra_reasons
            )
        from incidents.ew.combine import learned_score

        return learned_score(
            self, report, a, corroboration=corroboration, place=place, extra=extra_reasons
        )

    def rule_score(
        self,
        report: Report,
        a: Analysis,
        *,
        corroboration: int = 0,
        place: str | None = None,
        extra_reasons: Iterable[str] = (),
    ) -> Score:
        """The lexicon rules' score (version ew-2024.1's whole engine)."""
        w = self.w
        reasons: list[str] = []
        drill = sum(a.drill.values()) >= float(w.get("drill_min", 1.0)) and not a.not_drill
        if drill:
            reasons.append(
                f"kemungkinan latihan/simulasi ({', '.join(a.drill)}): tidak dijadikan peringatan"
            )
        elif a.not_drill:
            reasons.append("ditegaskan bukan latihan")

        decay = float(w.get("category_decay", 0.5))
        cond = float(w.get("conditional_factor", 0.4))
        threat = 0.0
        hard = False
        found = []
        for name, terms in a.threats.items():
            vals = sorted(
                ((wt * cond if hyp else wt), term, hyp) for term, (wt, hyp) in terms.items()
            )
            vals.reverse()
            points = sum(v * decay**r for r, (v, _, _) in enumerate(vals))
            threat += points
            if name in self.hard and any(not hyp for _, _, hyp in vals):
                hard = True
            words = ", ".join(t + (" [bersyarat]" if hyp else "") for _, t, hyp in vals)
            found.append((points, f"kata ancaman: {words} ({self.labels.get(name, name)})"))
        found.sort(key=lambda pr: -pr[0])  # the strongest category first
        reasons.extend(text for _, text in found)

        pos = 0.0
        if threat > 0:
            pos = threat
            tvals = sorted(a.targets.items(), key=lambda kv: -kv[1])
            tvals = tvals[: int(w.get("max_targets", 2))]
            if tvals:
                tdecay = float(w.get("target_decay", 0.5))
                pos += sum(v * tdecay**r for r, (_, v) in enumerate(tvals))
                ranked = sorted(a.targets, key=lambda t: -a.targets[t])
                names = ", ".join(self._display(t) for t in ranked)
                reasons.append(f"sasaran: {names}")
            if a.people:
                for lower, points in self.scale_bands:
                    if a.people >= lower:
                        pos += points
                        reasons.append(f"skala: sekitar {a.people:,.0f} orang".replace(",", "."))
                        break
            mult = 1.0
            if a.now:
                mult += max(a.now.values())
                reasons.append(f"waktu: sedang berlangsung ({', '.join(a.now)})")
            elif a.planned:
                mult += max(a.planned.values())
                reasons.append(f"waktu: direncanakan/segera ({', '.join(a.planned)})")
            # "masih" alone does not make an event current; "sekarang", "minta bantuan" do.
            ongoing = bool(a.now) and max(a.now.values()) >= float(w.get("ongoing_min", 0.2))
            if a.past and not ongoing:
                mult *= float(w.get("past_factor", 0.6))
                reasons.append(f"waktu: kejadian sudah lewat ({', '.join(dict.fromkeys(a.past))})")
            if a.resolved and not ongoing:
                mult *= float(w.get("resolved_factor", 0.6))
            if a.rumour:
                mult *= float(w.get("rumour_factor", 0.85))
                words = ", ".join(dict.fromkeys(a.rumour))
                reasons.append(f"kabar belum pasti ({words}): perlu verifikasi")
            if a.size:
                low = min(a.size.values())
                high = max(a.size.values())
                mult *= (low if low < 1 else 1.0) * (high if high > 1 else 1.0)
                reasons.append(f"besaran kejadian: {', '.join(a.size)}")
            pos *= mult
            if drill:
                pos *= float(w.get("drill_factor", 0.15))
        elif not a.reassurance and not a.negated and not a.resolved:
            reasons.append("tidak ada tanda ancaman")

        if a.negated:
            reasons.append(f"disangkal, tidak dihitung: {', '.join(a.negated)}")
        neg = min(
            float(w.get("negated_penalty_max", 15)),
            float(w.get("negated_penalty", 0.25)) * sum(a.negated.values()),
        )
        if a.resolved:
            reasons.append(f"kejadian sudah selesai/tertangani ({', '.join(a.resolved)})")
        if a.reassurance:
            reasons.append(f"pernyataan aman/kondusif menurunkan skor ({', '.join(a.reassurance)})")
        if a.reassurance or a.resolved:
            rdecay = float(w.get("reassurance_decay", 0.6))
            vals = sorted([*a.reassurance.values(), *a.resolved.values()], reverse=True)
            neg += min(
                float(w.get("reassurance_max", 40)),
                sum(v * rdecay**r for r, v in enumerate(vals)),
            )
        if a.routine:
            neg += min(float(w.get("routine_max", 20)), sum(a.routine.values()))
            reasons.append(f"kegiatan rutin/preventif ({', '.join(a.routine)})")

        # Context: who says it, where, when.
        ctx, why = self.grade_weight(report)
        reasons.append(why)
        if report.vulnerability:
            vw = float(self.vulnerability.get(report.vulnerability, 1.0))
            ctx *= vw
            label = VULNERABILITY_LABELS[report.vulnerability]
            reasons.append(f"kerawanan wilayah: {label} (bobot {vw:.2f})")
        pw, plabel = report.phase_weight, report.phase_label
        if pw is None:
            phase = self.phase_for(report.reported_at)
            if phase is not None:
                pw, plabel = phase.weight, phase.label
        if pw is not None:
            ctx *= float(pw) ** float(w.get("phase_exponent", 0.4))
            reasons.append(f"tahapan: {plabel or 'tahapan pemilu'} (bobot {float(pw):.1f})")

        raw = pos * ctx - neg
        if corroboration and pos > 0:
            cfg = self.stream_cfg
            n = min(corroboration, int(cfg.get("corroboration_max_reports", 2)))
            raw += n * float(cfg.get("corroboration_points", 10))
            hours = int(cfg.get("corroboration_window_minutes", 120)) / 60
            where = f" di {place}" if place else ""
            reasons.append(
                f"dikuatkan {corroboration} laporan independen dalam {hours:g} jam{where}"
            )
        reasons.extend(extra_reasons)
        score = max(0, min(100, round(raw)))
        level = 2 if score >= self.merah else 1 if score >= self.kuning else 0
        if level == 2 and not hard:
            level = 1
            reasons.append(
                "bukan kekerasan atau ancaman langsung terhadap proses pemilu: paling tinggi kuning"
            )
        if drill and level > self.drill_cap:
            level = self.drill_cap
        reasons.append(f"versi aturan: {self.version}")
        return Score(
            score=score,
            level=LEVELS[level],
            reasons=reasons,
            config_version=self.version,
            categories=tuple(a.threats),
            drill=drill,
        )

    def _display(self, term: str) -> str:
        return " ".join(wd.upper() if wd in self.acronyms else wd for wd in term.split())


@functools.cache
def _default_engine() -> Engine:
    return Engine(default_config())


def score_report(report: Report, config: Config | None = None) -> Score:
    """Score one report on its own (standalone mode)."""
    engine = _default_engine() if config is None else Engine(config)
    return engine.score(report)


# --------------------------------------------------------------------------- stream
