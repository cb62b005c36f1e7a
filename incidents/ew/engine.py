"""The early-warning engine: scores intelligence reports, tips and field reports (no Django).

One :class:`Engine` per config version. It reads a text with the lexicon
(incidents/ew/lexicon.py; its rules and weights are documented in incidents/ew/rules.py), the
event reader (incidents/ew/events.py) and, when the config has one, the learned model
(incidents/ew/model.py, combined in incidents/ew/combine.py). The config, the phases and the
report and score records are in incidents/ew/config.py; the stream (corroboration, surges) in
incidents/ew/stream.py.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

from incidents.ew.combine import learned_score, model_blocks
from incidents.ew.config import (  # noqa: F401 (re-exported: the engine's public names)
    CHANNEL_LABELS,
    CHANNELS,
    CREDIBILITY_LABELS,
    DEFAULT_CONFIG_PATH,
    KINDS,
    LEVELS,
    PHASES_2024,
    RELIABILITY_LABELS,
    RULES_CONFIG_PATH,
    VULNERABILITY_LABELS,
    WIB,
    Config,
    InvalidReport,
    Phase,
    Report,
    Score,
    default_config,
    rules_config,
)
from incidents.ew.events import EventReader
from incidents.ew.lexicon import (  # noqa: F401 (re-exported)
    Analysis,
    LexiconMatcher,
    stem,
    stem_cache_clear,
)
from incidents.ew.model import LinearModel, load_artefact
from incidents.ew.rules import RuleScorer


class Engine(LexiconMatcher, RuleScorer):
    """Scores reports with one config. Build once and reuse: it caches the word look-ups."""

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or default_config()
        d = self.config.data
        self.version = self.config.version
        self.kuning = float(d["thresholds"]["kuning"])
        self.merah = float(d["thresholds"]["merah"])
        self.hard = frozenset(d.get("hard_categories", ()))
        self.drill_cap = LEVELS.index(d.get("drill_max_level", "hijau"))
        self.labels = {name: c.get("label", name) for name, c in d["categories"].items()}
        self.acronyms = frozenset(d.get("acronyms", ()))
        self.grading = d["grading"]
        self.vulnerability = d["vulnerability"]
        self.stream_cfg = d["stream"]
        self.phases = self._phases(d.get("phases"))
        self.reader = EventReader(d.get("events"))
        self.model = self.config.model
        if self.model is None and d.get("model"):
            self.model = LinearModel(load_artefact(d["model"]))
        self._lexicon_build(d)

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
        return learned_score(
            self, report, a, corroboration=corroboration, place=place, extra=extra_reasons
        )

    def _display(self, term: str) -> str:
        return " ".join(wd.upper() if wd in self.acronyms else wd for wd in term.split())


@functools.cache
def default_engine() -> Engine:
    """The shipped engine, built once per process (cached)."""
    return Engine(default_config())


def score_report(report: Report, config: Config | None = None) -> Score:
    """Score one report on its own (standalone mode)."""
    engine = default_engine() if config is None else Engine(config)
    return engine.score(report)


# --------------------------------------------------------------------------- stream
