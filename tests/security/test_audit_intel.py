"""Audit entries about intelligence are readable only by those who may read the intelligence."""

import json

import pytest
from django.utils import timezone

from core.services import audit_record
from incidents.models import Alert, EwConfig, EwScore, IntelReport, Tip

SECRET = "informan R di posko paslon 02"


@pytest.fixture
def entries(personas):
    """Audit entries about an intel report, a tip, a score correction, a backtest and an
    alert, each carrying intelligence text; and one about nothing secret."""
    intel = IntelReport.objects.create(
        subject=f"rencana aksi, sumber {SECRET}",
        field="politik",
        source=SECRET,
        obtained_at=timezone.now(),
        source_reliability="B",
        info_credibility=2,
        what="massa akan ke KPU",
        author=personas["intel"],
    )
    tip = Tip.objects.create(text="ada pembagian amplop di RT 03")
    score = EwScore.objects.create(tip=tip, engine_version="ew-x", score=60, level="merah")
    config = EwConfig.objects.create(version="ew-test", config={}, is_active=False)
    alert = Alert.objects.create(kind="report", level="merah", title="Ancaman di Metro")
    by = personas["intel"]
    audit_record(actor=by, action="intel.create", obj=intel, changes={"subject": [None, SECRET]})
    audit_record(actor=None, action="tip.create", obj=tip, note=SECRET)
    audit_record(actor=by, action="ew.correction", obj=score, note=f"bukan ancaman: {SECRET}")
    audit_record(actor=by, action="ew.backtest", obj=config, changes={"changed": [None, 3]})
    audit_record(actor=by, action="alert.close", obj=alert, note=f"ditangani; {SECRET}")
    audit_record(actor=personas["admin"], action="officer.create", note="personel baru")


def test_the_administrator_does_not_read_intelligence_through_the_audit_trail(
    api_for, client_for, entries
):
    """Attack: the administrator (who may never read intelligence) opens /audit/ or
    GET /api/v1/audit/. Before the fix every entry was listed, with the intel report's
    subject, the correction's reason and the alert's outcome."""
    api = api_for("admin")
    listed = api.get("/api/v1/audit/?page_size=100")
    assert listed.status_code == 200
    rows = listed.json()["results"]
    # (the personas' role grants are audited too: auth.roles)
    assert [r["action"] for r in rows if r["action"] != "auth.roles"] == ["officer.create"]
    assert SECRET not in json.dumps(rows)
    from core.models import AuditEvent

    hidden = AuditEvent.objects.get(action="intel.create")
    assert api.get(f"/api/v1/audit/{hidden.pk}/").status_code == 404
    page = client_for("admin").get("/audit/").content.decode()
    assert SECRET not in page and "intel.create" not in page
    landing = client_for("admin").get("/pengelolaan/").content.decode()
    assert SECRET not in landing and "ew.correction" not in landing


def test_komando_who_reads_intelligence_still_reads_those_entries(api_for, client_for, entries):
    rows = api_for("komando").get("/api/v1/audit/?page_size=100").json()["results"]
    actions = {r["action"] for r in rows}
    assert {"intel.create", "tip.create", "ew.correction", "ew.backtest", "alert.close"} <= actions
    assert SECRET in json.dumps(rows)
    assert SECRET in client_for("komando").get("/audit/").content.decode()
