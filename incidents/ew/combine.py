"""One score from three layers: the lexicon rules, the event reader and the learned model
(no Django).

The lexicon's level and the event reader's parts are features of the linear model
(incidents/ew/model.py), which gives the level and the score. Corroboration in a stream adds
its points after that, as in the rule engine. The reasons say, in a duty officer's words, what
the event reader found (the act and its status, the means, the target), what the model weighed
(its probabilities and the words that pulled hardest), the source, the phase, and the version.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from incidents.ew.config import LEVELS, Report, Score
from incidents.ew.events import ACT_LABELS, MEANS_LABELS, STATUS_LABELS, TARGET_LABELS, Events
from incidents.ew.model import blocks_of

if TYPE_CHECKING:
    from incidents.ew.lexicon import Analysis

# The engine calls these functions with itself (incidents/ew/engine.py imports this module, so
# this one names it only as a type: `Engine` below is the engine's duck type).
Engine = Any

LEVEL_WORDS = {"hijau": "hijau", "kuning": "kuning", "merah": "merah"}


def model_blocks(engine: Engine, text: str, channel: str | None, a: Analysis | None = None):
    """The model's feature blocks of one text (training and scoring use this one function)."""
    reader = engine.reader
    ev = reader.read(text)
    a = a if a is not None else engine.analyse(text)
    rule = engine.rule_score(_bare(text, channel), a)
    extra = [f"rule_{rule.level}"]
    if rule.drill:
        extra.append("rule_drill")
    if channel:
        extra.append(f"channel_{channel}")
    return blocks_of(ev.words, ev.features + extra), ev, rule


def _bare(text: str, channel: str | None) -> Report:
    return Report(text=text, channel=channel)


def event_reasons(engine: Engine, ev: Events) -> list[str]:
    out = []
    live = [(a, st) for a, st in ev.acts.items() if st in ("now", "plain", "planned")]
    dead = [(a, st) for a, st in ev.acts.items() if (a, st) not in live]

    def part(family: str, name: str, label: str, st: str) -> str:
        said = engine._display(ev.said.get(f"{family}:{name}", ""))
        return f"{label} “{said}” ({STATUS_LABELS[st]})" if said else f"{label} ({st})"

    if live:
        words = ", ".join(part("act", a, ACT_LABELS[a], st) for a, st in live)
        out.append(f"peristiwa: {words}")
    if dead:
        words = ", ".join(part("act", a, ACT_LABELS[a], st) for a, st in dead)
        out.append(f"disebut tetapi tidak berlaku sekarang: {words}")
    means = [part("means", m, MEANS_LABELS[m], st) for m, st in ev.means.items()]
    if means:
        out.append(f"sarana: {', '.join(means)}")
    if ev.targets and (live or ev.means):
        names = [
            f"{TARGET_LABELS[t]} ({engine._display(ev.said.get('target:' + t, ''))})"
            for t in sorted(ev.targets)
        ]
        out.append(f"sasaran: {', '.join(names)}")
    if "drill" in ev.doc:
        out.append("laporan tentang latihan/simulasi")
    if not ev.acts and not ev.means:
        out.append("tidak ada peristiwa gangguan yang terbaca")
    out.append(f"aturan peristiwa: {LEVEL_WORDS[ev.level]}" + (f" ({ev.why})" if ev.why else ""))
    return out


def _feature_word(f: str) -> str | None:
    """A model feature in a duty officer's words (None for character n-grams)."""
    kind, _, rest = f.partition(":")
    if kind == "w":
        return f"kata “{rest}”"
    if kind != "e":
        return None
    head, _, tail = rest.partition("_")
    if head in ("rule", "ev") and tail.split("_")[-1] in LEVEL_WORDS:
        which = "leksikon" if head == "rule" else "peristiwa"
        return f"aturan {which} {tail.split('_')[-1]}"
    parts = tail.split("_")
    labels = {"act": ACT_LABELS, "means": MEANS_LABELS}.get(head)
    if labels and parts[0] in labels:
        status = STATUS_LABELS.get(parts[1]) if len(parts) > 1 else None
        return labels[parts[0]] + (f" ({status})" if status else "")
    if head == "target" and tail in TARGET_LABELS:
        return f"sasaran {TARGET_LABELS[tail]}"
    if head == "doc":
        return {"drill": "latihan", "denied": "bantahan", "past": "waktu lampau"}.get(tail)
    return None


def model_reasons(engine: Engine, pred) -> list[str]:
    p = pred.probabilities
    words = []
    for f, _ in pred.top:
        w = _feature_word(f)
        if w and w not in words:
            words.append(w)
        if len(words) == 6:
            break
    line = (
        f"model bahasa: peluang merah {p['merah']:.2f}, kuning {p['kuning']:.2f}, "
        f"hijau {p['hijau']:.2f}"
    )
    if words:
        line += f"; paling menentukan: {', '.join(words)}"
    return [line]


def decide(engine_model, blocks: dict[str, list[str]], ev: Events):
    """The model's prediction, with one guard: a report the event reader reads as a live
    violent act is never hijau (at least kuning: the command post verifies it). Measured in
    bench/ew_eval.py, this is what keeps merah reports from being called hijau."""
    pred = engine_model.predict(blocks)
    if ev.level == "merah" and pred.level == "hijau":
        pred = engine_model.lifted(pred, "kuning")
    return pred


def learned_score(
    engine: Engine,
    report: Report,
    a: Analysis,
    *,
    corroboration: int = 0,
    place: str | None = None,
    extra: Iterable[str] = (),
) -> Score:
    """The learned layer's score of one analysed report."""
    blocks, ev, rule = model_blocks(engine, report.text, report.channel, a)
    pred = decide(engine.model, blocks, ev)
    reasons = event_reasons(engine, ev) + model_reasons(engine, pred)
    if pred.lifted:
        reasons.append("dinaikkan ke kuning: peristiwa kekerasan terbaca, perlu verifikasi")
    reasons.append(f"aturan leksikon: {rule.level}")
    _, why = engine.grade_weight(report)
    reasons.append(why)
    phase = engine.phase_for(report.reported_at)
    if report.phase_label or phase is not None:
        reasons.append(f"tahapan: {report.phase_label or phase.label}")
    score = pred.score
    if corroboration and pred.level != "hijau":
        cfg = engine.stream_cfg
        n = min(corroboration, int(cfg.get("corroboration_max_reports", 2)))
        score = min(100, score + n * int(cfg.get("corroboration_points", 10)))
        hours = int(cfg.get("corroboration_window_minutes", 120)) / 60
        where = f" di {place}" if place else ""
        reasons.append(f"dikuatkan {corroboration} laporan independen dalam {hours:g} jam{where}")
    reasons.extend(extra)
    level = 2 if score >= engine.merah else 1 if score >= engine.kuning else 0
    reasons.append(f"versi aturan: {engine.version}")
    return Score(
        score=score,
        level=LEVELS[level],
        reasons=reasons,
        config_version=engine.version,
        categories=tuple(sorted(ev.acts)),
        drill="drill" in ev.doc,
    )
