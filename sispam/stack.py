"""Run the real stack in one terminal: the ASGI server, a Celery worker and Celery beat.

`make run` calls this when DATABASE_URL and REDIS_URL are set. One Ctrl-C (or SIGTERM) stops
all three. A child that exits is started again after a backoff (1 s, doubling to 30 s) and the
restart is logged: a worker that lost Redis, a server killed by the OOM killer, come back by
themselves. Only a crash loop (5 exits of one child within 60 s) stops the whole stack, with the
reason printed, so a command post that cannot run is never mistaken for a working one. In
production run the three as separate services with restart policies (docker-compose.yml).
"""

import argparse
import collections
import os
import signal
import subprocess
import sys
import time

BIN = os.path.dirname(sys.executable)

# How the ASGI server runs here, in docker-compose.yml and the Dockerfile (keep them alike), and
# in the benchmarks (bench/_stack.py imports this).
UVICORN_OPTIONS = [
    # The fast parts uvicorn[standard] brings (auto picks them too when installed: say so).
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    # The alert feed is small JSON to screens on the post's LAN: compressing every frame for
    # each of 200 screens cost more CPU (measured: 3.6%) than the bandwidth it saved.
    "--ws-per-message-deflate",
    "false",
    # Writes are audited in the database; a log line per phone report is CPU spent on nothing.
    "--no-access-log",
]


def commands(host: str, port: int, web_workers: int, concurrency: int) -> dict[str, list[str]]:
    return {
        "web": [
            os.path.join(BIN, "uvicorn"),
            "sispam.asgi:application",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(web_workers),
            # The client address is read by the app itself (core/clientaddr.py, with
            # TRUSTED_PROXY_COUNT): uvicorn must not rewrite it from a header anyone can send.
            "--no-proxy-headers",
            *UVICORN_OPTIONS,
        ],
        "worker": [
            os.path.join(BIN, "celery"),
            "-A",
            "sispam",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(concurrency),
        ],
        "beat": [os.path.join(BIN, "celery"), "-A", "sispam", "beat", "--loglevel", "INFO"],
    }


# A crash loop: this many exits of one child within this many seconds.
CRASH_LOOP_EXITS = 5
CRASH_LOOP_SECONDS = 60.0
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0


def log(message: str) -> None:
    print(f"[stack] {message}", flush=True)


class Supervisor:
    """Start named children, restart one that exits (with backoff), give up on a crash loop.

    `run()` returns 0 after a stop (SIGINT/SIGTERM or `stop()`), 1 after a crash loop; the
    reason is in `gave_up`. Each child runs in a session of its own, so stopping it stops the
    processes it started too (uvicorn's and Celery's pool workers).
    """

    def __init__(
        self,
        children: dict[str, list[str]],
        *,
        exits: int = CRASH_LOOP_EXITS,
        window: float = CRASH_LOOP_SECONDS,
        backoff: float = BACKOFF_FIRST,
        backoff_max: float = BACKOFF_MAX,
        poll: float = 0.5,
    ) -> None:
        self.children = children
        self.exits, self.window = exits, window
        self.backoff_first, self.backoff_max, self.poll = backoff, backoff_max, poll
        self.procs: dict[str, subprocess.Popen] = {}
        self.history: dict[str, collections.deque] = {n: collections.deque() for n in children}
        self.due: dict[str, float] = {}  # name -> when to start it again
        self.restarts: dict[str, int] = dict.fromkeys(children, 0)
        self.stopping = False
        self.gave_up: str | None = None

    def stop(self, *_args) -> None:
        self.stopping = True

    def start(self, name: str) -> None:
        self.procs[name] = subprocess.Popen(self.children[name], start_new_session=True)  # noqa: S603
        log(f"started {name} (pid {self.procs[name].pid})")

    def exited(self, name: str, code: int, now: float) -> None:
        history = self.history[name]
        history.append(now)
        while history and now - history[0] > self.window:
            history.popleft()
        if len(history) >= self.exits:
            self.gave_up = (
                f"{name} exited {len(history)} times within {self.window:.0f} s "
                f"(last status {code}): a crash loop; stopping the stack. "
                f"Look at {name}'s output above for the cause."
            )
            self.stopping = True
            return
        # 1 s, 2 s, 4 s ... for exits close together; back to 1 s after a quiet window.
        delay = min(self.backoff_first * 2 ** (len(history) - 1), self.backoff_max)
        self.due[name] = now + delay
        self.restarts[name] += 1
        log(f"{name} exited with {code}; restarting it in {delay:g} s")

    def run(self) -> int:
        for name in self.children:
            self.start(name)
        while not self.stopping:
            now = time.monotonic()
            for name, proc in list(self.procs.items()):
                if name not in self.due and proc.poll() is not None:
                    self.exited(name, proc.returncode, now)
                    if self.stopping:
                        break
            for name, when in list(self.due.items()):
                if not self.stopping and when <= now:
                    del self.due[name]
                    self.start(name)
            time.sleep(self.poll)
        self.terminate()
        if self.gave_up:
            log(f"gave up: {self.gave_up}")
            return 1
        log("stopped")
        return 0

    def terminate(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        print("The real stack needs DATABASE_URL and REDIS_URL.", file=sys.stderr)
        return 2
    os.makedirs("var", exist_ok=True)
    supervisor = Supervisor(commands(args.host, args.port, args.web_workers, args.concurrency))
    signal.signal(signal.SIGINT, supervisor.stop)
    signal.signal(signal.SIGTERM, supervisor.stop)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
