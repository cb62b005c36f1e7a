"""The JSON Lines face of the engine (what `manage.py ew_score` reads and writes); no Django."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from typing import Any

from incidents.ew.engine import (
    CREDIBILITY_LABELS,
    RELIABILITY_LABELS,
    WIB,
    Engine,
    InvalidReport,
    Report,
    default_engine,
)
from incidents.ew.stream import StreamScorer


def _parse_when(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidReport("reported_at must be an ISO 8601 string")
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidReport(f"invalid reported_at {value!r} (expected ISO 8601)") from None
    # A time without an offset is read as Kota Metro's local time (WIB, UTC+7).
    return when if when.tzinfo else when.replace(tzinfo=WIB)


def report_from_dict(obj: Any) -> Report:
    """A Report from one JSON object of the ew_score input; raises InvalidReport."""
    if not isinstance(obj, dict):
        raise InvalidReport("each line must be a JSON object")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidReport("text is required")
    rel = obj.get("source_reliability")
    if rel in ("", None):
        rel = None
    elif not isinstance(rel, str) or rel.strip().upper() not in RELIABILITY_LABELS:
        raise InvalidReport(f"unknown source_reliability {rel!r} (expected A..F)")
    else:
        rel = rel.strip().upper()
    cred = obj.get("info_credibility")
    if cred in ("", None):
        cred = None
    elif isinstance(cred, str) and cred.strip().isdigit():
        cred = int(cred.strip())
    if cred is not None and (isinstance(cred, bool) or cred not in CREDIBILITY_LABELS):
        raise InvalidReport(f"unknown info_credibility {obj.get('info_credibility')!r} (1..6)")
    channel = obj.get("channel") or None
    kel = obj.get("kelurahan") or None
    if kel is not None and not isinstance(kel, str):
        raise InvalidReport("kelurahan must be a string")
    phase_weight = obj.get("phase_weight")
    if phase_weight is not None and (
        isinstance(phase_weight, bool) or not isinstance(phase_weight, int | float)
    ):
        raise InvalidReport("phase_weight must be a number")
    source = obj.get("source_id", obj.get("source"))
    return Report(
        text=text,
        source_reliability=rel,
        info_credibility=cred,
        channel=channel,
        kelurahan=kel,
        reported_at=_parse_when(obj.get("reported_at")),
        vulnerability=obj.get("vulnerability") or None,
        phase_weight=phase_weight,
        source_id=None if source is None else str(source),
        id=obj.get("id"),
    )


def score_lines(
    lines: Iterable[str], *, engine: Engine | None = None, stream: bool = False
) -> Iterator[dict[str, Any]]:
    """The ew_score command's core: one output dict per non-blank input line, same order."""
    engine = engine or default_engine()
    scorer = StreamScorer(engine) if stream else None
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        rid = None
        try:
            obj = json.loads(line)
            if isinstance(obj, dict):
                rid = obj.get("id")
            report = report_from_dict(obj)
        except json.JSONDecodeError as exc:
            yield {"id": None, "line": lineno, "error": f"invalid JSON: {exc.msg}"}
            continue
        except InvalidReport as exc:
            yield {"id": rid, "line": lineno, "error": str(exc)}
            continue
        if scorer is None:
            out = engine.score(report).to_dict()
        else:
            result = scorer.push(report)
            out = result.score.to_dict()
            if result.surge is not None:
                out["surge"] = result.surge.to_dict()
        yield {"id": rid, **out}
