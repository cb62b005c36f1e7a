"""A field officer reads his own incident's timeline without force justifications, Gakkumdu
referrals or other officers' identities; the command post reads it all."""

import json
import uuid

import pytest
from django.utils import timezone

from operations.models import Kelurahan, Tps
from operations.reference import reference_load
from personnel.models import Officer, Unit, UnitKind

JUSTIFICATION = "massa melempar batu ke arah petugas, tembakan gas air mata"
HANDED_OVER = "amplop berisi uang Rp50.000 (12 buah), keterangan 2 saksi"


@pytest.fixture
def worked(api_for, personas):
    """The field officer's own report, then komando dispatches two officers (him and another),
    records a use of force and refers the case to Gakkumdu."""
    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    tps = Tps.objects.create(kelurahan=kel, number=5, lat=-5.1135, lon=105.3065, dpt=280)
    unit = Unit.objects.create(code="polsek-metro", name="Polsek Metro", kind=UnitKind.POLSEK)
    me = Officer.objects.create(
        nrp="95020001", name="Rudi Hartono", rank=7, unit=unit, user=personas["lapangan"]
    )
    other = Officer.objects.create(nrp="88110042", name="Bambang Sutejo", rank=8, unit=unit)
    body = {
        "type": "politik_uang",
        "occurred_at": timezone.now().isoformat(),
        "description": "Pembagian amplop di depan TPS.",
        "colour": "kuning",
        "tps": tps.pk,
    }
    pk = (
        api_for("lapangan")
        .post("/api/v1/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
        .json()["id"]
    )
    komando = api_for("komando")
    base = f"/api/v1/incidents/{pk}"
    verified = komando.post(f"{base}/transition/", {"action": "verify"}, format="json")
    assert verified.status_code == 200
    sent = komando.post(f"{base}/dispatch/", {"officers": [me.pk, other.pk]}, format="json")
    assert sent.status_code == 201, sent.content
    theirs = next(d["id"] for d in sent.json() if d["officer"] == other.pk)
    step = {"dispatch": theirs, "step": "en_route"}
    assert komando.post(f"{base}/mark/", step, format="json").status_code == 200
    force = komando.post(
        f"{base}/force/",
        {"used_at": timezone.now().isoformat(), "stage": 2, "justification": JUSTIFICATION},
        format="json",
    )
    assert force.status_code == 201, force.content
    referred = komando.post(
        f"{base}/gakkumdu/",
        {"category": "pidana", "article": "UU 7/2017 ps. 523", "handed_over": HANDED_OVER},
        format="json",
    )
    assert referred.status_code == 201
    return pk, me, other


def test_a_field_officer_reads_his_timeline_without_force_referrals_or_other_officers(
    api_for, worked
):
    """Attack: the field officer GETs /api/v1/incidents/{his own}/. Before the fix the
    timeline carried the use-of-force justification, the Gakkumdu referral with what was
    handed over, and the NRP and name of every officer dispatched."""
    pk, me, other = worked
    detail = api_for("lapangan").get(f"/api/v1/incidents/{pk}/")
    assert detail.status_code == 200
    data = detail.json()
    text = json.dumps(data)
    kinds = [e["kind"] for e in data["timeline"]]
    assert "force" not in kinds and "gakkumdu" not in kinds
    assert JUSTIFICATION not in text and HANDED_OVER not in text
    assert data["referrals"] == []
    assert other.nrp not in text and other.name not in text
    assert "komando" not in [e["by"] for e in data["timeline"]]
    # His own part stays: he was dispatched, and the dispatch shows him.
    assert me.nrp in text
    mine = [d for d in data["dispatches"] if d["officer"] == me.pk]
    assert len(mine) == 1 and "Rudi" in mine[0]["officer_name"]
    assert len(data["dispatches"]) == 2  # the other one is there, without who


def test_komando_reads_the_whole_timeline(api_for, worked):
    pk, _me, other = worked
    data = api_for("komando").get(f"/api/v1/incidents/{pk}/").json()
    text = json.dumps(data)
    kinds = [e["kind"] for e in data["timeline"]]
    assert "force" in kinds and "gakkumdu" in kinds
    assert JUSTIFICATION in text and HANDED_OVER in text
    assert data["referrals"][0]["category"] == "pidana"
    assert other.nrp in text and other.name in text


def test_the_incident_page_shows_komando_the_whole_timeline(client_for, worked):
    pk, _me, other = worked
    page = client_for("komando").get(f"/kejadian/{pk}/").content.decode()
    assert JUSTIFICATION in page and other.nrp in page
