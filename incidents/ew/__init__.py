"""The early-warning engine (pure Python, no Django): see incidents.ew.engine."""

from incidents.ew.engine import (
    PHASES_2024,
    WIB,
    Config,
    Engine,
    InvalidReport,
    Phase,
    Report,
    Score,
    default_config,
    rules_config,
    score_report,
)
from incidents.ew.jsonl import report_from_dict, score_lines
from incidents.ew.stream import StreamResult, StreamScorer, Surge, poisson_sf

__all__ = [
    "PHASES_2024",
    "WIB",
    "Config",
    "Engine",
    "InvalidReport",
    "Phase",
    "Report",
    "Score",
    "StreamResult",
    "StreamScorer",
    "Surge",
    "default_config",
    "poisson_sf",
    "report_from_dict",
    "rules_config",
    "score_lines",
    "score_report",
]
