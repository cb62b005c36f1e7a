"""Measuring the engine on labelled reports: metrics and leave-one-author-out (no Django).

Metrics of a set of (expected level, scored level, score) triples:

- merah recall and precision; 3-level accuracy;
- ordering: over every pair of reports with different expected levels, the probability that the
  more severe one has the higher score (ties count a half): the AUC of the three-level order;
- merah called hijau: how many merah reports got hijau (the worst miss), and its rate.

:func:`leave_one_author_out` builds (or trains) on every author but one and scores the one left
out, for each author in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

LEVELS = ("hijau", "kuning", "merah")
RANK = {lv: i for i, lv in enumerate(LEVELS)}


def metrics(triples: Iterable[tuple[str, str, float]]) -> dict[str, Any]:
    triples = list(triples)
    n = len(triples)
    matrix = {e: dict.fromkeys(LEVELS, 0) for e in LEVELS}
    for exp, got, _ in triples:
        matrix[exp][got] += 1
    tp = matrix["merah"]["merah"]
    predicted = sum(matrix[e]["merah"] for e in LEVELS)
    actual = sum(matrix["merah"].values())
    # Ordering by ranks: for each pair of levels, the Mann-Whitney statistic.
    by_level: dict[str, list[float]] = {lv: [] for lv in LEVELS}
    for exp, _, score in triples:
        by_level[exp].append(score)
    wins = pairs = 0.0
    for lo in range(3):
        for hi in range(lo + 1, 3):
            a, b = by_level[LEVELS[lo]], by_level[LEVELS[hi]]
            if not a or not b:
                continue
            wins += _pairs_higher(b, a)
            pairs += len(a) * len(b)
    return {
        "n": n,
        "merah_n": actual,
        "merah_recall": tp / actual if actual else float("nan"),
        "merah_precision": tp / predicted if predicted else float("nan"),
        "accuracy": sum(matrix[lv][lv] for lv in LEVELS) / n if n else float("nan"),
        "ordering": wins / pairs if pairs else float("nan"),
        "merah_as_hijau": matrix["merah"]["hijau"],
        "matrix": matrix,
    }


def _pairs_higher(high: list[float], low: list[float]) -> float:
    """Pairs (h, l) with h > l, ties a half, in O((n+m) log(n+m))."""
    merged = sorted([(v, 1) for v in high] + [(v, 0) for v in low])
    total = 0.0
    lows_below = 0
    i = 0
    while i < len(merged):
        j = i
        while j < len(merged) and merged[j][0] == merged[i][0]:
            j += 1
        h = sum(1 for k in range(i, j) if merged[k][1] == 1)
        lo = (j - i) - h
        total += h * lows_below + 0.5 * h * lo
        lows_below += lo
        i = j
    return total


def leave_one_author_out(
    rows: list[dict[str, Any]],
    build: Callable[[list[dict[str, Any]]], Callable[[dict[str, Any]], tuple[str, float]]],
    *,
    authors: Iterable[str] | None = None,
    train_only: Iterable[str] = (),
) -> dict[str, dict[str, Any]]:
    """For each author: `build(other rows)` gives a scorer; score the author's rows with it.
    Authors in `train_only` are always in the training side and never scored."""
    train_only = set(train_only)
    names = sorted(authors or {r["author"] for r in rows} - train_only)
    out = {}
    for name in names:
        scorer = build([r for r in rows if r["author"] != name])
        triples = []
        for r in rows:
            if r["author"] == name:
                level, score = scorer(r)
                triples.append((r["expected"], level, score))
        out[name] = metrics(triples)
    return out


def mean_of(table: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Mean over authors (each author counts once) and pooled merah-called-hijau rate."""
    keys = ("merah_recall", "merah_precision", "accuracy", "ordering")
    out = {k: sum(m[k] for m in table.values()) / len(table) for k in keys}
    merah = sum(m["merah_n"] for m in table.values())
    out["merah_as_hijau_rate"] = (
        sum(m["merah_as_hijau"] for m in table.values()) / merah if merah else 0.0
    )
    out["worst_merah_recall"] = min(m["merah_recall"] for m in table.values())
    return out
