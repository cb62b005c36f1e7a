"""Does scoring keep pace? Field reports filed at a steady rate, then a burst, on the real stack
(issue #13): uvicorn, Celery worker(s) and beat, PostgreSQL, Redis, DEBUG off, the shipped
engine with its learned model.

Run: .venv/bin/python bench/ew_pace.py [--rate 100] [--seconds 300] [--burst-rate 200]
                                       [--burst-seconds 120] [--workers 1] [--concurrency 2]

It builds its own database (--database, dropped first; Redis --redis-db, flushed), migrates and
seeds the demo, starts the stack, and files POST /api/v1/incidents/ open-loop (each report at
its scheduled time, whatever the answers before it; descriptions drawn from the labelled
corpus, so the engine reads real text). Score lag = EwScore.scored_at - Incident.reported_at,
both server clocks. It prints, for the steady phase, the lag percentiles (goal p99 < 10 s) and,
for the burst, how long after the burst's end the last of its reports was scored (goal <= 60
s). A measurement: it exits 0 whether the goals are met or not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import signal
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._stack import (  # noqa: E402
    BIN,
    BenchDatabase,
    Stack,
    add_database_arguments,
    cpu_snapshot,
    manage,
    percentile,
    spawn,
)
from bench.ingest import print_cpu, request_json  # noqa: E402

WIB = dt.timezone(dt.timedelta(hours=7))
DEMO_PASSWORD = "sispam-demo-2024"  # noqa: S105 (the public demo login)
TYPES = ("unjuk_rasa", "bentrok", "intimidasi", "politik_uang", "gangguan_tps", "lainnya")


def corpus_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "tests" / "data" / "ew_corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"][:2000])
    return texts


class Sender:
    """Open loop: `threads` senders share a schedule of (due time, body)."""

    def __init__(self, url: str, token: str, tps: list[int], texts: list[str], seed: int):
        host, port = url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.token, self.tps, self.texts = token, tps, texts
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.results: list[tuple[float, int | str]] = []

    def body(self) -> bytes:
        r = self.rng
        return json.dumps(
            {
                "type": r.choice(TYPES),
                "occurred_at": (dt.datetime.now(WIB) - dt.timedelta(minutes=1)).isoformat(),
                "tps": r.choice(self.tps),
                "description": r.choice(self.texts),
                "colour": "hijau",
            }
        ).encode()

    def run(self, rate: float, seconds: float, threads: int = 24) -> tuple[float, float]:
        start = time.perf_counter() + 0.5
        total = int(rate * seconds)
        due = iter(range(total))
        due_lock = threading.Lock()

        def work() -> None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            while True:
                with due_lock:
                    i = next(due, None)
                if i is None:
                    break
                at = start + i / rate
                wait = at - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                with self.lock:
                    body = self.body()
                headers = {
                    "Content-Type": "application/json",
                    "Authorization": f"Token {self.token}",
                    "Idempotency-Key": str(uuid.uuid4()),
                }
                try:
                    conn.request("POST", "/api/v1/incidents/", body=body, headers=headers)
                    resp = conn.getresponse()
                    resp.read()
                    status: int | str = resp.status
                except (OSError, http.client.HTTPException) as exc:
                    status = type(exc).__name__
                    conn.close()
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                with self.lock:
                    self.results.append((time.perf_counter(), status))
            conn.close()

        pool = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return start, time.perf_counter()


def lags(db: BenchDatabase, since: dt.datetime, until: dt.datetime) -> tuple[list[float], int]:
    """Score lags (s) of the incidents created in [since, until), and how many are unscored."""
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM (s.scored_at - i.reported_at)) FROM incidents_incident i "
            "LEFT JOIN incidents_ewscore s ON s.incident_id = i.id "
            "WHERE i.reported_at >= %s AND i.reported_at < %s",
            (since, until),
        ).fetchall()
    scored = sorted(float(r[0]) for r in rows if r[0] is not None)
    return scored, sum(1 for r in rows if r[0] is None)


def last_scored(db: BenchDatabase, since: dt.datetime, until: dt.datetime):
    with db.connect() as conn:
        return conn.execute(
            "SELECT count(*) FILTER (WHERE s.id IS NULL), max(s.scored_at) "
            "FROM incidents_incident i LEFT JOIN incidents_ewscore s ON s.incident_id = i.id "
            "WHERE i.reported_at >= %s AND i.reported_at < %s",
            (since, until),
        ).fetchone()


def db_now(db: BenchDatabase) -> dt.datetime:
    with db.connect() as conn:
        return conn.execute("SELECT now()").fetchone()[0]


def report(name: str, sender: Sender, start: float, end: float) -> None:
    ok = sum(1 for _, s in sender.results if s == 201)
    other = len(sender.results) - ok
    print(
        f"{name}: {ok} reports filed (201) in {end - start:.0f} s = {ok / (end - start):.1f}/s"
        + (f"; {other} other answers" if other else "")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--burst-rate", type=float, default=200.0)
    parser.add_argument("--burst-seconds", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=2, help="pool size per worker")
    parser.add_argument("--web-workers", type=int, default=2)
    add_database_arguments(parser)
    args = parser.parse_args(argv)
    sys.setswitchinterval(0.001)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print("# Sispam early-warning pace benchmark (issue #13)")
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}"
    )
    print(
        f"settings: steady {args.rate:g}/s for {args.seconds:g} s, burst {args.burst_rate:g}/s "
        f"for {args.burst_seconds:g} s, {args.workers} worker(s) x {args.concurrency}, "
        f"{args.web_workers} web processes, DEBUG=0"
    )
    db = BenchDatabase(name=args.database, redis_db=args.redis_db)
    db.recreate()
    env = db.env()
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--allow-production")
    texts = corpus_texts()
    stack = Stack(env=env, web_workers=args.web_workers, worker_concurrency=args.concurrency)
    try:
        stack.start()
        for n in range(1, args.workers):
            stack.procs.append(
                spawn(
                    f"worker{n}",
                    [
                        str(BIN / "celery"),
                        "-A",
                        "sispam",
                        "worker",
                        "--concurrency",
                        str(args.concurrency),
                        "--loglevel",
                        "WARNING",
                        "--hostname",
                        f"bench{n}@%h",
                        "--without-gossip",
                        "--without-mingle",
                    ],
                    env,
                )
            )
        stack.procs.append(
            spawn(
                "beat",
                [
                    str(BIN / "celery"),
                    "-A",
                    "sispam",
                    "beat",
                    "--loglevel",
                    "WARNING",
                    "--schedule",
                    str(ROOT / "var" / "bench" / "beat-schedule"),
                ],
                env,
            )
        )
        status, got = request_json(
            stack.url,
            "POST",
            "/api/v1/auth/token/",
            body={"username": "lapangan", "password": DEMO_PASSWORD},
        )
        token = got["token"]
        _, page = request_json(
            stack.url,
            "GET",
            "/api/v1/tps/?page_size=100",
            headers={"Authorization": f"Token {token}"},
        )
        tps = [t["id"] for t in page["results"]]
        warm = Sender(stack.url, token, tps, texts, 1)
        warm.run(20, 5)  # warm caches and connections (not counted)
        time.sleep(5)

        t_start = db_now(db)
        steady = Sender(stack.url, token, tps, texts, 2)
        s0, s1 = steady.run(args.rate, args.seconds)
        t_steady_end = db_now(db)
        report("steady", steady, s0, s1)
        time.sleep(15)  # let the steady phase's tail be scored before the burst
        b_start = db_now(db)
        cpu0 = cpu_snapshot(stack)
        burst = Sender(stack.url, token, tps, texts, 3)
        b0, b1 = burst.run(args.burst_rate, args.burst_seconds, threads=48)
        cpu1 = cpu_snapshot(stack)
        b_end = db_now(db)
        report("burst", burst, b0, b1)
        print_cpu(cpu0, cpu1, sum(1 for _, s in burst.results if s == 201))
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            unscored, last = last_scored(db, b_start, b_end)
            if unscored == 0:
                break
            time.sleep(1)
        unscored, last = last_scored(db, b_start, b_end)

        scored, missing = lags(db, t_start, t_steady_end)
        print()
        print(f"## steady phase: {len(scored)} scored, {missing} not scored")
        if scored:
            print(
                "score lag (s): "
                + "  ".join(f"p{p:g} {percentile(scored, p):.2f}" for p in (50, 90, 99, 99.9))
                + f"  max {scored[-1]:.2f}"
            )
            p99 = percentile(scored, 99)
            print(f"goal p99 < 10 s: {'MET' if p99 < 10 and not missing else 'MISSED'}")
        print()
        b_scored, _ = lags(db, b_start, b_end)
        print(f"## burst: {len(b_scored)} scored, {unscored} not scored after 10 minutes")
        if last is not None:
            drain = (last - b_end).total_seconds()
            print(
                f"backlog empty {max(0.0, drain):.1f} s after the burst's end "
                f"(goal <= 60 s): {'MET' if drain <= 60 and not unscored else 'MISSED'}"
            )
            if b_scored:
                print(
                    "burst score lag (s): "
                    + "  ".join(f"p{p:g} {percentile(b_scored, p):.2f}" for p in (50, 99))
                )
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
