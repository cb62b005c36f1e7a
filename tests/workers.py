"""Loaded first (`-p tests.workers` in pyproject's addopts), before Django reads its settings.

`make test` runs the suite in two processes (pytest-xdist, `-n 2`): while one test waits for a
worker, a browser or an outage, the other uses the CPU. pytest-django gives each process its
own test database (test_sispam_gw0, test_sispam_gw1); this gives each its own Redis database
too (the tests flush it, and the score queue and the channel layer must not cross), and its own
file names for the processes' logs. Run without xdist, nothing changes.
"""

import os
import re
from urllib.parse import urlsplit

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def worker_number() -> int:
    match = re.fullmatch(r"gw(\d+)", WORKER)
    return int(match.group(1)) if match else 0


def redis_url_for_worker(url: str, number: int) -> str:
    """The same server, database number + the worker's number (gw0 keeps the caller's)."""
    if not number:
        return url
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return parts._replace(path=f"/{db + number}").geturl()


if os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = redis_url_for_worker(os.environ["REDIS_URL"], worker_number())
