"""Evaluate the early-warning engine (incidents/ew/engine.py) and measure its speed.

Run: .venv/bin/python bench/ew_eval.py [--show-errors dev] [--reports 20000] [--cli]

Prints, for the shared sample (../shared/ew_samples.jsonl from the repo root, skipped when
missing), for the dev split and for the held-out test split of tests/data/ew_labelled.jsonl:
precision and recall of merah, accuracy over the three levels and the 3x3 confusion matrix
(rows: expected, columns: scored). Then the speed on one core, in a single process: reports
scored per second standalone (each line alone, as `ew_score` does without --stream, including
JSON parsing and serialising) and in stream mode, over ~20,000 reports built by repeating the
labelled texts with synthetic times and places; with --cli also `manage.py ew_score` end to end
in a subprocess pinned to one core (Django start-up included).

Tune on dev only; the test split is read here to report it, never to choose weights.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from incidents.ew import (  # noqa: E402
    Engine,
    StreamScorer,
    report_from_dict,
    score_lines,
)
from incidents.ew.engine import LEVELS, stem_cache_clear  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "ew_labelled.jsonl"
SHARED = ROOT / ".." / "shared" / "ew_samples.jsonl"
KELURAHAN = (
    "Metro",
    "Hadimulyo Barat",
    "Hadimulyo Timur",
    "Yosomulyo",
    "Imopuro",
    "Mulyojati",
    "Mulyosari",
    "Ganjaragung",
    "Ganjarasri",
    "Tejosari",
    "Tejoagung",
    "Yosorejo",
    "Iringmulyo",
    "Yosodadi",
    "Purwoasri",
    "Banjarsari",
    "Purwosari",
    "Karangrejo",
    "Sumbersari",
    "Rejomulyo",
    "Margodadi",
    "Margorejo",
)


def load(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def evaluate(engine: Engine, rows: list[dict]) -> dict:
    """Metrics of standalone scoring against the `expected` field."""
    matrix = {e: dict.fromkeys(LEVELS, 0) for e in LEVELS}
    errors = []
    for row in rows:
        got = engine.score(report_from_dict(row))
        matrix[row["expected"]][got.level] += 1
        if got.level != row["expected"]:
            errors.append((row, got))
    total = sum(sum(r.values()) for r in matrix.values())
    correct = sum(matrix[lv][lv] for lv in LEVELS)
    tp = matrix["merah"]["merah"]
    predicted = sum(matrix[e]["merah"] for e in LEVELS)
    actual = sum(matrix["merah"].values())
    return {
        "n": total,
        "accuracy": correct / total if total else 0.0,
        "merah_precision": tp / predicted if predicted else 0.0,
        "merah_recall": tp / actual if actual else 0.0,
        "matrix": matrix,
        "errors": errors,
    }


def print_metrics(name: str, m: dict) -> None:
    print(f"\n== {name} (n={m['n']})")
    print(
        f"accuracy {m['accuracy']:.3f}   merah precision {m['merah_precision']:.3f}   "
        f"merah recall {m['merah_recall']:.3f}"
    )
    print(f"{'expected/scored':>18} " + " ".join(f"{lv:>7}" for lv in LEVELS))
    for e in LEVELS:
        print(f"{e:>18} " + " ".join(f"{m['matrix'][e][g]:>7}" for g in LEVELS))


def print_errors(m: dict) -> None:
    for row, got in m["errors"]:
        print(f"  {row.get('id')}: expected {row['expected']}, got {got.level} ({got.score})")
        print(f"     {row['text'][:150]}")
        print(f"     {'; '.join(got.reasons[:-1])}")


def synthetic_lines(rows: list[dict], n: int) -> list[str]:
    """n JSON lines: the labelled texts repeated, one every ~40 s, places spread over the city."""
    start = dt.datetime(2024, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    lines = []
    for i in range(n):
        row = dict(rows[i % len(rows)])
        row.pop("expected", None)
        row.pop("split", None)
        row["id"] = f"b{i}"
        row["kelurahan"] = KELURAHAN[(i * 7) % len(KELURAHAN)]
        row["reported_at"] = (start + dt.timedelta(seconds=40 * i)).isoformat()
        lines.append(json.dumps(row, ensure_ascii=False))
    return lines


def speed(rows: list[dict], n: int) -> None:
    lines = synthetic_lines(rows, n)
    # Warm the per-word caches once, as a long-running worker or a long ew_score run would be.
    engine = Engine()
    for _ in score_lines(lines[: len(rows)], engine=engine):
        pass
    t0 = time.perf_counter()
    out = [json.dumps(o, ensure_ascii=False) for o in score_lines(lines, engine=engine)]
    standalone = time.perf_counter() - t0
    assert len(out) == n

    reports = [report_from_dict(json.loads(line)) for line in lines]
    t0 = time.perf_counter()
    for r in reports:
        engine.score(r)
    core = time.perf_counter() - t0

    t0 = time.perf_counter()
    out = [
        json.dumps(o, ensure_ascii=False) for o in score_lines(lines, engine=engine, stream=True)
    ]
    stream = time.perf_counter() - t0
    scorer = StreamScorer(engine)
    surges = episodes = 0
    for r in reports:
        surge = scorer.push(r).surge
        surges += surge is not None
        episodes += surge is not None and surge.first
    items = sum(len(p.items) for p in scorer.places.values())

    stem_cache_clear()
    cold = Engine()
    t0 = time.perf_counter()
    for r in reports[: len(rows)]:
        cold.score(r)
    cold_rate = len(rows) / (time.perf_counter() - t0)

    print(f"\n== speed: {n} reports, one process on one core ({platform.python_version()})")
    print(f"standalone, JSON in and out (ew_score):   {n / standalone:8.0f} reports/s")
    print(f"standalone, engine.score() only:          {n / core:8.0f} reports/s")
    print(f"stream mode, JSON in and out (--stream):  {n / stream:8.0f} reports/s")
    print(f"first pass over the {len(rows)} labelled texts, cold word cache: {cold_rate:.0f}/s")
    print(f"stream memory at the end: {items} recent items in {len(scorer.places)} kelurahan")
    print(
        f"surges on this synthetic stream (steady traffic): {episodes} episodes, "
        f"{surges} reports flagged"
    )
    print("goal: >= 2,000 reports/s standalone")


def cli_speed(rows: list[dict], n: int) -> None:
    """`manage.py ew_score` end to end in a subprocess on one core, Django start-up included."""
    lines = synthetic_lines(rows, n)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "1")}
    cmd = [sys.executable, str(ROOT / "manage.py"), "ew_score", "--input", fh.name]
    try:
        for extra in ([], ["--stream"]):
            t0 = time.perf_counter()
            done = subprocess.run(
                ["taskset", "-c", "0", *cmd, *extra], env=env, capture_output=True, check=True
            )
            took = time.perf_counter() - t0
            count = done.stdout.count(b"\n")
            mode = "--stream" if extra else "standalone"
            rate = count / took
            print(f"manage.py ew_score {mode:>10}: {count} lines in {took:.2f} s = {rate:.0f}/s")
    finally:
        os.unlink(fh.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument(
        "--show-errors", choices=["dev", "sample"], help="list misclassified reports"
    )
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--dev-only", action="store_true", help="tuning: dev split only")
    parser.add_argument("--cli", action="store_true", help="also time manage.py ew_score")
    args = parser.parse_args()
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    engine = Engine()
    print(f"engine config {engine.version}")
    if args.dev_only:
        rows = load(LABELLED)
        dev = evaluate(engine, [r for r in rows if r["split"] == "dev"])
        print_metrics("labelled dev split (tuned on)", dev)
        if args.show_errors == "dev":
            print_errors(dev)
        return
    if SHARED.exists():
        sample = evaluate(engine, load(SHARED))
        print_metrics(f"shared sample {SHARED.resolve()}", sample)
        if args.show_errors == "sample":
            print_errors(sample)
    else:
        print(f"\n== shared sample: {SHARED} not found, skipped")
    rows = load(LABELLED)
    dev = evaluate(engine, [r for r in rows if r["split"] == "dev"])
    print_metrics("labelled dev split (tuned on)", dev)
    if args.show_errors == "dev":
        print_errors(dev)
    test = evaluate(engine, [r for r in rows if r["split"] == "test"])
    print_metrics("labelled held-out test split", test)
    if not args.no_speed:
        speed(rows, args.reports)
    if args.cli:
        cli_speed(rows, args.reports)


if __name__ == "__main__":
    main()
