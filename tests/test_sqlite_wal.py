"""The embedded default runs SQLite in WAL mode with a busy timeout: a page reloaded while an
exercise writes waits for the lock instead of answering 500 "database is locked"."""

import json
import sys

from tests.test_settings import run_with

# Loads the embedded default's settings, points its connection at a scratch file (never the
# developer's var/sispam.sqlite3), then: the pragmas on a new connection, and a write made while
# another connection holds the write lock for a second.
PROBE = """
import os, json, sys, threading, time
os.environ['DJANGO_SETTINGS_MODULE'] = 'sispam.settings'
import django
django.setup()
from django.conf import settings
from django.db import connection, connections, transaction
connection.settings_dict['NAME'] = sys.argv[1]
with connection.cursor() as c:
    mode = c.execute('PRAGMA journal_mode').fetchone()[0]
    busy = c.execute('PRAGMA busy_timeout').fetchone()[0]
    c.execute('CREATE TABLE t (n integer)')
held = threading.Event()

def hold_the_write_lock():
    conn = connections['default']
    conn.settings_dict['NAME'] = sys.argv[1]
    with transaction.atomic():
        conn.cursor().execute('INSERT INTO t VALUES (1)')
        held.set()
        time.sleep(1)
    conn.close()

thread = threading.Thread(target=hold_the_write_lock)
thread.start()
held.wait()
started = time.monotonic()
with transaction.atomic():
    connection.cursor().execute('INSERT INTO t VALUES (2)')
waited = time.monotonic() - started
thread.join()
rows = connection.cursor().execute('SELECT count(*) FROM t').fetchone()[0]
print(json.dumps({'mode': mode, 'busy_ms': busy, 'waited': waited, 'rows': rows,
                  'tx': settings.DATABASES['default']['OPTIONS']['transaction_mode']}))
"""


def test_the_embedded_default_runs_sqlite_in_wal_mode_and_waits_for_a_busy_writer(tmp_path):
    result = run_with(
        {"DATABASE_URL": None, "REDIS_URL": None, "DEBUG": None, "DJANGO_SETTINGS_MODULE": None},
        [sys.executable, "-c", PROBE, str(tmp_path / "embedded.sqlite3")],
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["mode"] == "wal"
    assert seen["busy_ms"] == 20_000
    assert seen["tx"] == "IMMEDIATE"
    # The second writer waited for the first (about its one second) and then wrote: no error.
    assert seen["waited"] > 0.5
    assert seen["rows"] == 2
