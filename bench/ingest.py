"""Benchmark filing incident reports through the API against the real stack (issue #4).

Run: .venv/bin/python bench/ingest.py [--seconds 20] [--concurrency 16] [--web-workers 2]

It builds its own PostgreSQL database (--database, default sispam_bench, dropped first) and
uses Redis --redis-db (default 8, flushed),
migrates and seeds the demo, then starts a Celery worker and uvicorn with --web-workers
processes, DEBUG off, as production runs. After a warm-up, --concurrency clients each send one
POST /api/v1/incidents/ at a time (closed loop, keep-alive, a fresh Idempotency-Key per report)
for --seconds. It prints the sustained rate of 201s and the client-side latency, checks the
database holds exactly that many new incidents and that a retry is answered 200 without a row,
then inserts as many rows with plain SQL through psycopg (one connection, then one per client)
to show what the API costs over the bare insert. Goal on a 2-core machine: >= 200 reports/s
with p99 < 150 ms. It is a measurement: it exits 0 whether the goal is met or not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.client
import json
import os
import platform
import random
import signal
import statistics
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._stack import (  # noqa: E402
    BenchDatabase,
    Stack,
    add_database_arguments,
    cpu_snapshot,
    manage,
)

GOAL_RATE = 200.0
GOAL_P99_MS = 150.0
DEMO_USER = "lapangan"
DEMO_PASSWORD = "sispam-demo-2024"  # noqa: S105 (the public demo login)
WIB = dt.timezone(dt.timedelta(hours=7))

TYPES = (
    ("unjuk_rasa", 14),
    ("bentrok", 6),
    ("intimidasi", 10),
    ("politik_uang", 14),
    ("perusakan", 12),
    ("penghadangan", 4),
    ("hoaks", 12),
    ("gangguan_tps", 16),
    ("kecelakaan", 6),
    ("lainnya", 6),
)
COLOURS = (("hijau", 85), ("kuning", 12), ("merah", 3))
OPENINGS = {
    "unjuk_rasa": "Sekelompok massa berkumpul di depan {place} menuntut penghitungan ulang suara",
    "bentrok": "Terjadi adu mulut yang berujung saling dorong antar pendukung di {place}",
    "intimidasi": "Saksi melaporkan ada orang tak dikenal yang menekan pemilih di {place}",
    "politik_uang": "Warga melaporkan pembagian amplop berisi uang kepada pemilih di {place}",
    "perusakan": "Alat peraga kampanye dan spanduk ditemukan rusak dan dibakar di {place}",
    "penghadangan": "Kendaraan pengangkut logistik pemilu dihadang warga di jalan menuju {place}",
    "hoaks": "Beredar pesan berantai tentang pemindahan lokasi pemungutan suara di {place}",
    "gangguan_tps": "Pemungutan suara sempat terhenti karena keributan kecil di {place}",
    "kecelakaan": "Petugas KPPS mengalami kecelakaan lalu lintas saat menuju {place}",
    "lainnya": "Listrik padam sehingga penghitungan suara tertunda di {place}",
}
CLOSINGS = (
    "Personel Bhabinkamtibmas sudah di lokasi, situasi dapat dikendalikan, mohon arahan lanjut.",
    "Anggota piket mendatangi lokasi dan mencatat keterangan saksi serta ketua KPPS setempat.",
    "Pengawas TPS dan Panwascam sudah diberi tahu; dokumentasi foto menyusul dari lapangan.",
    "Situasi kondusif, massa mulai membubarkan diri, pengamanan TPS dilanjutkan sampai selesai.",
)


@dataclass
class Sample:
    end: float  # perf_counter at the response
    latency: float  # seconds
    status: int | str  # HTTP status, or the exception's name


@dataclass
class Client:
    """One closed-loop client: a keep-alive connection, one report at a time."""

    host: str
    port: int
    token: str
    tps_ids: list[int]
    seed: int
    samples: list[Sample] = field(default_factory=list)
    first_ok: tuple[str, bytes] | None = None  # (key, body) of a report that was created

    def body(self, rng: random.Random) -> bytes:
        kind = rng.choices([t for t, _ in TYPES], [w for _, w in TYPES])[0]
        colour = rng.choices([c for c, _ in COLOURS], [w for _, w in COLOURS])[0]
        tps = rng.choice(self.tps_ids)
        place = f"TPS {rng.randint(1, 30):03d}"
        text = f"{OPENINGS[kind].format(place=place)}. {rng.choice(CLOSINGS)}"
        occurred = dt.datetime.now(WIB) - dt.timedelta(seconds=rng.randint(30, 90))
        data = {
            "type": kind,
            "occurred_at": occurred.isoformat(timespec="seconds"),
            "tps": tps,
            "description": text,
            "colour": colour,
            "crowd_size": rng.randint(10, 400) if kind in ("unjuk_rasa", "bentrok") else None,
            "casualties": rng.choices((0, 1, 2), (95, 4, 1))[0],
        }
        return json.dumps(data).encode()

    def run(self, start: float, until: float, barrier: threading.Barrier | None = None) -> None:
        rng = random.Random(self.seed)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        if barrier is not None:
            barrier.wait()
        while time.perf_counter() < until:
            body = self.body(rng)
            key = str(uuid.uuid4())
            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Token {self.token}",
                "Idempotency-Key": key,
            }
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/incidents/", body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                status: int | str = resp.status
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            t1 = time.perf_counter()
            if t0 >= start:
                self.samples.append(Sample(t1, t1 - t0, status))
            if status == 201 and self.first_ok is None:
                self.first_ok = (key, body)
        conn.close()


def run_load(
    url: str, token: str, tps_ids: list[int], concurrency: int, seconds: float, seed: int
) -> tuple[list[Client], float, float]:
    """Closed loop for `seconds`; returns the clients, the start and the end of the window
    (the last response: a request sent before the deadline is counted, whenever it ends)."""
    parsed = urllib.parse.urlsplit(url)
    clients = [
        Client(parsed.hostname, parsed.port, token, tps_ids, seed * 1000 + i)
        for i in range(concurrency)
    ]
    barrier = threading.Barrier(concurrency + 1)
    start_box: list[float] = []

    def go(c: Client) -> None:
        barrier.wait()
        c.run(start_box[0], start_box[0] + seconds)

    threads = [threading.Thread(target=go, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    start_box.append(time.perf_counter())
    barrier.wait()
    for t in threads:
        t.join()
    ends = [s.end for c in clients for s in c.samples]
    return clients, start_box[0], max(ends, default=time.perf_counter())


def request_json(url: str, method: str, path: str, *, body=None, headers=None) -> tuple[int, dict]:
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=payload, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw else {})
    finally:
        conn.close()


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def count_incidents(db: BenchDatabase) -> dict[str, int]:
    with db.connect() as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM incidents_incident),"
            " (SELECT count(*) FROM incidents_incidentevent),"
            " (SELECT count(*) FROM core_auditevent)"
        ).fetchone()
    return {"incidents": row[0], "events": row[1], "audit": row[2]}


def print_cpu(before: dict[str, float], after: dict[str, float], requests: int) -> None:
    """Where the CPU went while the load ran, per request: what the hardware has to pay for."""
    used = {k: after[k] - before[k] for k in before}
    busy, total = used.pop("machine busy"), used.pop("machine total")
    stolen = used.pop("machine stolen")
    used["other"] = max(0.0, busy - sum(used.values()))
    n = max(requests, 1)
    per_request = busy / n
    cpus = os.cpu_count() or 1
    print(
        "CPU per request (ms): "
        + ", ".join(f"{k} {v / n * 1000:.1f}" for k, v in used.items())
        + f" = {busy / n * 1000:.1f}"
    )
    print(
        f"machine: busy {busy / total:.0%} of {os.cpu_count()} CPUs"
        + (f", {stolen / total:.0%} stolen by the hypervisor" if stolen / total >= 0.01 else "")
    )
    if per_request > 0:
        print(
            f"ceiling at this cost: {cpus} CPUs / {per_request * 1000:.1f} ms = "
            f"{cpus / per_request:.0f} reports/s; {GOAL_RATE:g}/s needs <= "
            f"{cpus / GOAL_RATE * 1000:.1f} ms of CPU per report, all processes together"
        )


SQL_INSERT = (
    "INSERT INTO incidents_incident (type, status, colour, occurred_at, reported_at, kelurahan_id,"
    " tps_id, lat, lon, description, crowd_size, casualties, reporter_id, is_exercise, post_id,"
    " outside_city, idempotency_key, request_hash, verify_due_at, rejected_reason, control)"
    " VALUES (%s, 'baru', %s, %s, now(), %s, %s, %s, %s, %s, %s, %s, %s, false, NULL, false,"
    " %s, %s, now() + interval '10 minutes', '', %s)"
)
SQL_PREFIX = "sqlbench-"


def sql_rows(db: BenchDatabase, n: int, seed: int) -> list[tuple]:
    """`n` rows like the API writes them (same TPS, reporter, text), keys marked as baseline."""
    with db.connect() as conn:
        reporter = conn.execute(
            "SELECT id FROM auth_user WHERE username = %s", (DEMO_USER,)
        ).fetchone()[0]
        tps = conn.execute("SELECT id, kelurahan_id, lat, lon FROM operations_tps").fetchall()
    rng = random.Random(seed)
    control = {"hijau": "kapolsek", "kuning": "kapolres", "merah": "kapolda"}
    rows = []
    helper = Client("", 0, "", [t[0] for t in tps], seed)
    by_id = {t[0]: t for t in tps}
    for _ in range(n):
        data = json.loads(helper.body(rng))
        tps_id, kel, lat, lon = by_id[data["tps"]]
        rows.append(
            (
                data["type"],
                data["colour"],
                dt.datetime.fromisoformat(data["occurred_at"]),
                kel,
                tps_id,
                lat,
                lon,
                data["description"],
                data["crowd_size"],
                data["casualties"],
                reporter,
                f"{SQL_PREFIX}{uuid.uuid4()}",
                hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest(),
                control[data["colour"]],
            )
        )
    return rows


def sql_insert(db: BenchDatabase, rows: list[tuple], connections: int) -> float:
    """Insert `rows`, one autocommitted INSERT each, over `connections` connections (one thread
    each); the seconds from the first insert to the last commit."""
    chunks = [rows[i::connections] for i in range(connections)]
    conns = [db.connect(autocommit=True) for _ in range(connections)]
    barrier = threading.Barrier(connections + 1)
    errors: list[BaseException] = []

    def work(conn, chunk) -> None:
        barrier.wait()
        try:
            for row in chunk:
                conn.execute(SQL_INSERT, row)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(c, ch), daemon=True)
        for c, ch in zip(conns, chunks, strict=True)
    ]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    for c in conns:
        c.close()
    if errors:
        raise errors[0]
    return elapsed


def sql_delete_baseline(db: BenchDatabase) -> int:
    with db.connect(autocommit=True) as conn:
        cur = conn.execute(
            "DELETE FROM incidents_incident WHERE idempotency_key LIKE %s", (SQL_PREFIX + "%",)
        )
        return cur.rowcount


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured load (s)")
    parser.add_argument("--concurrency", type=int, default=16, help="closed-loop clients")
    parser.add_argument("--web-workers", type=int, default=2, help="uvicorn processes")
    parser.add_argument("--warmup", type=float, default=4.0, help="unmeasured load first (s)")
    parser.add_argument("--seed", type=int, default=2024)
    add_database_arguments(parser)
    args = parser.parse_args(argv)
    sys.setswitchinterval(0.001)  # client threads hand the GIL over quickly: fair latencies
    # A SIGTERM unwinds like Ctrl-C, so the stack's processes are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    db = BenchDatabase(name=args.database, redis_db=args.redis_db)
    print("# Sispam ingest benchmark (issue #4)")
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}"
    )
    print(
        f"settings: seconds={args.seconds:g} concurrency={args.concurrency} "
        f"web_workers={args.web_workers} warmup={args.warmup:g}s celery_worker=1 DEBUG=0"
    )

    t = time.perf_counter()
    db.recreate()
    env = db.env()
    manage(env, "migrate", "--noinput")
    seeded = manage(env, "seed_demo", "--allow-production").strip().splitlines()[-1]
    with db.connect() as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    print(f"setup: database {db.name} (PostgreSQL {pg_version}), Redis db {db.redis_db}; {seeded}")
    print(f"setup took {time.perf_counter() - t:.1f}s")

    with Stack(env=env, web_workers=args.web_workers) as stack:
        status, got = request_json(
            stack.url,
            "POST",
            "/api/v1/auth/token/",
            body={"username": DEMO_USER, "password": DEMO_PASSWORD},
        )
        if status != 200:
            raise SystemExit(f"token: HTTP {status} {got}")
        token = got["token"]
        auth = {"Authorization": f"Token {token}"}
        status, page = request_json(stack.url, "GET", "/api/v1/tps/?page_size=100", headers=auth)
        if status != 200:
            raise SystemExit(f"tps: HTTP {status} {page}")
        tps_ids = [t["id"] for t in page["results"]]
        print(f"stack: {stack.url} up; token for {DEMO_USER}; {len(tps_ids)} TPS to report on")

        if args.warmup > 0:
            warm, w0, w1 = run_load(
                stack.url, token, tps_ids, args.concurrency, args.warmup, args.seed + 1
            )
            n = sum(1 for c in warm for s in c.samples if s.status == 201)
            print(f"warm-up: {n} reports in {w1 - w0:.1f}s (not counted)")

        before = count_incidents(db)
        cpu0 = cpu_snapshot(stack)
        clients, start, end = run_load(
            stack.url, token, tps_ids, args.concurrency, args.seconds, args.seed
        )
        cpu1 = cpu_snapshot(stack)
        backlog = stack.queue_length()
        samples = [s for c in clients for s in c.samples]
        ok = sorted(s.latency for s in samples if s.status == 201)
        other = Counter(s.status for s in samples if s.status != 201)
        elapsed = end - start
        rate = len(ok) / elapsed if elapsed > 0 else 0.0
        per_second = Counter(int(s.end - start) for s in samples if s.status == 201)
        full = [per_second.get(i, 0) for i in range(int(args.seconds))]
        all_lat = sorted(s.latency for s in samples)

        print()
        print("## API: POST /api/v1/incidents/ (one report per request)")
        print(f"reports created (201): {len(ok)} in {elapsed:.2f}s")
        print(f"sustained rate: {rate:.1f} reports/s")
        if full:
            print(
                f"per-second rate: min {min(full)}, median {statistics.median(full):g}, "
                f"max {max(full)}"
            )
        print(
            "latency of 201s (ms): "
            + "  ".join(f"p{p:g} {percentile(ok, p) * 1000:.1f}" for p in (50, 90, 95, 99, 99.9))
            + f"  max {ok[-1] * 1000 if ok else float('nan'):.1f}"
            + f"  mean {statistics.fmean(ok) * 1000 if ok else float('nan'):.1f}"
        )
        if len(all_lat) != len(ok):
            print(f"latency of all responses p99: {percentile(all_lat, 99) * 1000:.1f} ms")
        print(
            "errors: "
            + (", ".join(f"{k}: {v}" for k, v in sorted(other.items(), key=str)) or "none")
        )

        print_cpu(cpu0, cpu1, len(samples))

        # Correctness: the database holds exactly the reports answered 201, with their trail.
        drained_at = time.perf_counter()
        while stack.queue_length() and time.perf_counter() - drained_at < 30:
            time.sleep(0.1)
        drain = time.perf_counter() - drained_at
        after = count_incidents(db)
        new = after["incidents"] - before["incidents"]
        print()
        print("## Checks")
        print(
            f"database: {new} new incidents for {len(ok)} answered 201: "
            + ("OK" if new == len(ok) else "MISMATCH")
            + f" (+{after['events'] - before['events']} timeline events,"
            f" +{after['audit'] - before['audit']} audit events)"
        )
        print(
            f"celery: {backlog} push tasks queued when the load stopped, "
            + (f"drained in {drain:.1f}s" if not stack.queue_length() else "NOT drained in 30s")
        )
        sample = next((c.first_ok for c in clients if c.first_ok), None)
        if sample is not None:
            key, body = sample
            parsed = urllib.parse.urlsplit(stack.url)
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
            conn.request(
                "POST",
                "/api/v1/incidents/",
                body=body,
                headers={"Content-Type": "application/json", "Idempotency-Key": key, **auth},
            )
            retry = conn.getresponse()
            retry.read()
            conn.close()
            again = count_incidents(db)["incidents"]
            verdict = "OK" if retry.status == 200 and again == after["incidents"] else "FAILED"
            print(
                f"idempotent retry: HTTP {retry.status}, incidents {after['incidents']} -> "
                f"{again}: {verdict}"
            )

    # Baseline: the same number of rows, plain SQL, after the stack has stopped (idle CPUs).
    print()
    print("## Baseline: plain SQL INSERT through psycopg (autocommit, one row per statement)")
    n = max(len(ok), 1)
    rows = sql_rows(db, n, args.seed)
    sql_insert(db, rows[: n // 2 or 1], 1)  # warm-up: PostgreSQL caches, psycopg
    sql_delete_baseline(db)
    one = sql_insert(db, rows, 1)
    rate_one = n / one
    sql_delete_baseline(db)
    many = sql_insert(db, rows, args.concurrency)
    rate_many = n / many
    removed = sql_delete_baseline(db)
    print(f"1 connection:  {n} rows in {one:.2f}s = {rate_one:.0f} rows/s")
    print(f"{args.concurrency} connections: {n} rows in {many:.2f}s = {rate_many:.0f} rows/s")
    print(
        f"ratio API/SQL: {rate / rate_one:.3f} of one connection (1/{rate_one / rate:.1f}), "
        f"{rate / rate_many:.3f} of {args.concurrency} connections (1/{rate_many / rate:.1f})"
        if rate
        else "ratio API/SQL: n/a (no report created)"
    )
    print(f"(baseline rows deleted: {removed})")

    p99 = percentile(ok, 99) * 1000 if ok else float("inf")
    met = rate >= GOAL_RATE and p99 < GOAL_P99_MS
    print()
    print(
        f"VERDICT: {'PASS' if met else 'MISS'}: {rate:.1f} reports/s "
        f"({'>=' if rate >= GOAL_RATE else '<'} {GOAL_RATE:g}), p99 {p99:.1f} ms "
        f"({'<' if p99 < GOAL_P99_MS else '>='} {GOAL_P99_MS:g}) with concurrency "
        f"{args.concurrency}, {args.web_workers} web workers on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
