"""TPS returns: a field officer files only his own TPS, and only forward through polling day."""

import datetime as dt

import pytest
from django.utils import timezone

from core.models import AuditEvent
from operations.models import Assignment, Kelurahan, Post, Tps
from operations.reference import reference_load
from personnel.models import Officer, Unit, UnitKind

URL = "/api/v1/tps-returns/"


@pytest.fixture
def tps(db):
    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    mine = Tps.objects.create(kelurahan=kel, number=5, lat=-5.1135, lon=105.3065, dpt=280)
    other = Tps.objects.create(kelurahan=kel, number=6, lat=-5.1140, lon=105.3070, dpt=250)
    return mine, other


@pytest.fixture
def posted(personas, tps):
    """The field officer persona guards TPS 005 (not 006) now."""
    mine, _other = tps
    unit = Unit.objects.create(
        code="polsek-metro-pusat", name="Polsek Metro Pusat", kind=UnitKind.POLSEK
    )
    officer = Officer.objects.create(
        nrp="95020001", name="Rudi", rank=7, unit=unit, user=personas["lapangan"]
    )
    post = Post.objects.create(
        kind="tps", name="Klaster TPS 005", lat=-5.1135, lon=105.3065, required_strength=2
    )
    post.tps.add(mine)
    now = timezone.now()
    Assignment.objects.create(
        officer=officer,
        post=post,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=8),
        source="manual",
    )
    return tps


def test_a_field_officer_cannot_file_the_status_of_another_officers_tps(api_for, posted):
    """Attack: a field officer posts `{"tps": <a TPS he does not guard>, "status": "dikirim"}`
    to /api/v1/tps-returns/. Before the fix it was 201: the TPS showed "kotak suara dikirim"
    to the command post and the KPU liaison, and its overdue alert was silenced."""
    mine, other = posted
    api = api_for("lapangan")
    refused = api.post(URL, {"tps": other.pk, "status": "dikirim"}, format="json")
    assert refused.status_code == 403, refused.content
    assert "TPS 006" in refused.json()["detail"] and "penugasan" in refused.json()["detail"]
    other.refresh_from_db()
    assert other.status == "belum_dibuka" and not other.returns.exists()
    assert api.post(URL, {"tps": mine.pk, "status": "dibuka"}, format="json").status_code == 201


def test_a_cancelled_or_past_assignment_does_not_count(api_for, posted):
    mine, _other = posted
    assignment = Assignment.objects.get()
    assignment.status = Assignment.Status.CANCELLED
    assignment.save(update_fields=["status"])
    api = api_for("lapangan")
    assert api.post(URL, {"tps": mine.pk, "status": "dibuka"}, format="json").status_code == 403
    now = timezone.now()
    Assignment.objects.filter(pk=assignment.pk).update(
        status=Assignment.Status.ACTIVE,
        starts_at=now - dt.timedelta(days=2),
        ends_at=now - dt.timedelta(days=1),
    )
    assert api.post(URL, {"tps": mine.pk, "status": "dibuka"}, format="json").status_code == 403


def test_a_field_officer_cannot_move_a_tps_backwards(api_for, posted):
    """Attack: "dikirim", then "dibuka" for the same TPS. Before the fix both were 201 and the
    TPS went back to "dibuka": the liaison saw the ballot box reopened after it had left."""
    mine, _other = posted
    api = api_for("lapangan")
    assert api.post(URL, {"tps": mine.pk, "status": "dikirim"}, format="json").status_code == 201
    back = api.post(URL, {"tps": mine.pk, "status": "dibuka"}, format="json")
    assert back.status_code == 400, back.content
    assert "status" in back.json()
    message = str(back.json()["status"])
    assert "dikirim" in message.lower() and "mundur" in message.lower()
    mine.refresh_from_db()
    assert mine.status == "dikirim" and mine.returns.count() == 1
    # Even a reason does not let a field officer correct backwards: that is the command post's.
    again = api.post(
        URL, {"tps": mine.pk, "status": "dibuka", "reason": "salah tekan"}, format="json"
    )
    assert again.status_code == 400


def test_the_same_status_again_and_skipping_ahead_are_accepted(api_for, posted):
    mine, _other = posted
    api = api_for("lapangan")
    assert api.post(URL, {"tps": mine.pk, "status": "dibuka"}, format="json").status_code == 201
    assert api.post(URL, {"tps": mine.pk, "status": "dibuka"}, format="json").status_code == 201
    assert api.post(URL, {"tps": mine.pk, "status": "selesai"}, format="json").status_code == 201


def test_komando_files_any_tps_and_corrects_backwards_only_with_a_reason(api_for, tps):
    """The command post may file any TPS; moving one backwards is a correction that needs a
    reason, kept in the audit trail."""
    mine, other = tps
    api = api_for("komando")
    assert api.post(URL, {"tps": other.pk, "status": "dikirim"}, format="json").status_code == 201
    bare = api.post(URL, {"tps": other.pk, "status": "dibuka"}, format="json")
    assert bare.status_code == 400, bare.content
    assert "reason" in bare.json()
    fixed = api.post(
        URL,
        {
            "tps": other.pk,
            "status": "dibuka",
            "reason": "laporan dikirim keliru, kotak masih di TPS",
        },
        format="json",
    )
    assert fixed.status_code == 201, fixed.content
    other.refresh_from_db()
    assert other.status == "dibuka"
    event = AuditEvent.objects.filter(action="tps.return").order_by("-id").first()
    assert event.changes["status"] == ["dikirim", "dibuka"]
    assert "keliru" in event.changes["reason"]
