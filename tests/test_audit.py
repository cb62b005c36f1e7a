"""One audit mechanism: who, when, what object, before and after; never changed or deleted."""

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from core.models import AppendOnlyError, AuditEvent
from core.services import audit_diff, audit_record, audit_snapshot
from operations.models import Kecamatan
from operations.reference import reference_load


def test_a_record_names_who_what_and_the_change(personas):
    reference_load()
    kec = Kecamatan.objects.get(name="Metro Pusat")
    before = audit_snapshot(kec, ["name", "lat"])
    kec.lat = -5.1
    after = audit_snapshot(kec, ["name", "lat"])
    event = audit_record(
        actor=personas["admin"],
        action="kecamatan.update",
        obj=kec,
        changes=audit_diff(before, after),
    )
    event.refresh_from_db()
    assert event.actor_username == "admin"
    assert event.object_repr == "Metro Pusat"
    assert event.content_type.model == "kecamatan"
    assert event.changes == {"lat": [-5.112, -5.1]}
    assert event.at is not None


def test_the_app_cannot_change_or_delete_an_event(personas):
    event = audit_record(actor=personas["admin"], action="x")
    event.action = "y"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="y")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_the_database_refuses_a_raw_update_or_delete(personas):
    event = audit_record(actor=personas["admin"], action="x")
    for sql in (
        "UPDATE core_auditevent SET action='y' WHERE id=%s",
        "DELETE FROM core_auditevent WHERE id=%s",
    ):
        with (
            pytest.raises((IntegrityError, InternalError)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "x"


def test_an_admin_edit_of_reference_data_is_audited(client_for):
    reference_load()
    kec = Kecamatan.objects.get(name="Metro Barat")
    client = client_for("admin")
    response = client.post(
        f"/admin/operations/kecamatan/{kec.pk}/change/",
        {"name": "Metro Barat", "code": kec.code, "lat": "-5.118", "lon": str(kec.lon)},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    event = AuditEvent.objects.get(action="admin.change")
    assert event.actor_username == "admin"
    assert event.changes == {"lat": [kec.lat, -5.118]}


def test_the_audit_trail_cannot_be_edited_in_the_admin(client_for):
    event = audit_record(actor=None, action="x")
    client = client_for("admin")
    assert client.get(f"/admin/core/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/core/auditevent/add/").status_code == 403


def test_the_audit_api_lists_events_with_filters(api_for, personas):
    audit_record(actor=personas["komando"], action="incident.verify")
    audit_record(actor=personas["admin"], action="admin.change")
    response = api_for("komando").get("/api/v1/audit/", {"action": "incident.verify"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["actor_username"] == "komando"
    assert api_for("komando").post("/api/v1/audit/", {}).status_code in (403, 405)


def test_the_audit_page_shows_the_changes(client_for, personas):
    audit_record(actor=personas["admin"], action="kecamatan.update", changes={"lat": [1, 2]})
    page = client_for("komando").get("/audit/").content.decode()
    assert "kecamatan.update" in page
    assert "lat" in page
