"""The audit trail records photo additions, dispatch marks (server and phone time), API token
issuance, failed and locked logins and role changes."""

import datetime as dt
import io
import uuid

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from core.models import AuditEvent
from operations.models import Kelurahan, Tps
from operations.reference import reference_load
from personnel.models import Officer, Unit, UnitKind
from tests.conftest import PASSWORD


@pytest.fixture
def incident_pk(api_for, personas):
    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    tps = Tps.objects.create(kelurahan=kel, number=5, lat=-5.1135, lon=105.3065, dpt=280)
    body = {
        "type": "unjuk_rasa",
        "occurred_at": timezone.now().isoformat(),
        "description": "Massa sekitar 200 orang berkumpul di depan TPS.",
        "colour": "kuning",
        "tps": tps.pk,
    }
    created = api_for("lapangan").post(
        "/api/v1/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    assert created.status_code == 201
    return created.json()["id"]


def test_a_photo_addition_is_audited(api_for, personas, incident_pk, settings, tmp_path):
    """Before: a photo left a timeline event but no audit entry."""
    settings.MEDIA_ROOT = tmp_path
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 200, 10)).save(out, format="PNG")
    added = api_for("lapangan").post(
        f"/api/v1/incidents/{incident_pk}/photos/",
        {"photo": SimpleUploadedFile("a.png", out.getvalue(), "image/png")},
        format="multipart",
    )
    assert added.status_code == 201
    entry = AuditEvent.objects.get(action="incident.photo")
    assert entry.actor == personas["lapangan"] and entry.object_id == str(incident_pk)
    assert entry.changes["sha256"] == [None, added.json()["sha256"]]
    assert entry.changes["photo"] == [None, added.json()["id"]]


def test_a_dispatch_mark_is_audited_with_the_server_time_and_the_phones_time(
    api_for, personas, incident_pk
):
    """Before: en route / on scene / cleared (with a time the phone claims) left no audit
    entry, so a response time could not be checked against when it was reported."""
    unit = Unit.objects.create(code="polsek-metro", name="Polsek Metro", kind=UnitKind.POLSEK)
    officer = Officer.objects.create(nrp="88110042", name="Bambang", rank=8, unit=unit)
    komando = api_for("komando")
    base = f"/api/v1/incidents/{incident_pk}"
    komando.post(f"{base}/transition/", {"action": "verify"}, format="json")
    sent = komando.post(f"{base}/dispatch/", {"officers": [officer.pk]}, format="json")
    dispatch = sent.json()[0]["id"]
    claimed = timezone.now() + dt.timedelta(seconds=30)
    marked = komando.post(
        f"{base}/mark/",
        {"dispatch": dispatch, "step": "on_scene", "at": claimed.isoformat()},
        format="json",
    )
    assert marked.status_code == 200, marked.content
    entry = AuditEvent.objects.get(action="incident.mark")
    assert entry.actor == personas["komando"] and entry.object_id == str(incident_pk)
    assert entry.changes["step"] == [None, "on_scene"]
    assert entry.changes["dispatch"] == [None, dispatch]
    assert dt.datetime.fromisoformat(entry.changes["phone_at"][1]) == claimed
    server = dt.datetime.fromisoformat(entry.changes["server_at"][1])
    assert abs((server - timezone.now()).total_seconds()) < 30
    # Without a claimed time the phone's is empty and the step is at the server's.
    komando.post(f"{base}/mark/", {"dispatch": dispatch, "step": "cleared"}, format="json")
    cleared = AuditEvent.objects.filter(action="incident.mark").order_by("-id").first()
    assert cleared.changes["phone_at"] == [None, None]


def test_issuing_an_api_token_is_audited(client, personas):
    """Before: POST /api/v1/auth/token/ left no trace of who got a token, or when."""
    answer = client.post(
        "/api/v1/auth/token/",
        {"username": "komando", "password": PASSWORD},
        content_type="application/json",
    )
    assert answer.status_code == 200
    entry = AuditEvent.objects.get(action="auth.token")
    assert entry.actor == personas["komando"]
    assert answer.json()["token"] not in str(entry.changes) + entry.note


def test_failed_and_locked_logins_are_audited(client, personas, settings):
    """Attack: guessing komando's password. Before, the trail showed nothing of it."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "komando", "password": "salah-sekali"})
    failed = AuditEvent.objects.filter(action="auth.login_failed")
    assert failed.count() == settings.AXES_FAILURE_LIMIT
    assert failed.first().changes["username"] == [None, "komando"]
    assert "salah" not in str(failed.first().changes) + failed.first().note
    locked = AuditEvent.objects.get(action="auth.locked_out")
    assert locked.changes["username"] == [None, "komando"]
    assert locked.changes["ip_address"][1]
    # A failed token request is a failed login too.
    Client().post(
        "/api/v1/auth/token/",
        {"username": "intel", "password": "salah"},
        content_type="application/json",
    )
    assert AuditEvent.objects.filter(
        action="auth.login_failed", changes__username=[None, "intel"]
    ).exists()


def test_role_changes_are_audited_from_either_side(personas):
    """Before: giving an account the komando role (or taking it away) left no audit entry."""
    user = personas["lapangan"]
    komando = Group.objects.get(name="komando")
    user.groups.add(komando)
    added = AuditEvent.objects.filter(action="auth.roles", object_id=str(user.pk)).order_by("-id")[
        0
    ]
    assert added.changes["roles"] == [["lapangan"], ["komando", "lapangan"]]
    komando.user_set.remove(user)
    removed = AuditEvent.objects.filter(action="auth.roles", object_id=str(user.pk)).order_by(
        "-id"
    )[0]
    assert removed.changes["roles"] == [["komando", "lapangan"], ["lapangan"]]
    user.groups.clear()
    cleared = AuditEvent.objects.filter(action="auth.roles", object_id=str(user.pk)).order_by(
        "-id"
    )[0]
    assert cleared.changes["roles"] == [["lapangan"], []]
