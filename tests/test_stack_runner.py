"""The one-terminal runner (sispam/stack.py) restarts a child that exits, gives up on a crash
loop saying why, and still stops everything on SIGTERM."""

import os
import signal
import subprocess
import sys
import textwrap
import time

from tests.stack import ROOT, subprocess_env


def runner(children: dict[str, list[str]], **options) -> subprocess.Popen:
    code = textwrap.dedent(
        f"""
        import signal, sys
        from sispam.stack import Supervisor
        s = Supervisor({children!r}, **{options!r})
        signal.signal(signal.SIGTERM, s.stop)
        sys.exit(s.run())
        """
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def test_a_child_that_exits_is_restarted_with_backoff_until_a_crash_loop_stops_the_stack():
    exits = [sys.executable, "-c", "import sys; sys.exit(3)"]
    stays = [sys.executable, "-c", "import time; time.sleep(60)"]
    proc = runner({"worker": exits, "web": stays}, exits=4, window=30.0, backoff=0.1, poll=0.05)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1, out
    assert out.count("worker exited with 3; restarting it in") == 3, out
    assert out.count("started worker") == 4, out
    assert "gave up: worker exited 4 times within 30 s (last status 3): a crash loop" in out
    # The child that kept running was stopped with the stack, and never restarted.
    assert out.count("started web") == 1, out


def test_a_child_that_exits_now_and_then_is_restarted_every_time():
    # Exits after 0.3 s; with a 0.2 s window no two exits count together: never a crash loop.
    flaky = [sys.executable, "-c", "import time, sys; time.sleep(0.3); sys.exit(1)"]
    proc = runner({"beat": flaky}, exits=2, window=0.2, backoff=0.05, poll=0.05)
    time.sleep(6)
    os.killpg(proc.pid, signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert out.count("beat exited with 1; restarting it") >= 2, out
    assert "gave up" not in out
    assert out.rstrip().endswith("[stack] stopped"), out


def test_sigterm_stops_every_child():
    marker = "import os, time; print('child', os.getpid(), flush=True); time.sleep(60)"
    proc = runner({"web": [sys.executable, "-c", marker], "worker": [sys.executable, "-c", marker]})
    time.sleep(1.5)
    os.killpg(proc.pid, signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    pids = [int(line.split()[1]) for line in out.splitlines() if line.startswith("child ")]
    assert len(pids) == 2, out
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        raise AssertionError(f"child {pid} still running after SIGTERM:\n{out}")
    assert "restarting" not in out


def test_the_celery_worker_retries_a_lost_broker_forever():
    from sispam.celery import app

    assert app.conf.broker_connection_retry_on_startup is True
    assert app.conf.broker_connection_retry is True
    assert app.conf.broker_connection_max_retries is None
