"""The fault drill's parts (bench/fault_drill.py): the servers it owns and breaks (a PostgreSQL
cluster of its own, a redis-server of its own), the stack under sispam.stack's runner, and the
field clients that keep filing reports through it all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import redis

from bench._stack import LOGS, Proc, Stack, _proc_stats, free_port, spawn

if TYPE_CHECKING:
    from bench.fault_drill import Drill

WIB = dt.timezone(dt.timedelta(hours=7))
TYPES = ("unjuk_rasa", "bentrok", "intimidasi", "politik_uang", "gangguan_tps", "lainnya")
TMP_PREFIX = "sispam-drill-"

# --- the servers the drill owns --------------------------------------------------------------


def _pg_bindir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL's initdb is missing (apt-get install postgresql)")


def _as_postgres() -> list[str]:
    """Root may not run PostgreSQL: its commands then run as the `postgres` user."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise RuntimeError("running as root needs runuser (util-linux) to start PostgreSQL")
    return [runuser, "-u", "postgres", "--"]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class PrivatePostgres:
    """A throw-away PostgreSQL cluster on a free port, trust auth, in a temporary directory."""

    port: int = field(default_factory=free_port)
    root: Path = field(init=False)
    bindir: Path = field(default_factory=_pg_bindir)
    started: bool = False

    def __post_init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=TMP_PREFIX))
        (self.root / "owner").write_text(str(os.getpid()))
        self.prefix = _as_postgres()
        if self.prefix:
            shutil.chown(self.root, user="postgres")

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _run(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(  # noqa: S603 (our own binaries, our own arguments)
            [*self.prefix, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.root,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def init(self) -> None:
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.data}"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "postgres.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        self.started = True

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
        self.started = False

    def destroy(self) -> None:
        if self.started:
            with contextlib.suppress(Exception):
                self.stop("immediate")
        log = self.root / "postgres.log"
        if log.exists():
            LOGS.mkdir(parents=True, exist_ok=True)
            shutil.copy(log, LOGS / "drill-postgres.log")
        shutil.rmtree(self.root, ignore_errors=True)


def leftovers_clean() -> None:
    """Stop and remove the clusters of earlier drills that were killed before cleaning up."""
    for root in glob.glob(os.path.join(tempfile.gettempdir(), TMP_PREFIX + "*")):
        owner = Path(root, "owner")
        try:
            pid = int(owner.read_text())
        except (OSError, ValueError):
            continue
        if _pid_alive(pid):
            continue  # a drill still running
        if Path(root, "data", "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                subprocess.run(  # noqa: S603
                    [
                        *_as_postgres(),
                        str(_pg_bindir() / "pg_ctl"),
                        "-D",
                        str(Path(root, "data")),
                        "-m",
                        "immediate",
                        "stop",
                    ],
                    capture_output=True,
                    timeout=30,
                    check=False,
                )
        shutil.rmtree(root, ignore_errors=True)


class PrivateRedis:
    """A redis-server on a free port with no persistence: stopped, it comes back empty."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc: Proc | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        cmd = [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self.proc = spawn(f"drill-redis-{self.port}", cmd, dict(os.environ))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start:\n{self.proc.output()}")

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=5)

    def keys(self) -> int:
        return int(self.client().dbsize())

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None


# --- the stack, under its runner -------------------------------------------------------------

RUNNER = """
import json, signal, sys
from sispam.stack import Supervisor, commands
children = commands("127.0.0.1", {port}, {web_workers}, {concurrency})
# Beat's schedule file of its own: var/celerybeat-schedule belongs to `make run` here.
children["beat"] += ["--schedule", {schedule!r}]
supervisor = Supervisor(children)
signal.signal(signal.SIGINT, supervisor.stop)
signal.signal(signal.SIGTERM, supervisor.stop)
sys.exit(supervisor.run())
"""
STARTED = re.compile(r"\[stack\] started (\w+) \(pid (\d+)\)")


@dataclass
class SupervisedStack(Stack):
    """The stack run by sispam.stack's Supervisor (the runner restarts what exits)."""

    schedule: str = ""

    def start(self, timeout: float = 90.0) -> None:
        code = textwrap.dedent(
            RUNNER.format(
                port=self.port,
                web_workers=self.web_workers,
                concurrency=self.worker_concurrency,
                schedule=self.schedule,
            )
        )
        self.procs.append(spawn("drill-runner", [sys.executable, "-c", code], self.env))
        self.wait_ready(timeout)

    @property
    def runner(self) -> Proc:
        return self.procs[0]

    def started(self) -> list[tuple[str, int]]:
        """(child, pid) of every start the runner logged, in order."""
        return [(m[1], int(m[2])) for m in STARTED.finditer(self.runner.output(tail=10**7))]

    def child_pid(self, name: str) -> int:
        return [pid for child, pid in self.started() if child == name][-1]

    def restarts(self) -> Counter:
        """How many times the runner saw each child exit (and started it again)."""
        return Counter(re.findall(r"\[stack\] (\w+) exited with", self.runner.output(10**7)))

    def gave_up(self) -> str | None:
        found = re.search(r"\[stack\] gave up: (.*)", self.runner.output(tail=10**7))
        return found[1] if found else None

    def stop(self) -> None:
        """SIGTERM the runner (it stops its children), then SIGKILL whatever is left in the
        children's sessions (a runner killed before it could stop them)."""
        runner = self.runner if self.procs else None
        if runner is not None and runner.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(runner.proc.pid, signal.SIGTERM)
            try:
                runner.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(runner.proc.pid, signal.SIGKILL)
                runner.proc.wait(timeout=5)
        sessions = {pid for _name, pid in (self.started() if self.procs else [])}
        for pid, _comm, session, _cpu in _proc_stats():
            if session in sessions:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                raw = (entry / "stat").read_text()
            except OSError:
                continue
            if int(raw[raw.rindex(")") + 2 :].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def in_session(session: int) -> list[int]:
    return [pid for pid, _comm, sid, _cpu in _proc_stats() if sid == session and pid != session]


def wait_for(check, seconds: float, every: float = 0.1):
    """check()'s first true answer within `seconds` (None if none)."""
    deadline = time.monotonic() + seconds
    while True:
        got = check()
        if got or time.monotonic() >= deadline:
            return got or None
        time.sleep(every)


# --- the field clients -----------------------------------------------------------------------


@dataclass
class Tally:
    """Every answer the clients got, by drill phase; shared by the client threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    phase: str = "warm-up"
    phases: list[str] = field(default_factory=lambda: ["warm-up"])
    answers: dict[str, Counter] = field(default_factory=dict)
    filed: dict[str, float] = field(default_factory=dict)  # key -> first attempt
    accepted: dict[str, float] = field(default_factory=dict)  # key -> time of its 2xx
    rejected: dict[str, str] = field(default_factory=dict)  # key -> the 4xx
    pending: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)  # 500s' bodies, first few

    def enter(self, phase: str) -> None:
        with self.lock:
            self.phase = phase
            self.phases.append(phase)

    def answer(self, outcome: str) -> None:
        with self.lock:
            self.answers.setdefault(self.phase, Counter())[outcome] += 1

    def total(self) -> Counter:
        out: Counter = Counter()
        for counts in self.answers.values():
            out.update(counts)
        return out


class FieldClient(threading.Thread):
    """A phone's outbox: reports on a schedule, each retried with the same key until answered."""

    def __init__(self, n: int, drill: Drill, token: str, rng: random.Random) -> None:
        super().__init__(name=f"field-client-{n}", daemon=True)
        self.n, self.drill, self.token, self.rng = n, drill, token, rng
        self.conn: http.client.HTTPConnection | None = None

    def body(self) -> bytes:
        r = self.rng
        return json.dumps(
            {
                "type": r.choice(TYPES),
                "occurred_at": (dt.datetime.now(WIB) - dt.timedelta(minutes=1)).isoformat(),
                "tps": r.choice(self.drill.tps),
                "description": r.choice(self.drill.texts),
                "colour": r.choice(("hijau",) * 8 + ("kuning", "merah")),
            }
        ).encode()

    def run(self) -> None:
        d = self.drill
        every = d.options.clients / d.options.rate
        start = d.load_started + self.n * every / d.options.clients
        i = 0
        while True:
            due = start + i * every
            while time.monotonic() < due and not d.load_stop.is_set():
                time.sleep(min(0.05, max(0.0, due - time.monotonic())))
            if d.load_stop.is_set():
                break
            self.file(f"drill-{d.run_id}-{self.n}-{i}", self.body())
            i += 1
        if self.conn is not None:
            self.conn.close()

    def file(self, key: str, body: bytes) -> None:
        d, tally = self.drill, self.drill.tally
        with tally.lock:
            tally.filed[key] = time.monotonic()
            tally.pending.add(key)
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Token {self.token}",
            "Idempotency-Key": key,
        }
        attempt = 0
        while time.monotonic() < d.end_at:
            status, retry_after, text = self.post(body, headers)
            if isinstance(status, int) and 200 <= status < 300:
                tally.answer(str(status))
                with tally.lock:
                    tally.accepted.setdefault(key, time.monotonic())
                    tally.pending.discard(key)
                return
            if status == 503:
                outcome = "503 Retry-After" if retry_after else "503 no Retry-After"
            elif isinstance(status, int) and status >= 500:
                outcome = "500" if status == 500 else f"{status}"
                with tally.lock:
                    if len(tally.errors) < 5:
                        tally.errors.append(f"{status} {text[:300]}")
            elif isinstance(status, int) and status != 429:
                tally.answer(f"{status}")  # a 4xx: a final answer; the report is refused
                with tally.lock:
                    tally.rejected[key] = f"{status} {text[:300]}"
                    tally.pending.discard(key)
                return
            else:
                outcome = str(status)
            tally.answer(outcome)
            # 0.25 s doubling to 4 s, with jitter, never longer than the server asked.
            wait = min(0.25 * 2**attempt, 4.0) * (0.5 + self.rng.random() / 2)
            if retry_after:
                wait = min(wait, retry_after)
            attempt += 1
            time.sleep(wait)

    def post(self, body: bytes, headers: dict) -> tuple[int | str, float, str]:
        """(status or what went wrong, Retry-After seconds or 0, body text)."""
        host, port = "127.0.0.1", self.drill.stack.port
        fresh = self.conn is None
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    host, port, timeout=self.drill.options.request_timeout
                )
            self.conn.request("POST", "/api/v1/incidents/", body=body, headers=headers)
            resp = self.conn.getresponse()
            text = resp.read().decode(errors="replace")
            retry = resp.getheader("Retry-After")
            if resp.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return resp.status, float(retry) if retry and retry.isdigit() else 0.0, text
        except ConnectionRefusedError:
            outcome = "refused"
        except TimeoutError:
            outcome = "timeout"
        except (OSError, http.client.HTTPException):
            # The server closed a kept-alive connection (or reset it): try again at once on a
            # new one; a fresh connection that drops is an answer like any other.
            outcome = "dropped" if fresh else "stale connection"
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        return outcome, 0.0, ""
