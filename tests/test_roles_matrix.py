"""Every URL of the app answers each role as docs/roles.md says.

URLs are discovered from the URL conf, so a new page or endpoint without a row in the matrix
fails here until someone decides who may open it.
"""

import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from core.services import audit_record
from incidents.models import (
    Alert,
    Dispatch,
    EwConfig,
    EwCorrection,
    EwScore,
    EwTrainingRun,
    Incident,
    IncidentPhoto,
    IntelReport,
    Tip,
    TpsReturn,
)
from logistics.models import CustodyEvent, CustodyPhoto, Leg, Site
from operations.models import (
    Assignment,
    DeploymentPattern,
    DeploymentPlan,
    ElectionPhase,
    ExerciseRun,
    Kecamatan,
    Kelurahan,
    Post,
    Scenario,
    Tps,
)
from operations.reference import reference_load
from personnel.models import BkoContingent, BkoRequest, Officer, Unit, UnitKind
from tests.stack import ROOT
from tests.urlmap import discover

COLUMNS = ["anonymous", "komando", "intel", "lapangan", "penghubung_kpu", "admin"]


def matrix() -> dict[str, dict[str, str]]:
    rows = {}
    for line in (ROOT / "docs" / "roles.md").read_text().splitlines():
        m = re.match(r"^\| `(/[^`]*)` \|(.*)\|\s*$", line)
        if m:
            cells = [c.strip() for c in m.group(2).split("|")]
            assert len(cells) == len(COLUMNS), f"row {m.group(1)} has {len(cells)} cells"
            rows[m.group(1)] = dict(zip(COLUMNS, cells, strict=True))
    return rows


MATRIX = matrix()


def test_every_url_of_the_app_has_a_row_in_the_matrix_and_every_row_a_url():
    routes = {route for route, _name in discover()}
    assert routes - set(MATRIX) == set(), "URLs missing from docs/roles.md"
    assert set(MATRIX) - routes == set(), "rows in docs/roles.md with no URL"


@pytest.fixture
def samples(personas, settings, tmp_path):
    """Values for the placeholders of detail routes: one real object of each kind."""
    settings.MEDIA_ROOT = tmp_path
    reference_load()
    event = audit_record(actor=personas["admin"], action="test.sample")
    kel = Kelurahan.objects.get(name="Metro")
    unit = Unit.objects.create(code="sat-samapta", name="Sat Samapta", kind=UnitKind.SAT)
    home = Unit.objects.create(code="brimob", name="Sat Brimob", kind=UnitKind.EXTERNAL)
    officer = Officer.objects.create(nrp="90010001", name="Budi", rank=8, unit=unit)
    now = timezone.now()
    request = BkoRequest.objects.create(
        kind="Brimob",
        count=10,
        location="KPU",
        reason="x",
        needed_from=now,
        needed_until=now + dt.timedelta(days=1),
        requested_by=personas["komando"],
    )
    contingent = BkoContingent.objects.create(code="c1", name="C1", home_unit=home, strength=10)
    tps = Tps.objects.create(kelurahan=kel, number=1, lat=-5.113, lon=105.306, dpt=250)
    post = Post.objects.create(kind="kpu", name="KPU", lat=-5.116, lon=105.305, required_strength=4)
    assignment = Assignment.objects.create(
        officer=officer,
        post=post,
        starts_at=now,
        ends_at=now + dt.timedelta(hours=8),
        source="manual",
    )
    plan = DeploymentPlan.objects.create(
        pattern=DeploymentPattern.objects.get(is_default=True),
        reserve_share=0.1,
        starts_at=now,
        ends_at=now + dt.timedelta(days=1),
    )
    incident = Incident.objects.create(
        type="unjuk_rasa",
        occurred_at=now,
        description="massa di depan KPU",
        reporter=personas["komando"],
        kelurahan=kel,
    )
    photo = IncidentPhoto(
        incident=incident,
        sha256="0" * 64,
        content_type="image/png",
        size=8,
        uploaded_by=incident.reporter,
    )
    photo.display.save("sample-clean.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=False)
    photo.original.save("sample.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=False)
    photo.save()
    tps_return = TpsReturn.objects.create(tps=tps, status="dibuka", reporter=personas["komando"])
    intel = IntelReport.objects.create(
        subject="rencana aksi",
        field="politik",
        source="informan X",
        obtained_at=now,
        source_reliability="B",
        info_credibility=2,
        what="massa akan ke KPU",
        author=personas["intel"],
    )
    tip = Tip.objects.create(text="ada pembagian amplop di RT 03")
    alert = Alert.objects.create(kind="report", level="merah", title="Ancaman di Metro")
    rules = EwConfig.objects.create(version="ew-test", config={}, is_active=False)
    tip_score = EwScore.objects.create(tip=tip, engine_version="ew-x", score=60, level="merah")
    correction = EwCorrection.objects.create(
        score=tip_score, level="kuning", reason="uji", by=personas["intel"]
    )
    training = EwTrainingRun.objects.create(version="ew-run", requested_by=personas["intel"])
    scenario = Scenario.objects.create(
        name="uji", title="Uji", definition={"injects": []}, source="form"
    )
    run = ExerciseRun.objects.create(
        scenario=scenario,
        scenario_version=1,
        definition={"title": "Uji", "injects": []},
        speed=10,
        status="finished",
        started_at=now,
        ends_at=now,
        stopped_at=now,
    )
    dispatch = Dispatch.objects.create(
        incident=incident, officer=officer, dispatched_by=personas["komando"]
    )
    leg = Leg.objects.create(
        code="uji-1",
        stage="pps_tps",
        origin=Site.objects.create(code="pps-uji", kind="pps", name="PPS Uji", lat=-5.1, lon=105.3),
        destination=Site.objects.create(
            code="tps-uji", kind="tps", name="TPS", lat=-5.1, lon=105.3
        ),
        planned_departure=now,
        planned_arrival=now,
    )
    step = CustodyEvent.objects.create(leg=leg, kind="berangkat", recorded_by=personas["komando"])
    custody_photo = CustodyPhoto(
        event=step, sha256="1" * 64, content_type="image/png", size=8, uploaded_by=step.recorded_by
    )
    custody_photo.display.save("c-clean.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=False)
    custody_photo.original.save("c.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=False)
    custody_photo.save()
    incident_routes = [
        r for r in MATRIX if r.startswith(("/api/v1/incidents/{pk}", "/kejadian/{pk}"))
    ]
    return {
        **dict.fromkeys(incident_routes, incident.pk),
        "/kejadian/foto/{pk}/": photo.pk,
        "/kejadian/foto/{pk}/asli/": photo.pk,
        "/api/v1/tps-returns/{pk}/": tps_return.pk,
        "/api/v1/dispatches/{pk}/progress/": dispatch.pk,
        **{
            r: leg.pk
            for r in MATRIX
            if r.startswith(("/api/v1/logistics/legs/{pk}", "/logistik/{pk}"))
        },
        "/logistik/foto/{pk}/": custody_photo.pk,
        "/api/v1/logistics/steps/{pk}/photos/": custody_photo.event_id,
        "/api/v1/intel/{pk}/": intel.pk,
        "/intel/laporan/{pk}/": intel.pk,
        "/api/v1/tips/{pk}/": tip.pk,
        "/api/v1/ew-config/{pk}/": rules.pk,
        "/api/v1/ew/corrections/{pk}/": correction.pk,
        "/api/v1/ew/trainings/{pk}/": training.pk,
        **{r: rules.version for r in MATRIX if "{version}" in r},
        **{r: alert.pk for r in MATRIX if r.startswith("/api/v1/alerts/{pk}")},
        "/api/v1/units/{pk}/": unit.pk,
        "/api/v1/officers/{pk}/": officer.pk,
        "/personel/{pk}/": officer.pk,
        # No tile file in the tests: the allowed roles get a 404 for a tile (test_mapdata.py
        # serves one from a file it makes).
        "/peta/ubin/{z}/{x}/{y}.png": 0,
        "/api/v1/officers/{pk}/history/": officer.pk,
        "/api/v1/officers/{pk}/status/": officer.pk,
        "/api/v1/bko/requests/{pk}/": request.pk,
        "/api/v1/bko/requests/{pk}/decide/": request.pk,
        "/api/v1/bko/contingents/{pk}/": contingent.pk,
        "/api/v1/bko/contingents/{pk}/check-in/": contingent.pk,
        "/api/v1/bko/contingents/{pk}/release/": contingent.pk,
        "/api/v1/tps/{pk}/": tps.pk,
        "/api/v1/tps/{pk}/indicators/": tps.pk,
        "/api/v1/tps/{pk}/override/": tps.pk,
        "/api/v1/posts/{pk}/": post.pk,
        "/api/v1/assignments/{pk}/": assignment.pk,
        "/api/v1/assignments/{pk}/cancel/": assignment.pk,
        "/api/v1/plans/{pk}/": plan.pk,
        "/api/v1/plans/{pk}/accept/": plan.pk,
        "/operasi/tps/{pk}/": tps.pk,
        "/operasi/perencanaan/{pk}/": plan.pk,
        "/operasi/perencanaan/{pk}/terapkan/": plan.pk,
        "/api/v1/audit/{pk}/": event.pk,
        "/operasi/latihan/skenario/{name}/": scenario.name,
        "/operasi/latihan/skenario/{name}/mulai/": scenario.name,
        "/operasi/latihan/{pk}/": run.pk,
        "/operasi/latihan/{pk}/laporan.json": run.pk,
        "/operasi/latihan/{pk}/hentikan/": run.pk,
        **{
            r: personas["lapangan"].pk for r in MATRIX if r.startswith("/pengelolaan/pengguna/{pk}")
        },
        "/akun/sesi/{pk}/akhiri/": 1,
        "/api/v1/kecamatan/{pk}/": Kecamatan.objects.first().pk,
        "/api/v1/kelurahan/{pk}/": Kelurahan.objects.first().pk,
        "/api/v1/phases/{pk}/": ElectionPhase.objects.first().pk,
    }


def test_each_role_gets_what_the_matrix_says(samples, client_for):
    """Every route, every column, each answer with the security headers; all mismatches are
    listed together."""
    clients = {c: client_for(None if c == "anonymous" else c) for c in COLUMNS}
    wrong = []
    for route in sorted(MATRIX):
        path = route
        if "{" in route:
            assert route in samples, f"add a sample object for {route} in this test"
            path = re.sub(r"\{\w+\}", str(samples[route]), route)
        for column, expected in MATRIX[route].items():
            response = clients[column].get(path)
            if expected == "login":
                ok = response.status_code == 302 and response["Location"].startswith(
                    "/accounts/login/"
                )
            else:
                ok = response.status_code == int(expected)
            if not ok:
                wrong.append(f"GET {path} as {column}: {response.status_code}, expected {expected}")
            missing = _security_headers_missing(response)
            if missing:
                wrong.append(f"GET {path} as {column}: no {', '.join(missing)}")
    assert wrong == []


# Every answer, page or API, allowed or refused (issue #15): no third-party origin, no framing,
# no MIME sniffing, no referrer to other sites.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'", "frame-ancestors 'none'", "object-src"),
    "X-Content-Type-Options": ("nosniff",),
    "X-Frame-Options": ("DENY",),
    "Referrer-Policy": ("same-origin",),
    "Cross-Origin-Opener-Policy": ("same-origin",),
}


def _security_headers_missing(response) -> list[str]:
    return [
        name
        for name, parts in SECURITY_HEADERS.items()
        if not all(part in response.headers.get(name, "") for part in parts)
    ]


def test_a_user_without_a_role_is_refused_everywhere_but_the_open_pages(db, client):
    from tests.conftest import make_user

    client.force_login(make_user("norole", None))
    assert client.get("/").status_code == 403
    assert client.get("/komando/").status_code == 403
    assert client.get("/api/v1/summary/").status_code == 403
    assert client.get("/healthz").status_code == 200
