"""The field officer's pages on a slow phone link: first-load weight and open time.

Runs the real stack as production does (DEBUG off, collected and compressed static files,
WhiteNoise), on the demo data (462 TPS in the report form), then for /lapor/, /lapangan/ and
/lapor/tps/ a cold load in Debian's Chromium under "Regular 3G" (tests/field_weight.py: what is
counted and how). Prints one line per page and the limits of issue #17 (150 KB, 2 s).

    .venv/bin/python bench/field_weight.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._stack import BenchDatabase, Stack, add_database_arguments, manage, session_create  # noqa: E402
from tests.field_weight import measure  # noqa: E402
from tests.stack import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PAGES = ["/lapor/", "/lapangan/", "/lapor/tps/"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LIMIT_KB = 150
LIMIT_S = 2.0


def main(argv=None) -> int:
    import argparse

    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_arguments(parser)
    parser.add_argument("--runs", type=int, default=3, help="loads per page (median printed)")
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    db = BenchDatabase(name=args.database, redis_db=args.redis_db)
    db.recreate()
    env = db.env()
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--allow-production")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    sessionid = session_create(env, "lapangan")
    failed = False
    with Stack(env, web_workers=1) as stack, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for path in PAGES:
            runs = [measure(browser, stack.url, path, sessionid, PHONE) for _ in range(args.runs)]
            runs.sort(key=lambda r: r["seconds"])
            mid = runs[len(runs) // 2]
            kb = mid["bytes_gzip"] / 1024
            ok = kb <= LIMIT_KB and mid["seconds"] < LIMIT_S
            failed |= not ok
            print(
                f"{path:<14} {kb:6.1f} KB gzip ({mid['bytes_raw'] / 1024:6.1f} KB raw, "
                f"{mid['requests']} requests)  open {mid['seconds']:.2f} s on Regular 3G "
                f"(median of {args.runs})  {'MET' if ok else 'NOT MET'}"
            )
        browser.close()
    print(f"limits: {LIMIT_KB} KB compressed without the map, under {LIMIT_S:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
