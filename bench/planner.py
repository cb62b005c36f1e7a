"""Benchmark the deployment planner (operations/planner.py) on synthetic inputs.

Run: .venv/bin/python bench/planner.py [--repeat N]

Sizes go from Kota Metro (462 TPS, 825 officers) to the province of Lampung (26,000 TPS, 6,000
officers). Inputs are built from a seeded random.Random, so every run plans the same data; only
plan() is timed. The table shows best and median seconds, TPS planned per second, and how time
grows against size from one row to the next (a time ratio close to the size ratio means near
linear growth; O(n^2) would show the square).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from operations.planner import (  # noqa: E402
    PlanInput,
    PlanOfficer,
    PlanPost,
    PlanTps,
    plan,
)

SIZES = ((462, 825), (2_600, 600), (8_000, 2_000), (26_000, 6_000))
CENTRE = (-5.117, 105.30)  # Kota Metro
KELURAHAN_SPACING_M = 3_000.0  # distance between neighbouring kelurahan centres
TPS_PER_KELURAHAN = 20
KELURAHAN_PER_KECAMATAN = 5
M_PER_DEG = 111_195.0

CATEGORY_WEIGHTS = (("kurang_rawan", 85), ("rawan", 11), ("sangat_rawan", 3), ("khusus", 1))
TIER_WEIGHTS = (("polres", 60), ("polsek", 25), ("bko", 15))
POLRES_UNITS = ("Sat Samapta", "Sat Lantas", "Sat Reskrim", "Sat Intelkam", "Sat Binmas", "Bag Ops")
BKO_UNITS = ("BKO Sat Brimob Polda Lampung", "BKO Dit Samapta Polda Lampung")


def _rank(rng: random.Random, tier: str) -> int:
    """Mostly bintara (7-12); Brimob BKO has many tamtama (1-6); a few perwira (13-16)."""
    roll = rng.random()
    if roll < 0.08:
        return rng.randint(13, 16)
    if tier == "bko" and roll < 0.5:
        return rng.randint(1, 6)
    return rng.randint(7, 12)


def synthetic_input(n_tps: int, n_officers: int, seed: int = 2024) -> PlanInput:
    """A deterministic region: kelurahan on a jittered grid, TPS scattered around each centre.

    About 2 % of TPS lie 2-5 km from their kelurahan centre so that the radius rule has work.
    Categories ~85 % kurang rawan, 11 % rawan, 3 % sangat rawan, 1 % khusus; officers ~60 %
    Polres units, 25 % Polsek (spread over the kecamatan), 15 % BKO. Four fixed posts.
    """
    rng = random.Random(seed)
    n_kelurahan = max(1, round(n_tps / TPS_PER_KELURAHAN))
    n_kecamatan = max(1, math.ceil(n_kelurahan / KELURAHAN_PER_KECAMATAN))
    side = math.ceil(math.sqrt(n_kelurahan))
    kx = M_PER_DEG * math.cos(math.radians(CENTRE[0]))

    kelurahan: list[tuple[str, str, float, float]] = []  # name, kecamatan, lat, lon
    for i in range(n_kelurahan):
        row, col = divmod(i, side)
        north = (row - side / 2) * KELURAHAN_SPACING_M + rng.uniform(-600, 600)
        east = (col - side / 2) * KELURAHAN_SPACING_M + rng.uniform(-600, 600)
        kecamatan = f"Kecamatan {i // KELURAHAN_PER_KECAMATAN + 1:03d}"
        lat, lon = CENTRE[0] + north / M_PER_DEG, CENTRE[1] + east / kx
        kelurahan.append((f"Kelurahan {i + 1:04d}", kecamatan, lat, lon))

    categories = [c for c, _ in CATEGORY_WEIGHTS]
    category_weights = [w for _, w in CATEGORY_WEIGHTS]
    tps: list[PlanTps] = []
    for i in range(n_tps):
        name, kecamatan, lat, lon = kelurahan[i % n_kelurahan]
        if rng.random() < 0.02:
            distance, bearing = rng.uniform(2_000, 5_000), rng.uniform(0, 2 * math.pi)
            north, east = distance * math.cos(bearing), distance * math.sin(bearing)
        else:
            north, east = rng.gauss(0, 450), rng.gauss(0, 450)
        category = rng.choices(categories, category_weights)[0]
        tps_lat, tps_lon = lat + north / M_PER_DEG, lon + east / kx
        tps.append(PlanTps(i + 1, name, kecamatan, tps_lat, tps_lon, category))

    tiers = [t for t, _ in TIER_WEIGHTS]
    tier_weights = [w for _, w in TIER_WEIGHTS]
    officers: list[PlanOfficer] = []
    for i in range(n_officers):
        tier = rng.choices(tiers, tier_weights)[0]
        if tier == "polsek":
            kecamatan = f"Kecamatan {rng.randrange(n_kecamatan) + 1:03d}"
            unit: str = f"Polsek {kecamatan}"
        elif tier == "polres":
            kecamatan, unit = None, rng.choice(POLRES_UNITS)
        else:
            kecamatan, unit = None, rng.choice(BKO_UNITS)
        officers.append(PlanOfficer(i + 1, tier, kecamatan, unit, _rank(rng, tier)))

    posts = [
        PlanPost("post-kpu", "Kantor KPU", "Kecamatan 001", CENTRE[0], CENTRE[1], 20, 10),
        PlanPost("post-bawaslu", "Kantor Bawaslu", "Kecamatan 001", CENTRE[0], CENTRE[1], 10, 9),
        PlanPost("post-gudang", "Gudang logistik KPU", None, CENTRE[0], CENTRE[1], 8, 8),
        PlanPost("post-ppk", "Kantor PPK", "Kecamatan 002", CENTRE[0], CENTRE[1], 4, 1),
    ]
    return PlanInput(tps=tps, officers=officers, posts=posts)


def _time_plan(data: PlanInput, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        plan(data)
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per size (default 5)")
    parser.add_argument("--no-demo", action="store_true", help="skip the database demo run")
    args = parser.parse_args(argv)

    python = platform.python_version()
    print(f"machine: {os.cpu_count()} CPU, {platform.platform()}, Python {python}")
    print(f"repeats per size: {args.repeat}; only plan() is timed\n")
    header = (
        f"{'TPS':>7} {'officers':>8} {'clusters':>8} {'short':>6} {'best s':>8} {'median s':>9} "
        f"{'TPS/s':>9} {'size x':>7} {'time x':>7}"
    )
    print(header)
    print("-" * len(header))
    previous: tuple[int, float] | None = None
    for n_tps, n_officers in SIZES:
        data = synthetic_input(n_tps, n_officers)
        result = plan(data)  # warm-up, and the figures for the table
        times = _time_plan(data, args.repeat)
        best, median = min(times), statistics.median(times)
        if previous is None:
            size_x = time_x = "-"
        else:
            size_x = f"{n_tps / previous[0]:.2f}"
            time_x = f"{median / previous[1]:.2f}"
        print(
            f"{n_tps:>7,} {n_officers:>8,} {len(result.clusters):>8,} "
            f"{result.coverage.shortfall:>6,} {best:>8.3f} {median:>9.3f} "
            f"{n_tps / median:>9,.0f} {size_x:>7} {time_x:>7}"
        )
        previous = (n_tps, median)
    if not args.no_demo:
        demo_end_to_end(args.repeat)


def demo_end_to_end(repeat: int) -> None:
    """The Kota Metro demo from the database, end to end: read TPS/posts/officers, plan, store.

    Runs on a throw-away SQLite database (the embedded default), seeded by seed_demo, and times
    operations.services.plan_run, which is what the page, the API and plan_deployment call.
    """
    import tempfile

    tmp = tempfile.mkdtemp(prefix="sispam-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.pop("REDIS_URL", None)
    os.environ["DEBUG"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sispam.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    from operations.selectors import operation_window_default
    from operations.services import plan_accept, plan_run

    start, end = operation_window_default()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        plan_obj = plan_run(by=None, reserve_share=0.1, starts_at=start, ends_at=end)
        times.append(time.perf_counter() - began)
    began = time.perf_counter()
    plan_accept(plan=plan_obj, by=None)
    accept_s = time.perf_counter() - began
    cov = plan_obj.coverage
    print(
        f"\nKota Metro demo from the database (SQLite): {cov['tps_total']} TPS, "
        f"{cov['officers_available']} officers available; run best {min(times):.3f} s, "
        f"median {statistics.median(times):.3f} s (planner core {plan_obj.duration_ms} ms); "
        f"accept {accept_s:.3f} s ({cov['officers_assigned']} assignments); goal < 2 s"
    )


if __name__ == "__main__":
    main()
