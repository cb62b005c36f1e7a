"""The fault drill (issue #16): field reports keep coming while the stack's parts fail, and
afterwards every accepted report is stored once and scored once, with no 500 and no hand on the
stack.

Run: .venv/bin/python bench/fault_drill.py [--clients 4] [--rate 10] [--redis-outage 60]
                                            [--pg-gap 5] [--settle 15] [--after 20]

The drill owns the servers it breaks: it starts its own PostgreSQL cluster (initdb into a
temporary directory, as the `postgres` user when run as root, trust auth, a free port) and its
own redis-server (a free port, no persistence), migrates and seeds the demo there, and runs the
stack through the one-terminal runner (`sispam.stack.Supervisor` with `sispam.stack.commands`:
uvicorn, a Celery worker and beat, DEBUG off), so that a child that dies is restarted by the
runner, not by the drill. Nothing else on the machine is touched.

--clients field clients (the demo `lapangan`, a token each) file --rate reports a second in all
through POST /api/v1/incidents/, each report with its own Idempotency-Key. A client retries a
report (same body, same key) on a refused or dropped connection, a timeout or a 5xx, with
backoff (at most the Retry-After it was given), until it is answered 2xx or 4xx; it never gives
up before the end of the drill. Meanwhile, --settle seconds apart:

1. kill -9 the worker's pool processes (its main process starts new ones);
2. kill -9 the worker's main process (the runner starts it again);
3. Redis stopped for --redis-outage seconds, then started again empty;
4. PostgreSQL stopped (--pg-stop-mode) and started again --pg-gap seconds later.

The load goes on for --after seconds after the last fault, then the drill waits (at most
--deadline seconds after the last fault) until every accepted report is stored and scored and
/healthz says every part is ok, and prints what it saw. It exits 1 unless: every report filed
was accepted, every accepted report is stored exactly once and scored exactly once within
--deadline seconds of the last fault, no answer was a 500 (or another 5xx than a 503 with
Retry-After), and the stack is healthy at the end (/healthz and `manage.py health`) without a
manual step. tests/test_fault_drill.py runs a compact version.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import platform
import random
import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._faults import (  # noqa: E402
    FieldClient,
    PrivatePostgres,
    PrivateRedis,
    SupervisedStack,
    Tally,
    children_of,
    in_session,
    leftovers_clean,
    wait_for,
)
from bench._stack import BenchDatabase, manage  # noqa: E402
from bench.ew_pace import corpus_texts  # noqa: E402
from bench.ingest import request_json  # noqa: E402

DEMO_USER = "lapangan"
DEMO_PASSWORD = "sispam-demo-2024"  # noqa: S105 (the public demo login)
PARTS = ("database", "broker", "channel_layer", "worker")
# How long a killed part may take to come back (a busy 2-core box starts a worker in ~2 s).
RECOVERY_WAIT = 20.0
MARKER = "drill:marker"  # set before Redis stops; gone when it comes back empty


@dataclass
class Options:
    clients: int = 4
    rate: float = 10.0  # reports a second, all clients together
    warmup: float = 10.0  # load before the first fault
    settle: float = 15.0  # between two faults
    redis_outage: float = 60.0
    pg_gap: float = 5.0  # PostgreSQL down this long
    pg_stop_mode: str = "fast"
    after: float = 20.0  # load after the last fault
    deadline: float = 120.0  # after the last fault: scored and healthy by then
    web_workers: int = 2
    concurrency: int = 2
    sweep_seconds: int | None = None  # EW_SWEEP_SECONDS for the stack (None: the default)
    request_timeout: float = 10.0
    seed: int = 16
    verbose: bool = True  # print the faults as they happen


# --- the drill -------------------------------------------------------------------------------


@dataclass
class Result:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    figures: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures

    def text(self) -> str:
        return "\n".join(self.lines)


class Drill:
    def __init__(self, options: Options, out=print) -> None:
        self.options = options
        self.out = out
        self.result = Result()
        self.tally = Tally()
        self.run_id = uuid.uuid4().hex[:8]
        self.load_stop = threading.Event()
        self.load_started = 0.0
        self.end_at = float("inf")
        self.t0 = 0.0
        self.tps: list[int] = []
        self.texts: list[str] = []
        self.pg: PrivatePostgres | None = None
        self.redis: PrivateRedis | None = None
        self.stack: SupervisedStack | None = None
        self.db: BenchDatabase | None = None

    def say(self, line: str = "") -> None:
        self.result.lines.append(line)
        if self.options.verbose:
            self.out(line)

    def event(self, line: str) -> None:
        self.say(f"t={time.monotonic() - self.t0:7.1f} s  {line}")

    # setup -----------------------------------------------------------------------------------

    def setup(self) -> None:
        o = self.options
        t = time.monotonic()
        leftovers_clean()
        self.pg = PrivatePostgres()
        self.pg.init()
        self.pg.start()
        self.redis = PrivateRedis()
        self.redis.start()
        self.db = BenchDatabase(
            name="sispam",
            port=self.pg.port,
            user="postgres",
            redis_db=0,
            redis_port=self.redis.port,
        )
        self.db.recreate()
        extra = {"LOG_LEVEL": "WARNING"}
        if o.sweep_seconds is not None:
            extra["EW_SWEEP_SECONDS"] = str(o.sweep_seconds)
        env = self.db.env(**extra)
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the test process's, not the stack's
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo", "--allow-production")
        with self.db.connect() as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        self.say(
            f"setup: own PostgreSQL {version} on port {self.pg.port} (initdb in {self.pg.root}), "
            f"own redis-server on port {self.redis.port} (no persistence); migrated and seeded "
            f"in {time.monotonic() - t:.1f} s"
        )
        t = time.monotonic()
        schedule = str(self.pg.root / "beat-schedule")
        self.stack = SupervisedStack(
            env=env,
            web_workers=o.web_workers,
            worker_concurrency=o.concurrency,
            schedule=schedule,
        )
        self.stack.start()
        self.say(
            f"stack: sispam.stack runner (web x{o.web_workers}, worker x{o.concurrency}, beat) "
            f"on {self.stack.url}, healthy in {time.monotonic() - t:.1f} s"
        )
        tokens = []
        for _ in range(o.clients):
            status, got = request_json(
                self.stack.url,
                "POST",
                "/api/v1/auth/token/",
                body={"username": DEMO_USER, "password": DEMO_PASSWORD},
            )
            if status != 200:
                raise RuntimeError(f"token for {DEMO_USER}: HTTP {status} {got}")
            tokens.append(got["token"])
        _, page = request_json(
            self.stack.url,
            "GET",
            "/api/v1/tps/?page_size=100",
            headers={"Authorization": f"Token {tokens[0]}"},
        )
        self.tps = [row["id"] for row in page["results"]]
        self.texts = corpus_texts()
        self.tokens = tokens

    def teardown(self) -> None:
        if self.stack is not None:
            self.stack.stop()
        if self.redis is not None:
            self.redis.stop()
        if self.pg is not None:
            self.pg.destroy()

    # faults ----------------------------------------------------------------------------------

    def kill_pool(self) -> None:
        self.tally.enter("pool killed")
        main = self.stack.child_pid("worker")
        pool = children_of(main)
        for pid in pool:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        t = time.monotonic()
        fresh = wait_for(
            lambda: len(set(children_of(main)) - set(pool)) >= self.options.concurrency,
            RECOVERY_WAIT,
        )
        self.event(
            f"kill -9 the worker's {len(pool)} pool processes {pool}: "
            + (
                f"its main process started {self.options.concurrency} new ones in "
                f"{time.monotonic() - t:.1f} s"
                if fresh
                else "NO new pool processes"
            )
        )
        self.result.figures["pool back"] = bool(fresh)

    def kill_main(self) -> None:
        self.tally.enter("worker killed")
        old = self.stack.child_pid("worker")
        pool = children_of(old)
        os.kill(old, signal.SIGKILL)
        t = time.monotonic()
        new = wait_for(
            lambda: self.stack.child_pid("worker") != old and self.stack.child_pid("worker"),
            RECOVERY_WAIT,
        )
        took = time.monotonic() - t
        ready = new and wait_for(
            lambda: len(children_of(new)) >= self.options.concurrency, RECOVERY_WAIT
        )
        orphans = wait_for(lambda: not in_session(old), 5.0) is None and in_session(old)
        self.event(
            f"kill -9 the worker's main process (pid {old}, pool {pool}): "
            + (
                f"the runner started it again (pid {new}) in {took:.1f} s"
                + ("" if ready else ", but it has no pool yet")
                if new
                else "the runner DID NOT start it again"
            )
            + (f"; orphaned pool processes left: {orphans}" if orphans else "; no orphans left")
        )
        self.result.figures["worker restarted"] = bool(new)
        self.result.figures["orphans"] = len(orphans or [])

    def redis_outage(self) -> None:
        self.tally.enter("Redis down")
        self.redis.client().set(MARKER, "before the outage")
        keys = self.redis.keys()
        self.redis.stop()
        self.event(f"Redis stopped ({keys} keys in it)")
        time.sleep(self.options.redis_outage)
        self.tally.enter("after Redis")
        self.redis.start()
        empty = self.redis.client().get(MARKER) is None
        self.result.figures["redis empty"] = empty
        self.event(
            "Redis started again, "
            + ("empty (what it held before is gone)" if empty else "NOT EMPTY: it kept its data")
        )

    def pg_restart(self) -> None:
        self.tally.enter("PostgreSQL down")
        self.pg.stop(self.options.pg_stop_mode)
        self.event(f"PostgreSQL stopped ({self.options.pg_stop_mode})")
        time.sleep(self.options.pg_gap)
        self.pg.start()
        self.tally.enter("after the faults")
        self.event("PostgreSQL started again: the last fault is over")

    # the figures -----------------------------------------------------------------------------

    def stored(self) -> dict[str, tuple[int, int]]:
        """key -> (rows with that key, scores of the report) for the drill's reports."""
        with self.db.connect(connect_timeout=5) as conn:
            rows = conn.execute(
                "SELECT i.idempotency_key, count(DISTINCT i.id), count(s.id) "
                "FROM incidents_incident i LEFT JOIN incidents_ewscore s "
                "ON s.incident_id = i.id WHERE i.idempotency_key LIKE %s "
                "GROUP BY i.idempotency_key",
                (f"drill-{self.run_id}-%",),
            ).fetchall()
        return {key: (n, scores) for key, n, scores in rows}

    def done(self) -> bool:
        """Every accepted report stored once and scored once (and no client still trying)."""
        if any(c.is_alive() for c in self.clients):
            return False
        try:
            rows = self.stored()
        except psycopg.Error:
            return False
        return all(rows.get(key) == (1, 1) for key in self.tally.accepted)

    def health(self) -> tuple[bool, str]:
        try:
            status, got = request_json(self.stack.url, "GET", "/healthz")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return False, repr(exc)
        checks = got.get("checks", {})
        ok = status == 200 and got.get("status") == "ok"
        ok = ok and all(checks.get(p, {}).get("status") == "ok" for p in PARTS)
        parts = []
        for p in PARTS:
            check = checks.get(p, {})
            error = f" ({check['error']})" if check.get("error") else ""
            parts.append(f"{p} {check.get('status', '?')}{error}")
        return ok, ", ".join(parts)

    # the run ---------------------------------------------------------------------------------

    def run(self) -> Result:
        o = self.options
        self.say("# Sispam fault drill (issue #16)")
        self.say(
            f"machine: {os.cpu_count()} CPUs, {platform.platform()}, "
            f"Python {platform.python_version()}"
        )
        self.say(
            f"settings: {o.clients} field clients, {o.rate:g} reports/s in all, warm-up "
            f"{o.warmup:g} s, {o.settle:g} s between faults, Redis outage {o.redis_outage:g} s, "
            f"PostgreSQL down {o.pg_gap:g} s ({o.pg_stop_mode}), load {o.after:g} s after the "
            f"last fault, deadline {o.deadline:g} s; EW_SWEEP_SECONDS "
            f"{o.sweep_seconds if o.sweep_seconds is not None else 'default (30)'}, DEBUG=0"
        )
        try:
            self.setup()
            self.drive()
        finally:
            self.load_stop.set()
            self.end_at = 0.0
            self.teardown()
        return self.result

    def drive(self) -> None:
        o = self.options
        rng = random.Random(o.seed)
        self.clients = [
            FieldClient(n, self, self.tokens[n], random.Random(rng.random()))
            for n in range(o.clients)
        ]
        self.say()
        self.t0 = self.load_started = time.monotonic()
        self.event(f"load starts: {o.clients} clients, {o.rate:g} reports/s")
        for c in self.clients:
            c.start()
        time.sleep(o.warmup)
        self.kill_pool()
        time.sleep(o.settle)
        self.kill_main()
        time.sleep(o.settle)
        self.redis_outage()
        time.sleep(o.settle)
        self.pg_restart()
        last_fault = time.monotonic()
        self.end_at = last_fault + o.deadline
        # Until the deadline: the load goes on for a while, then every report must be accepted,
        # stored and scored; /healthz is asked all along (when did every part say ok first).
        scored_after = healthy_after = None
        while time.monotonic() < self.end_at:
            if not self.load_stop.is_set() and time.monotonic() >= last_fault + o.after:
                self.load_stop.set()
                self.event("load stops; waiting for every report to be accepted and scored")
            if healthy_after is None and self.health()[0]:
                healthy_after = time.monotonic() - last_fault
            if scored_after is None and self.load_stop.is_set() and self.done():
                scored_after = time.monotonic() - last_fault
            if scored_after is not None and healthy_after is not None:
                break
            time.sleep(0.5)
        self.load_stop.set()
        for c in self.clients:
            c.join(timeout=5)
        health_ok, health_parts = self.health()
        try:
            command = manage(self.stack.env, "health", "--require", ",".join(PARTS))
            command_ok = True
        except RuntimeError as exc:
            command, command_ok = str(exc), False
        self.event("measured")
        self.report(scored_after, healthy_after, health_ok, health_parts, command_ok, command)

    def report(self, scored_after, healthy_after, health_ok, health_parts, command_ok, command):
        o, tally, fig = self.options, self.tally, self.result.figures
        try:
            rows = self.stored()
        except psycopg.Error as exc:
            rows = {}
            self.result.failures.append(f"the database does not answer at the end: {exc}")
        accepted = set(tally.accepted)
        filed = set(tally.filed)
        lost = sorted(k for k in accepted if k not in rows)
        stored_unaccepted = sorted(k for k in rows if k not in accepted)
        dup_rows = sum(n - 1 for n, _s in rows.values() if n > 1)
        dup_scores = sum(s - 1 for _n, s in rows.values() if s > 1)
        scored_once = sum(1 for k in accepted if rows.get(k, (0, 0))[1] == 1)
        unscored = sum(1 for k in accepted if k in rows and rows[k][1] == 0)
        total = tally.total()
        server_errors = total["500"]
        other_5xx = (
            sum(v for k, v in total.items() if k.isdigit() and int(k) >= 500 and k not in ("500",))
            + total["503 no Retry-After"]
        )
        waits = sorted(tally.accepted[k] - tally.filed[k] for k in accepted)
        restarts = self.stack.restarts()
        gave_up = self.stack.gave_up()
        fig.update(
            filed=len(filed),
            accepted=len(accepted),
            stored=len(rows),
            lost=len(lost),
            stored_unaccepted=len(stored_unaccepted),
            scored=scored_once,
            unscored=unscored,
            duplicate_rows=dup_rows,
            duplicate_scores=dup_scores,
            server_errors=server_errors,
            other_5xx=other_5xx,
            retry_after_503=total["503 Retry-After"],
            refused=total["refused"],
            timeouts=total["timeout"],
            rejected=len(tally.rejected),
            scored_after=scored_after,
            healthy_after=healthy_after,
            healthy=health_ok and command_ok,
            restarts=dict(restarts),
        )

        self.say()
        self.say("## answers the clients got, by phase")
        kinds = sorted({k for c in tally.answers.values() for k in c})
        width = max([len(p) for p in tally.answers] + [6])
        self.say(f"{'phase':<{width}}  " + "  ".join(f"{k:>{max(len(k), 5)}}" for k in kinds))
        for phase in dict.fromkeys(tally.phases):
            counts = tally.answers.get(phase)
            if counts:
                self.say(
                    f"{phase:<{width}}  "
                    + "  ".join(f"{counts[k]:>{max(len(k), 5)}}" for k in kinds)
                )
        self.say()
        self.say("## outcome")
        self.say(f"filed (distinct Idempotency-Keys)     {len(filed)}")
        self.say(
            f"accepted (2xx, by key)                {len(accepted)}"
            + (f"; refused with a 4xx: {len(tally.rejected)}" if tally.rejected else "")
            + (f"; never answered: {len(tally.pending)}" if tally.pending else "")
        )
        self.say(
            f"stored (incident rows)                {len(rows)} "
            f"(accepted but not stored: {len(lost)}; stored but never accepted: "
            f"{len(stored_unaccepted)})"
        )
        self.say(
            f"scored (exactly one EwScore)          {scored_once} (stored, not scored: {unscored})"
        )
        self.say(
            f"duplicates                            {dup_rows} rows beyond one per key, "
            f"{dup_scores} scores beyond one per report"
        )
        self.say(
            f"server errors (500)                   {server_errors} (other 5xx: {other_5xx}; "
            f"503 with Retry-After, allowed: {total['503 Retry-After']})"
        )
        self.say(
            f"refused connections                   {total['refused']} (timeouts: "
            f"{total['timeout']}, dropped: {total['dropped']}, stale kept-alive: "
            f"{total['stale connection']})"
        )
        if waits:
            self.say(
                f"filing to acceptance (s)              median {waits[len(waits) // 2]:.2f}, "
                f"max {waits[-1]:.1f}"
            )
        self.say(
            "everything scored                     "
            + (
                f"{scored_after:.1f} s after the last fault (limit {o.deadline:g} s)"
                if scored_after is not None
                else f"NOT within {o.deadline:g} s of the last fault"
            )
        )
        self.say(
            "healthy at the end                    "
            + ("yes" if health_ok and command_ok else "NO")
            + f" (/healthz: {health_parts}"
            + (f", all ok {healthy_after:.1f} s after the last fault" if healthy_after else "")
            + f"; manage.py health: {'ok' if command_ok else 'FAILED'})"
        )
        self.say(
            "runner restarts                       "
            + (", ".join(f"{k} {v}" for k, v in sorted(restarts.items())) or "none")
            + (f"; GAVE UP: {gave_up}" if gave_up else "")
        )
        if tally.errors:
            self.say("first 5xx bodies: " + " | ".join(tally.errors))
        if tally.rejected:
            self.say("first 4xx: " + " | ".join(list(tally.rejected.values())[:3]))

        f = self.result.failures
        if not filed:
            f.append("no report was filed")
        if tally.rejected or tally.pending:
            f.append(
                f"{len(tally.rejected)} reports refused with a 4xx, {len(tally.pending)} never "
                "accepted"
            )
        if lost:
            f.append(f"{len(lost)} accepted reports not stored ({lost[:3]})")
        if dup_rows or dup_scores:
            f.append(f"duplicates: {dup_rows} rows, {dup_scores} scores")
        if scored_once != len(accepted) or scored_after is None:
            f.append(
                f"{len(accepted) - scored_once} accepted reports not scored exactly once within "
                f"{o.deadline:g} s of the last fault"
            )
        if server_errors or other_5xx:
            f.append(f"{server_errors} answers 500, {other_5xx} other 5xx")
        if not (health_ok and command_ok):
            f.append(f"not healthy at the end: {health_parts}; manage.py health: {command}")
        if gave_up:
            f.append(f"the runner gave up: {gave_up}")
        self.say()
        self.say("VERDICT: " + ("PASS" if not f else "FAIL: " + "; ".join(f)))


def drill(options: Options, out=print) -> Result:
    """Run the drill; its printed lines, failures (empty when every condition holds), figures."""
    return Drill(options, out).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    defaults = Options()
    parser.add_argument("--clients", type=int, default=defaults.clients)
    parser.add_argument("--rate", type=float, default=defaults.rate, help="reports/s in all")
    parser.add_argument("--warmup", type=float, default=defaults.warmup)
    parser.add_argument("--settle", type=float, default=defaults.settle)
    parser.add_argument("--redis-outage", type=float, default=defaults.redis_outage)
    parser.add_argument("--pg-gap", type=float, default=defaults.pg_gap)
    parser.add_argument(
        "--pg-stop-mode", choices=("smart", "fast", "immediate"), default=defaults.pg_stop_mode
    )
    parser.add_argument("--after", type=float, default=defaults.after)
    parser.add_argument("--deadline", type=float, default=defaults.deadline)
    parser.add_argument("--web-workers", type=int, default=defaults.web_workers)
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument(
        "--sweep-seconds", type=int, default=None, help="EW_SWEEP_SECONDS (default: 30)"
    )
    args = parser.parse_args(argv)
    # A SIGTERM unwinds like Ctrl-C, so the servers and the stack are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    options = Options(
        clients=args.clients,
        rate=args.rate,
        warmup=args.warmup,
        settle=args.settle,
        redis_outage=args.redis_outage,
        pg_gap=args.pg_gap,
        pg_stop_mode=args.pg_stop_mode,
        after=args.after,
        deadline=args.deadline,
        web_workers=args.web_workers,
        concurrency=args.concurrency,
        sweep_seconds=args.sweep_seconds,
    )
    result = drill(options, out=lambda line: print(line, flush=True))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
