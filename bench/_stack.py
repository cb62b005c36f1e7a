"""The real stack for benchmarks: a throw-away PostgreSQL database, a Redis database, a Celery
worker and uvicorn with several processes, all configured as production would be (DEBUG off).

Every process starts in its own session so that stopping it kills its whole group (uvicorn's
worker processes, Celery's pool). Logs go to var/bench/ (ignored by git).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

from sispam.stack import UVICORN_OPTIONS

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOGS = ROOT / "var" / "bench"


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def add_database_arguments(parser) -> None:
    """--database and --redis-db: where a benchmark may drop and recreate its data, so that
    benchmarks run from several checkouts on one machine do not wipe each other's."""
    parser.add_argument(
        "--database", default=BenchDatabase.name, help="PostgreSQL database (dropped first)"
    )
    parser.add_argument(
        "--redis-db", type=int, default=BenchDatabase.redis_db, help="Redis db (flushed)"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class BenchDatabase:
    """One PostgreSQL database and one Redis database that belong to the benchmark alone."""

    name: str = "sispam_bench"
    redis_db: int = 8
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "root"
    # The fault drill runs its own PostgreSQL cluster and redis-server on free ports.
    redis_port: int = 6379

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@{self.host}:{self.port}/{self.name}"

    @property
    def dsn(self) -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={self.name}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/{self.redis_db}"

    @property
    def admin_dsn(self) -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname=postgres"

    def recreate(self) -> None:
        """Drop (closing any connection left by an earlier, killed run) and create it again."""
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.name}"')
        redis.Redis.from_url(self.redis_url).flushdb()

    def connect(self, **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.dsn, **kwargs)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every process of the stack: production settings, bench data."""
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env.update(
            {
                "DATABASE_URL": self.url,
                "REDIS_URL": self.redis_url,
                # DEBUG off, as in production (no query log, no debug pages): that needs a key.
                "DEBUG": "0",
                "SECRET_KEY": secrets.token_urlsafe(48),
                "SECURE_SSL_REDIRECT": "0",
                # The screens' sessions are made directly (session_create): a second factor is
                # a sign-in step, not load.
                "OTP_REQUIRED": "0",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra)
        return env


def manage(env: dict[str, str], *args: str) -> str:
    """Run a management command to the end; its output, or an error carrying it."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Proc:
    name: str
    proc: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self, tail: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-tail:] if self.log.exists() else ""

    def stop(self) -> None:
        """SIGTERM the whole process group, SIGKILL what is left after 10 s."""
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass


def spawn(name: str, cmd: list[str], env: dict[str, str]) -> Proc:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / f"{name}.log"
    with log.open("w") as handle:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Proc(name=name, proc=proc, log=log)


@dataclass
class Stack:
    """uvicorn (N processes) and a Celery worker; use as a context manager so both always stop."""

    env: dict[str, str]
    web_workers: int = 2
    worker_concurrency: int = 1
    port: int = field(default_factory=free_port)
    procs: list[Proc] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout: float = 60.0) -> None:
        self.procs.append(
            spawn(
                "worker",
                [
                    str(BIN / "celery"),
                    "-A",
                    "sispam",
                    "worker",
                    "--concurrency",
                    str(self.worker_concurrency),
                    "--loglevel",
                    "WARNING",
                    "--hostname",
                    "bench@%h",
                    "--without-gossip",
                    "--without-mingle",
                ],
                self.env,
            )
        )
        self.procs.append(
            spawn(
                "web",
                [
                    str(BIN / "uvicorn"),
                    "sispam.asgi:application",
                    "--workers",
                    str(self.web_workers),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                    *UVICORN_OPTIONS,
                ],
                self.env,
            )
        )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> dict:
        """Until /healthz answers with every part up, the worker included (it beats on start)."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            for p in self.procs:
                if not p.alive():
                    raise RuntimeError(f"{p.name} exited:\n{p.output()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as resp:
                    health = json.loads(resp.read())
                if health["status"] == "ok" and health["checks"].get("worker", {}).get(
                    "status"
                ) in ("ok", "eager"):
                    return health
                last = json.dumps(health)
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
            except OSError as exc:
                last = repr(exc)
            time.sleep(0.25)
        raise RuntimeError(
            f"stack not ready in {timeout:.0f} s (last: {last})\n"
            + "\n".join(f"--- {p.name}\n{p.output()}" for p in self.procs)
        )

    def stop(self) -> None:
        for p in reversed(self.procs):
            p.stop()

    def queue_length(self, queue: str = "celery") -> int:
        """Tasks waiting in the broker (what the worker has not picked up yet)."""
        return int(redis.Redis.from_url(self.env["REDIS_URL"]).llen(queue))


def _proc_stats() -> list[tuple[int, str, int, float]]:
    """(pid, comm, session id, CPU seconds used) of every process we can read."""
    stats = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue  # it exited meanwhile
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2 :].split()
        cpu = (int(rest[11]) + int(rest[12])) / CLOCK_TICKS
        stats.append((int(entry.name), comm, int(rest[3]), cpu))
    return stats


def machine_cpu() -> tuple[float, float, float]:
    """(busy, stolen, total) CPU seconds of the whole machine since boot, from /proc/stat;
    stolen is time the hypervisor gave to other guests while this one wanted to run."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields[:8]
    busy = user + nice + system + irq + softirq  # guest time is already counted in user
    total = busy + idle + iowait + steal
    return busy / CLOCK_TICKS, steal / CLOCK_TICKS, total / CLOCK_TICKS


def cpu_snapshot(stack: Stack) -> dict[str, float]:
    """CPU seconds used so far by each part: the web server, the worker, PostgreSQL, Redis,
    this process (the load generator), and the machine as a whole."""
    sessions = {p.proc.pid: p.name for p in stack.procs}
    me = os.getpid()
    parts = {name: 0.0 for name in [*sessions.values(), "postgres", "redis", "client"]}
    for pid, comm, session, cpu in _proc_stats():
        if session in sessions:
            parts[sessions[session]] += cpu
        elif comm == "postgres":
            parts["postgres"] += cpu
        elif comm == "redis-server":
            parts["redis"] += cpu
        elif pid == me:
            parts["client"] += cpu
    parts["machine busy"], parts["machine stolen"], parts["machine total"] = machine_cpu()
    return parts


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (nan when it is empty)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


SESSION_SCRIPT = """
from django.contrib.auth import get_user_model
from django.test import Client
client = Client()
client.force_login(get_user_model().objects.get(username=%r))
print(client.cookies["sessionid"].value)
"""


def session_create(env: dict[str, str], username: str) -> str:
    """A signed-in session for `username`, created in the bench database through Django (as the
    login form would, without needing collected static files for its page); the sessionid to
    send as a cookie. `env` must be the stack's: the session is bound to its SECRET_KEY."""
    out = manage(env, "shell", "-c", SESSION_SCRIPT % username).strip().splitlines()
    if not out or not re.fullmatch(r"[a-z0-9]{32}", out[-1]):
        raise RuntimeError(f"no session for {username}: {out}")
    return out[-1]
