"""Real processes for the tests: an ASGI server (uvicorn) and a Celery worker.

Both run against the test database pytest-django created and the Redis database the tests use,
so a test that commits (transactional_db) is seen by them exactly as production would see it.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from sispam.stack import UVICORN_OPTIONS
from tests.workers import WORKER

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url_for_tests() -> str:
    """The URL of the database pytest-django created for this run."""
    from django.db import connection

    d = connection.settings_dict
    auth = d["USER"] or ""
    if d["PASSWORD"]:
        auth += f":{d['PASSWORD']}"
    host = d["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{d['PORT'] or 5432}/{d['NAME']}"


def subprocess_env() -> dict[str, str]:
    """This process's environment minus what only the test process may have."""
    return {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def run_async(coro):
    """Run a coroutine to the end from sync code, even while Playwright's loop runs here."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def stack_env(**extra: str) -> dict[str, str]:
    env = subprocess_env()
    env.update(
        {
            "DATABASE_URL": database_url_for_tests(),
            "REDIS_URL": os.environ["REDIS_URL"],
            "DEBUG": "1",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DB_POOL_MAX": "4",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@dataclass
class Proc:
    proc: subprocess.Popen
    log: Path
    url: str = ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)

    def kill(self) -> None:
        """kill -9 the process and its children (a worker dying mid-task)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _spawn(name: str, cmd: list[str], env: dict[str, str]) -> Proc:
    ARTIFACTS.mkdir(exist_ok=True)
    # Under xdist each test process names its own logs (tests/workers.py).
    log = ARTIFACTS / f"{name}{'-' + WORKER if WORKER else ''}.log"
    handle = log.open("w")
    proc = subprocess.Popen(  # noqa: S603
        cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    return Proc(proc=proc, log=log)


def start_asgi_server(env: dict[str, str], workers: int = 1, port: int | None = None) -> Proc:
    port = port or free_port()
    cmd = [
        str(BIN / "uvicorn"),
        "sispam.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        *UVICORN_OPTIONS,  # as deployed
    ]
    server = _spawn(f"asgi-{port}", cmd, env)
    server.url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"ASGI server exited:\n{server.output()}")
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=15):  # noqa: S310
                return server
        except urllib.error.HTTPError:
            return server  # it answers (503 is still an answer)
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"ASGI server did not answer in 30 s:\n{server.output()}")


def start_celery_worker(env: dict[str, str], name: str = "test", concurrency: int = 1) -> Proc:
    cmd = [
        str(BIN / "celery"),
        "-A",
        "sispam",
        "worker",
        "--loglevel",
        "INFO",
        "--concurrency",
        str(concurrency),
        "--hostname",
        f"{name}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
    worker = _spawn(f"worker-{name}", cmd, env)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if worker.proc.poll() is not None:
            raise RuntimeError(f"Celery worker exited:\n{worker.output()}")
        # Celery logs "<name>@<host> ready." once it consumes; works whatever the broker.
        if f"{name}@" in worker.output() and " ready." in worker.output():
            return worker
        time.sleep(0.2)
    worker.stop()
    raise RuntimeError(f"Celery worker did not answer in 40 s:\n{worker.output()}")


def flush_test_redis() -> None:
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


@pytest.fixture
def asgi_server(django_db_setup, django_db_blocker):
    """A uvicorn process serving Sispam over HTTP and WebSocket on the test database.

    One per test: transactional tests flush every table between tests (content types
    included), and a server that outlived a flush would hold stale cached ids."""
    with django_db_blocker.unblock():
        env = stack_env()
    server = start_asgi_server(env)
    yield server
    server.stop()


@pytest.fixture
def celery_worker(django_db_setup, django_db_blocker):
    """A real Celery worker process consuming from the test Redis; stopped after the test."""
    with django_db_blocker.unblock():
        env = stack_env()
    flush_test_redis()
    worker = start_celery_worker(env)
    yield worker
    worker.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (never `playwright install`: no downloads here).

    One per test module, not per session: while Playwright runs, its event loop runs in the test
    thread, and a later module's test that runs a loop of its own (asyncio.run, async_to_sync)
    would fail or pass by the order the tests happened to run in."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (see .ci/run)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def start_redis(port: int | None = None) -> Proc:
    """A private redis-server for a test that stops and starts its broker."""
    import redis

    port = port or free_port()
    cmd = [
        shutil.which("redis-server") or "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    server = _spawn(f"redis-{port}", cmd, dict(os.environ))
    server.url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            redis.Redis.from_url(server.url).ping()
            return server
        except redis.RedisError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"redis-server did not start:\n{server.output()}")


def start_celery_beat(env: dict[str, str], schedule_dir: Path) -> Proc:
    cmd = [
        str(BIN / "celery"),
        "-A",
        "sispam",
        "beat",
        "--loglevel",
        "INFO",
        "--schedule",
        str(schedule_dir / "beat-schedule"),
    ]
    return _spawn("beat", cmd, env)
