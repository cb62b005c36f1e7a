"""Every operation of /api/schema/, as each role and anonymous, fuzzed with schemathesis
against the Django app in-process (WSGI): no 5xx, and every answer's status, content type and
body as the schema documents them.

`make test` runs a short pass (the fuzzing phase, FUZZ_EXAMPLES=1 case per operation, as
komando, lapangan and anonymous); `make fuzz` a long one (every role, FUZZ_EXAMPLES=50 and
schemathesis's coverage phase: boundary values, wrong JSON types, huge numbers).

Left out, because they cannot be fuzzed in-process through the schema: the WebSocket feed
(/ws/, Channels, not in the OpenAPI document) and the HTML pages and file downloads (not API
operations; tests/test_liaison_crawl.py and tests/test_roles_matrix.py walk them).

KNOWN_SCHEMA_GAPS: operations whose response bodies still differ from the schema (found by this
test, not yet fixed; issue #16); for them the body check is off, the status and 5xx checks stay.
"""

import os
import time

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import load_all_checks, not_a_server_error
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ROLES

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1"))
COVERAGE = os.environ.get("FUZZ_COVERAGE", "0") == "1"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]
KNOWN_SCHEMA_GAPS = {
    "GET /api/v1/alerts/backtest/",  # would-be alerts without created_at
    "GET /api/v1/alerts/",  # rows without created_at
    "GET /api/v1/incidents/{id}/",  # some roles see a reduced body (no description)
    "GET /api/v1/incidents/stats/",
    "POST /api/v1/intel/",  # obtained_at far in the past: an LMT offset with seconds
    "POST /api/v1/officers/",  # contingent null, documented as a string
    "GET /api/v1/tps-returns/overdue/",  # a list, documented as one object
    "GET /api/v1/tps/geojson/",
    "GET /api/v1/tps/{id}/",  # reduced body for some roles (no category)
    "GET /api/v1/tps/",
    "GET /api/v1/units/",  # kecamatan null, documented as a string
    "GET /api/v1/units/{id}/",
}


# The short run takes the commander, the field officer and the anonymous visitor (the widest,
# the most used and the unauthenticated surface); `make fuzz` takes every role.
FUZZ_ROLES = ROLES if os.environ.get("FUZZ_ALL_ROLES") == "1" else ["komando", "lapangan"]


@pytest.fixture(params=[*FUZZ_ROLES, None], ids=[*FUZZ_ROLES, "anonymous"])
def role(request):
    return request.param


@pytest.fixture
def wsgi_app():
    # As Django's test client does: the request signals would close the test's connection,
    # which lives inside the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(personas, role, wsgi_app):
    admin_token, _ = Token.objects.get_or_create(user=personas["admin"])
    loaded = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json",
        wsgi_app,
        headers={"Authorization": f"Token {admin_token.key}"},
    )
    phases = ["examples", "fuzzing"] + (["coverage"] if COVERAGE else [])
    loaded.config.phases.update(phases=phases)
    loaded.config.generation.update(max_examples=EXAMPLES)
    return loaded


def test_every_operation_answers_within_its_schema(api_schema, role, personas):
    # schemathesis's own pytest plugin (schema.parametrize) does not run on pytest 9 yet; this
    # drives the same per-operation Hypothesis tests it builds, and reports every failure.
    load_all_checks()
    headers = {}
    if role is not None:
        token, _ = Token.objects.get_or_create(user=personas[role])
        headers["Authorization"] = f"Token {token.key}"
    hsettings = settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    failures, started = [], time.monotonic()
    current = {"checks": CHECKS}  # the running operation's checks

    def check(case):
        case.call_and_validate(headers=headers, checks=current["checks"])

    for result in api_schema.get_all_operations():
        operation = result.ok()
        checks = CHECKS
        if operation.label not in KNOWN_SCHEMA_GAPS:
            checks = [*CHECKS, response_schema_conformance]
        current["checks"] = checks

        test = next(
            r.ok()[1]
            for r in get_all_tests(
                schema=api_schema.include(method=operation.method, path=operation.path),
                test_func=check,
                settings=hsettings,
                given_kwargs={},
            )
        )
        try:
            test()
        except BaseException as exc:  # noqa: B036  (schemathesis raises a BaseExceptionGroup)
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {exc}")
    elapsed = time.monotonic() - started
    assert not failures, f"{len(failures)} failing operations ({elapsed:.0f} s):\n\n" + (
        "\n\n".join(failures)
    )
