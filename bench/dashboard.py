"""How fast is the command dashboard on a busy polling day?

On the Kota Metro demo plus 5,000 incidents and 2,000 alerts, against the real stack (PostgreSQL,
Redis, uvicorn with several processes, DEBUG off), this prints:

- the first load of /operasi/dasbor/ (the HTML page: counters, plots and alert feed built on the
  server), cold (right after start, empty caches) and warm (median and p95 of 20 loads);
- every API the page calls (map layers, the counters/plots fragment, the stats JSON, the alert
  list a reconnecting feed asks for), each alone and then under 50 concurrent signed-in users,
  as p50/p95/p99 and requests per second, under three loads:
  * "as the page does on a busy day": each screen refreshes its panel and map every 5 s (the
    page does so 1.5 s after a push, coalesced; 5 s is an alert or incident somewhere in the
    city every 5 s all day) and asks for the open alerts every 30 s (a reconnect);
  * about one second (0.5 to 1.5 s) between a user's requests (every screen hammering:
    ~50 requests/s offered);
  * no think time at all (each user fires the next request the moment the last one answers:
    a saturation test, not a model of 50 screens; it shows the capacity of the box).

    .venv/bin/python bench/dashboard.py [--users 50] [--seconds 20] [--web-workers 2]

Goal (issue #6): first load under 300 ms server time; every API under 100 ms at p95 with 50
concurrent users.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._stack import BenchDatabase, Stack, cpu_snapshot, manage, percentile  # noqa: E402

ENDPOINTS = {
    "map": "/api/v1/dashboard/map/",
    "panel": "/operasi/dasbor/panel/",
    "stats": "/api/v1/dashboard/stats/",
    "alerts": "/api/v1/alerts/?open=true&page_size=200",
}

PAGE_REFRESH_SECONDS = 5.0
PAGE_ALERTS_SECONDS = 30.0

DATA_SCRIPT = r"""
import datetime as dt, json, random
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from incidents.models import Alert, Incident
from operations.models import Kelurahan, Tps

rng = random.Random(6)
now = timezone.now()
reporter = get_user_model().objects.get(username="lapangan")
tps = list(Tps.objects.values_list("id", "kelurahan_id", "lat", "lon"))
types = ["unjuk_rasa", "bentrok", "intimidasi", "politik_uang", "perusakan", "penghadangan",
         "hoaks", "gangguan_tps", "kecelakaan", "lainnya"]
statuses = ["baru", "diverifikasi", "ditangani", "selesai", "selesai", "selesai", "ditolak"]
incidents = []
for i in range({incidents}):
    tid, kel, lat, lon = rng.choice(tps)
    reported = now - dt.timedelta(minutes=rng.randint(0, 72 * 60))
    status = rng.choice(statuses)
    incidents.append(Incident(
        type=rng.choice(types), colour=rng.choices(["hijau", "kuning", "merah"], [6, 3, 1])[0],
        status=status, occurred_at=reported, reported_at=reported, kelurahan_id=kel, tps_id=tid,
        lat=lat, lon=lon, description="laporan uji beban", reporter=reporter,
        first_on_scene_at=(reported + dt.timedelta(minutes=rng.randint(4, 40)))
        if status in ("ditangani", "selesai") else None,
    ))
Incident.objects.bulk_create(incidents, batch_size=1000)
# auto_now_add overrides reported_at on insert: put the times back.
rows = list(Incident.objects.order_by("id").values_list("id", flat=True))
kels = list(Kelurahan.objects.values_list("id", flat=True))
alerts = []
for i in range({alerts}):
    alerts.append(Alert(
        kind="report", level=rng.choices(["hijau", "kuning", "merah"], [1, 6, 3])[0],
        status=rng.choices(["open", "acknowledged", "escalated", "closed"], [1, 1, 1, 7])[0],
        title=f"Ancaman uji {{i}}", reasons=["kata ancaman: ricuh (kekerasan)"],
        kelurahan_id=rng.choice(kels), dedup_key=f"bench:{{i}}",
    ))
Alert.objects.bulk_create(alerts, batch_size=1000)
from django.db import connection
with connection.cursor() as cur:
    cur.execute("UPDATE incidents_incident SET reported_at = occurred_at")
    cur.execute(
        "UPDATE incidents_alert SET created_at = now() - (random() * interval '72 hours')"
    )
group = Group.objects.get(name="komando")
sessions = []
for i in range({users}):
    user, _ = get_user_model().objects.get_or_create(username=f"bench-komando-{{i}}")
    user.groups.add(group)
    client = Client()
    client.force_login(user)
    sessions.append(client.cookies["sessionid"].value)
print(json.dumps({{"sessions": sessions, "incidents": Incident.objects.count(),
                  "alerts": Alert.objects.count(),
                  "open_incidents": Incident.objects.exclude(status__in=["selesai", "ditolak"])
                  .count(),
                  "open_alerts": Alert.objects.exclude(status="closed").count()}}))
"""


@dataclass
class User:
    host: str
    port: int
    session: str
    think: float  # seconds between requests; negative: paced like the page (see the docstring)
    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0

    def fetch(self, conn, name: str):
        t0 = time.perf_counter()
        try:
            conn.request("GET", ENDPOINTS[name], headers={"Cookie": f"sessionid={self.session}"})
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        if ok:
            self.samples.setdefault(name, []).append(time.perf_counter() - t0)
        else:
            self.errors += 1
        return conn

    def run(self, offset: int, until: float) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        if self.think < 0:
            self.paced(conn, offset, until)
            return
        names = list(ENDPOINTS)
        i = offset
        rng = random.Random(offset)
        if self.think:
            time.sleep(rng.uniform(0, self.think))  # screens are not opened in step
        while time.perf_counter() < until:
            conn = self.fetch(conn, names[i % len(names)])
            i += 1
            if self.think:
                time.sleep(self.think * rng.uniform(0.5, 1.5))
        conn.close()

    def paced(self, conn, offset: int, until: float) -> None:
        # Screens do not refresh in step: spread their first tick over the period.
        refresh, alerts_every = PAGE_REFRESH_SECONDS, PAGE_ALERTS_SECONDS
        next_refresh = time.perf_counter() + (offset % 50) / 50 * refresh
        next_alerts = next_refresh + (offset % 7) / 7 * alerts_every
        while True:
            wake = min(next_refresh, next_alerts)
            if wake >= until:
                break
            time.sleep(max(0.0, wake - time.perf_counter()))
            if next_refresh <= next_alerts:
                conn = self.fetch(conn, "panel")
                conn = self.fetch(conn, "map")
                next_refresh += refresh
            else:
                conn = self.fetch(conn, "alerts")
                next_alerts += alerts_every
        conn.close()


def get(url: str, path: str, session: str) -> tuple[float, int, int]:
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": f"sessionid={session}"})
    resp = conn.getresponse()
    body = resp.read()
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed, resp.status, len(body)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


def load(url: str, sessions: list[str], seconds: float, think: float) -> tuple[list[User], float]:
    parsed = urllib.parse.urlsplit(url)
    users = [User(parsed.hostname, parsed.port, s, think) for s in sessions]
    until = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=u.run, args=(i, until), daemon=True) for i, u in enumerate(users)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return users, time.perf_counter() - started


def report(users: list[User], wall: float, label: str) -> dict[str, float]:
    print(f"\n{label}")
    head = ["requests", "req/s", "p50 ms", "p95 ms", "p99 ms"]
    print(f"  {'endpoint':<8} " + " ".join(f"{h:>8}" for h in head))
    worst = {}
    total = 0
    for name in ENDPOINTS:
        values = sorted(v for u in users for v in u.samples.get(name, []))
        total += len(values)
        worst[name] = percentile(values, 95)
        print(
            f"  {name:<8} {len(values):>8} {len(values) / wall:>8.1f} "
            f"{ms(percentile(values, 50)):>8} {ms(percentile(values, 95)):>8} "
            f"{ms(percentile(values, 99)):>8}"
        )
    errors = sum(u.errors for u in users)
    print(f"  all      {total:>8} {total / wall:>7.1f}   errors {errors}")
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--incidents", type=int, default=5000)
    parser.add_argument("--alerts", type=int, default=2000)
    parser.add_argument("--cache-seconds", type=int, default=5)
    args = parser.parse_args(argv)

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    db = BenchDatabase(name="sispam_bench_dashboard", redis_db=7)
    db.recreate()
    env = db.env(DASHBOARD_CACHE_SECONDS=str(args.cache_seconds))
    t0 = time.perf_counter()
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--allow-production")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    out = manage(
        env,
        "shell",
        "-c",
        DATA_SCRIPT.format(incidents=args.incidents, alerts=args.alerts, users=args.users),
    )
    data = json.loads(out.strip().splitlines()[-1])
    print(
        f"data: demo + {data['incidents']} incidents ({data['open_incidents']} open), "
        f"{data['alerts']} alerts ({data['open_alerts']} open), {args.users} signed-in users "
        f"(built in {time.perf_counter() - t0:.0f} s)"
    )
    sessions = data["sessions"]
    with Stack(env, web_workers=args.web_workers) as stack:
        cold, status, size = get(stack.url, "/operasi/dasbor/", sessions[0])
        assert status == 200, status
        print(f"\nfirst load /operasi/dasbor/ (cold, after start): {ms(cold)} ms, {size} bytes")
        for name, path in ENDPOINTS.items():
            elapsed, status, size = get(stack.url, path, sessions[0])
            assert status == 200, (path, status)
            print(f"  {name:<7} alone, first call: {ms(elapsed)} ms, {size:>7} bytes")
        warm = sorted(get(stack.url, "/operasi/dasbor/", sessions[1])[0] for _ in range(20))
        print(
            f"first load /operasi/dasbor/ (warm, 20 loads): median {ms(statistics.median(warm))} "
            f"ms, p95 {ms(percentile(warm, 95))} ms"
        )
        before = cpu_snapshot(stack)
        users, wall = load(stack.url, sessions, args.seconds, think=0.0)
        after = cpu_snapshot(stack)
        worst_closed = report(
            users, wall, f"{args.users} users, no think time ({args.seconds:.0f} s, closed loop)"
        )
        busy = after["machine busy"] - before["machine busy"]
        print(
            f"  CPU: machine {busy / wall * 100 / (os.cpu_count() or 1):.0f}% busy; "
            f"web {after['web'] - before['web']:.1f} s, postgres "
            f"{after['postgres'] - before['postgres']:.1f} s, load generator "
            f"{after['client'] - before['client']:.1f} s"
        )
        users, wall = load(stack.url, sessions, max(args.seconds, 30), think=-1)
        worst_page = report(
            users,
            wall,
            f"{args.users} users as the page does on a busy day (panel + map every "
            f"{PAGE_REFRESH_SECONDS:.0f} s, open alerts every {PAGE_ALERTS_SECONDS:.0f} s)",
        )
        users, wall = load(stack.url, sessions, args.seconds, think=1.0)
        worst_paced = report(users, wall, f"{args.users} users, 1 s between a user's requests")
    goal_load = statistics.median(warm) < 0.3 and cold < 0.3
    print(
        f"\ngoal first load < 300 ms: {'MET' if goal_load else 'MISSED'} "
        f"(cold {ms(cold).strip()} ms, warm median {ms(statistics.median(warm)).strip()} ms)"
    )
    for label, worst in (
        ("as the page does", worst_page),
        ("1 s think time", worst_paced),
        ("no think time", worst_closed),
    ):
        top = max(worst.values())
        print(
            f"goal every API p95 < 100 ms ({label}): {'MET' if top < 0.1 else 'MISSED'} "
            f"(worst p95 {ms(top).strip()} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
