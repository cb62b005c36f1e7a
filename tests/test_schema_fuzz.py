"""Every operation of /api/schema/, as each role and anonymous, fuzzed with schemathesis
against the Django app in-process (WSGI): no 5xx, and every answer's status, content type and
body as the schema documents them.

`make test` runs a short pass (the fuzzing phase, FUZZ_EXAMPLES=1 case per operation, as
komando, lapangan and anonymous); `make fuzz` a long one (every role, FUZZ_EXAMPLES=50 and
schemathesis's coverage phase: boundary values, wrong JSON types, huge numbers).

Left out, because they cannot be fuzzed in-process through the schema: the WebSocket feed
(/ws/, Channels, not in the OpenAPI document) and the HTML pages and file downloads (not API
operations; tests/test_liaison_crawl.py and tests/test_roles_matrix.py walk them).

Every operation has its body checked: no operation is exempt from response-schema conformance.
"""

import datetime as dt
import os
import re
import time

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
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
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# FUZZ_ONLY=regex: only the operations whose label ("GET /api/v1/tps/") matches (while fixing).
ONLY = re.compile(os.environ.get("FUZZ_ONLY", ""))


# --- rows for every read to answer with -------------------------------------------------------


def fuzz_rows(personas) -> dict[str, list]:
    """A small operation with every shape a body can take (null places, blank categories, BKO
    officers, an alert without a kelurahan, a polling day in progress), so that the bodies are
    checked against the schema with rows in them; answers the ids per collection path."""
    from incidents.models import Alert, Incident, TpsReturn
    from operations.models import ElectionPhase, Kecamatan, Kelurahan
    from personnel.models import OfficerStatus, UnitKind
    from tests import factories as f

    now = timezone.localtime()
    kec = Kecamatan.objects.order_by("id").first() or f.KecamatanFactory()
    kel = Kelurahan.objects.filter(kecamatan=kec).order_by("id").first() or f.KelurahanFactory(
        kecamatan=kec
    )
    # The polling day under way (so that overdue TPS returns are listed), when the clock allows.
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if now.hour < 8:
        day -= dt.timedelta(days=1)
    ElectionPhase.objects.update_or_create(
        code="pemungutan",
        defaults={"name": "Pemungutan suara", "starts_at": day, "ends_at": day + dt.timedelta(1)},
    )

    polres = f.UnitFactory(code="polres-uji", kind=UnitKind.POLRES)
    polsek = f.UnitFactory(code="polsek-uji", kind=UnitKind.POLSEK, parent=polres, kecamatan=kec)
    satgas = f.SatgasFactory()
    request = f.BkoRequestFactory(requested_by=personas["komando"])
    contingent = f.BkoContingentFactory(request=request)
    field = f.OfficerFactory(unit=polsek, satgas=satgas, user=personas["lapangan"])
    plain = f.OfficerFactory(unit=polres)
    bko = f.OfficerFactory(unit=contingent.home_unit, contingent=contingent)
    f.OfficerStatusChangeFactory(officer=field, to_status=OfficerStatus.BERTUGAS)

    tps = f.TpsFactory(kelurahan=kel, status="dibuka", indicators=["politik_uang"])
    decided = f.TpsFactory(
        kelurahan=kel,
        category_override="sangat_rawan",
        category="sangat_rawan",
        override_reason="Informasi intelijen",
    )
    khusus = f.TpsFactory(kelurahan=kel, is_khusus=True, khusus_kind="lapas")
    post = f.PostFactory(kecamatan=kec, kelurahan=kel)
    post.tps.add(tps, decided)
    bare_post = f.PostFactory()
    assignment = f.AssignmentFactory(officer=field, post=post, created_by=personas["komando"])
    plan = f.DeploymentPlanFactory(created_by=personas["komando"])

    incident = f.IncidentFactory(
        reporter=personas["lapangan"],
        kelurahan=kel,
        tps=tps,
        type="gangguan_tps",
        first_on_scene_at=now,
        crowd_size=40,
    )
    placeless = f.IncidentFactory(
        reporter=personas["komando"], kelurahan=None, lat=-5.11, lon=105.3, verify_due_at=None
    )
    drill = f.IncidentFactory(reporter=personas["lapangan"], kelurahan=kel, is_exercise=True)
    Incident.objects.filter(pk=placeless.pk).update(overdue_at=now)
    f.IncidentEventFactory(incident=incident, by=personas["lapangan"])
    f.IncidentEventFactory(incident=incident, by=None, kind="colour", to_value="kuning")
    f.DispatchFactory(incident=incident, officer=field, dispatched_by=personas["komando"])
    f.UseOfForceFactory(incident=incident, recorded_by=personas["komando"])
    f.GakkumduReferralFactory(incident=incident, referred_by=personas["komando"])
    f.IncidentPhotoFactory(incident=incident, uploaded_by=personas["lapangan"])
    returned = f.TpsReturnFactory(tps=tps, reporter=personas["lapangan"], note="dibuka 07.05")

    intel = f.IntelReportFactory(author=personas["intel"], kelurahan=kel, tps=tps)
    tip = f.TipFactory(kelurahan=None, place="Pasar")
    scored_tip = f.EwScoreFactory(tip=f.TipFactory(kelurahan=kel))
    scored_intel = f.EwScoreFactory(
        tip=None, intel=intel, kelurahan=kel, source=f"intel:{intel.author_id}"
    )
    scored_incident = f.EwScoreFactory(
        tip=None, incident=incident, kelurahan=kel, source="incident:1"
    )
    alert = f.AlertFactory(kelurahan=kel, reasons=["massa berkumpul"])
    alert.scores.add(scored_tip, scored_intel, scored_incident)
    citywide = f.AlertFactory(kind="surge", kelurahan=None, level="kuning")
    Alert.objects.filter(pk=citywide.pk).update(
        status="acknowledged", acknowledged_at=now, acknowledged_by=personas["komando"]
    )
    config = f.EwConfigFactory()
    correction = f.EwCorrectionFactory(score=scored_tip, by=personas["intel"])
    training = f.EwTrainingRunFactory(requested_by=None)
    f.EwBacktestFactory(config=config)
    f.AuditEventFactory(actor=personas["komando"], actor_username="komando")
    audit = f.AuditEventFactory(actor=None, object_repr="sistem")
    assert TpsReturn.objects.exists()

    return {
        "/api/v1/alerts/": [alert.pk, citywide.pk],
        "/api/v1/assignments/": [assignment.pk],
        "/api/v1/audit/": [audit.pk],
        "/api/v1/bko/contingents/": [contingent.pk],
        "/api/v1/bko/requests/": [request.pk],
        "/api/v1/ew-config/": [config.pk],
        "/api/v1/ew/corrections/": [correction.pk],
        "/api/v1/ew/trainings/": [training.pk],
        "/api/v1/ew/versions/": [config.version],
        "/api/v1/incidents/": [incident.pk, placeless.pk, drill.pk],
        "/api/v1/intel/": [intel.pk],
        "/api/v1/kecamatan/": [kec.pk],
        "/api/v1/kelurahan/": [kel.pk],
        "/api/v1/officers/": [field.pk, plain.pk, bko.pk],
        "/api/v1/phases/": list(ElectionPhase.objects.values_list("pk", flat=True)[:2]),
        "/api/v1/plans/": [plan.pk],
        "/api/v1/posts/": [post.pk, bare_post.pk],
        "/api/v1/tips/": [tip.pk],
        "/api/v1/tps/": [tps.pk, decided.pk, khusus.pk],
        "/api/v1/tps-returns/": [returned.pk],
        "/api/v1/units/": [polres.pk, polsek.pk],
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
def rows(personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the seeded photo, and those the fuzzer uploads
    return fuzz_rows(personas)


def _collection(path: str) -> str:
    """/api/v1/tps/{id}/indicators/ -> /api/v1/tps/: where the ids of a path come from."""
    return path.split("{", 1)[0]


@pytest.fixture
def api_schema(personas, role, wsgi_app, rows):
    admin_token, _ = Token.objects.get_or_create(user=personas["admin"])
    loaded = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json",
        wsgi_app,
        headers={"Authorization": f"Token {admin_token.key}"},
    )
    phases = ["examples", "fuzzing"] + (["coverage"] if COVERAGE else [])
    loaded.config.phases.update(phases=phases)
    loaded.config.generation.update(max_examples=EXAMPLES)

    @loaded.hook
    def flatmap_path_parameters(ctx, path_parameters):
        # Random ids are all 404s: half the generated cases name a seeded row instead.
        ids = rows.get(_collection(ctx.operation.path), [])
        if not ids or not path_parameters:
            return st.just(path_parameters)
        (name,) = path_parameters  # one parameter in every path here
        return st.one_of(
            st.just(path_parameters),
            st.sampled_from(ids).map(lambda pk: {**path_parameters, name: pk}),
        )

    return loaded


def test_every_operation_answers_within_its_schema(api_schema, role, personas, rows):
    # schemathesis's own pytest plugin (schema.parametrize) does not run on pytest 9 yet; this
    # drives the same per-operation Hypothesis tests it builds, and reports every failure.
    load_all_checks()
    # The WSGI transport hands back the body as sent and does not undo gzip (GZipMiddleware
    # compresses for any client that accepts it): ask for it plain, the answer is what is checked.
    headers = {"Accept-Encoding": "identity"}
    if role is not None:
        token, _ = Token.objects.get_or_create(user=personas[role])
        headers["Authorization"] = f"Token {token.key}"
    hsettings = settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    failures, started, count = [], time.monotonic(), 0

    def check(case):
        # Each case in a savepoint: a request that breaks the transaction (a database error, a
        # 500 the checks report) does not turn every later case into a 500 as well.
        with transaction.atomic():
            case.call_and_validate(headers=headers, checks=CHECKS)

    for result in api_schema.get_all_operations():
        operation = result.ok()
        if not ONLY.search(operation.label):
            continue
        count += 1
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
            # Every seeded row of the path, whatever the generated cases drew.
            names = [p.name for p in operation.path_parameters]
            for pk in rows.get(_collection(operation.path), []) if names else []:
                check(operation.Case(path_parameters={names[0]: pk}))
        except BaseException as exc:  # noqa: B036  (schemathesis raises a BaseExceptionGroup)
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {exc}")
    elapsed = time.monotonic() - started
    assert count, f"no operation matches FUZZ_ONLY={ONLY.pattern!r}"
    assert not failures, f"{len(failures)} of {count} operations fail ({elapsed:.0f} s):\n\n" + (
        "\n\n".join(failures)
    )
