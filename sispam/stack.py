"""Run the real stack in one terminal: the ASGI server, a Celery worker and Celery beat.

`make run` calls this when DATABASE_URL and REDIS_URL are set. One Ctrl-C stops all three; if
one dies the others are stopped too, so a half-running command post is never mistaken for a
working one. In production run the three as separate services (docker-compose.yml).
"""

import argparse
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
    procs: dict[str, subprocess.Popen] = {}
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for name, cmd in commands(args.host, args.port, args.web_workers, args.concurrency).items():
        procs[name] = subprocess.Popen(cmd, start_new_session=True)  # noqa: S603
        print(f"[stack] started {name} (pid {procs[name].pid})", flush=True)
    exit_code = 0
    while not stopping:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"[stack] {name} exited with {proc.returncode}; stopping", flush=True)
                exit_code = proc.returncode or 1
                stopping = True
                break
        time.sleep(0.5)
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    print("[stack] stopped", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
