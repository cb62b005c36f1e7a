"""`make run` (the embedded default) serves with DEBUG off unless a developer opts in.

Attack: a visitor asks the embedded server for a page that does not exist, or any role sends a
value that makes a view fail. Before the fix DEBUG defaulted to on without DATABASE_URL, so the
visitor got Django's debug 404 listing every URL pattern, and a failure a debug 500 with the
settings and the request.
"""

import json
import sys

from tests.test_settings import run_with

EMBEDDED = {"DATABASE_URL": None, "REDIS_URL": None, "DEBUG": None, "SECRET_KEY": None}

PROBE = """
import json, os
os.environ['DJANGO_SETTINGS_MODULE'] = 'sispam.settings'
import django
django.setup()
from django.conf import settings
from django.test import Client
c = Client(HTTP_HOST="127.0.0.1")
missing = c.get('/no-such-page/')
login = c.get('/accounts/login/')
print(json.dumps({
    'debug': settings.DEBUG,
    'missing': missing.status_code,
    'patterns_shown': b'URLconf' in missing.content or b'Using the URLconf' in missing.content,
    'login': login.status_code,
    'csrf_secure': bool(login.cookies['csrftoken']['secure']) if 'csrftoken' in login.cookies
        else None,
    'ssl_redirect': settings.SECURE_SSL_REDIRECT,
    'session_secure': settings.SESSION_COOKIE_SECURE,
}))
"""


def _probe(env):
    result = run_with(env, [sys.executable, "-c", PROBE])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_embedded_default_serves_with_debug_off():
    seen = _probe(EMBEDDED)
    assert seen["debug"] is False
    assert seen["missing"] == 404
    assert seen["patterns_shown"] is False
    # Still usable on http://127.0.0.1:8000/ as the README says: no redirect to https, cookies
    # the browser sends back over plain HTTP on this one machine.
    assert seen["login"] == 200
    assert seen["ssl_redirect"] is False
    assert seen["session_secure"] is False
    assert seen["csrf_secure"] is False


def test_a_developer_opts_in_with_debug_1():
    seen = _probe({**EMBEDDED, "DEBUG": "1"})
    assert seen["debug"] is True
    assert seen["patterns_shown"] is True
