"""Tugas saya, the field officer's duty loop over the API (issue #17, parts 3 and 4): his duty,
the steps of a dispatch, his status and a call for backup, his check-ins, and the TPS return
rule; every POST idempotent per user and key (docs/api.md)."""

import asyncio
import datetime as dt
import json
import uuid

import pytest
from django.utils import timezone

from core.models import AuditEvent, IdempotentRequest
from core.realtime import ALERTS_GROUP
from incidents.models import Alert, Dispatch, IncidentEvent
from operations.models import Assignment, CheckIn, Kelurahan, Tps
from operations.reference import reference_load
from personnel.models import OfficerStatusChange
from tests import factories
from tests.conftest import make_user
from tests.stack import run_async


def key() -> str:
    return str(uuid.uuid4())


def post(api, url, body, k=None):
    return api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=k or key())


@pytest.fixture
def world(personas):
    """The lapangan persona as an officer on duty at a TPS post, dispatched to an incident."""
    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    now = timezone.now()
    officer = factories.OfficerFactory(user=personas["lapangan"], name="Budi Santoso", rank=10)
    post_ = factories.PostFactory(
        kind="tps",
        name="Pos TPS Metro 1",
        kelurahan=kel,
        lat=-5.1135,
        lon=105.3065,
        commander="Ipda Sutrisno (0812 7000 111)",
        radio_channel="HT 3",
    )
    tps = [factories.TpsFactory(kelurahan=kel, number=n) for n in (5, 6)]
    post_.tps.add(*tps)
    current = factories.AssignmentFactory(
        officer=officer,
        post=post_,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=7),
    )
    upcoming = factories.AssignmentFactory(
        officer=officer,
        post=factories.PostFactory(name="Gudang logistik"),
        starts_at=now + dt.timedelta(hours=8),
        ends_at=now + dt.timedelta(hours=16),
    )
    factories.AssignmentFactory(  # over: not on his phone any more
        officer=officer,
        starts_at=now - dt.timedelta(hours=10),
        ends_at=now - dt.timedelta(hours=2),
    )
    factories.AssignmentFactory(  # cancelled
        officer=officer,
        starts_at=now + dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=1, hours=4),
        status=Assignment.Status.CANCELLED,
    )
    incident = factories.IncidentFactory(
        reporter=personas["komando"], kelurahan=kel, tps=tps[0], type="gangguan_tps"
    )
    dispatch = factories.DispatchFactory(
        incident=incident, officer=officer, dispatched_by=personas["komando"]
    )
    closed = factories.IncidentFactory(reporter=personas["komando"], status="selesai")
    factories.DispatchFactory(incident=closed, officer=officer)
    other_user = make_user("lapangan2", "lapangan")
    other = factories.OfficerFactory(user=other_user)
    other_dispatch = factories.DispatchFactory(incident=incident, officer=other)
    return {
        "officer": officer,
        "post": post_,
        "tps": tps,
        "current": current,
        "upcoming": upcoming,
        "incident": incident,
        "dispatch": dispatch,
        "other_user": other_user,
        "other": other,
        "other_dispatch": other_dispatch,
    }


def progress_url(dispatch) -> str:
    return f"/api/v1/dispatches/{dispatch.pk}/progress/"


def other_api(world):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    token, _ = Token.objects.get_or_create(user=world["other_user"])
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


# --- GET /api/v1/me/duty/ ---------------------------------------------------------------------


def test_the_duty_holds_his_own_assignments_to_come_and_his_open_dispatches(world, api_for):
    answer = api_for("lapangan").get("/api/v1/me/duty/")
    assert answer.status_code == 200
    body = answer.json()
    officer = world["officer"]
    assert body["officer"] == {
        "id": officer.pk,
        "nrp": officer.nrp,
        "name": "Budi Santoso",
        "rank": "Bripka",
        "unit": officer.unit.name,
        "status": "siaga",
        "status_label": "siaga",
    }
    assert [a["id"] for a in body["assignments"]] == [world["current"].pk, world["upcoming"].pk]
    first = body["assignments"][0]
    assert first["post"] == {
        "id": world["post"].pk,
        "name": "Pos TPS Metro 1",
        "kelurahan": "Metro",
        "lat": -5.1135,
        "lon": 105.3065,
    }
    assert first["tps"] == [
        {"id": world["tps"][0].pk, "code": "metro-005", "name": "TPS 005", "kelurahan": "Metro"},
        {"id": world["tps"][1].pk, "code": "metro-006", "name": "TPS 006", "kelurahan": "Metro"},
    ]
    assert first["commander"] == "Ipda Sutrisno (0812 7000 111)"
    assert first["radio_channel"] == "HT 3"
    assert body["assignments"][1]["commander"] is None
    assert body["assignments"][1]["tps"] == []
    (d,) = body["dispatches"]  # not the closed incident's, not the other officer's
    assert d["id"] == world["dispatch"].pk and d["state"] == "dikerahkan"
    assert d["en_route_at"] is None and d["completed_at"] is None
    assert d["incident"]["id"] == world["incident"].pk
    assert d["incident"]["type_label"] == "gangguan di TPS"
    assert d["incident"]["tps"] == "TPS 005 Metro" and d["incident"]["kelurahan"] == "Metro"
    assert d["incident"]["summary"].startswith("Massa sekitar 50 orang")
    assert abs(dt.datetime.fromisoformat(body["server_time"]) - timezone.now()).seconds < 5


def test_the_duty_is_the_field_officers_own_and_an_unlinked_account_gets_none(personas, api_for):
    assert api_for(None).get("/api/v1/me/duty/").status_code == 401
    for role in ("komando", "intel", "penghubung_kpu", "admin"):
        assert api_for(role).get("/api/v1/me/duty/").status_code == 403
    body = api_for("lapangan").get("/api/v1/me/duty/").json()
    assert body["officer"] is None and body["assignments"] == [] and body["dispatches"] == []


# --- POST /api/v1/dispatches/{id}/progress/ ---------------------------------------------------


def test_a_step_keeps_the_server_and_phone_times_on_the_timeline_and_in_the_audit(world, api_for):
    api = api_for("lapangan")
    phone = timezone.now() - dt.timedelta(minutes=3)  # tapped without signal, sent later
    answer = post(
        api, progress_url(world["dispatch"]), {"step": "berangkat", "phone_time": phone.isoformat()}
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["state"] == "berangkat" and answer.json()["en_route_at"] is not None
    dispatch = Dispatch.objects.get(pk=world["dispatch"].pk)
    assert abs((dispatch.en_route_at - timezone.now()).total_seconds()) < 5  # the server's
    assert dispatch.en_route_phone_at == phone
    answer = post(api, progress_url(dispatch), {"step": "tiba", "phone_time": None})
    assert answer.json()["state"] == "tiba"
    dispatch.refresh_from_db()
    world["incident"].refresh_from_db()
    assert world["incident"].first_on_scene_at == dispatch.on_scene_at
    events = IncidentEvent.objects.filter(incident=world["incident"]).order_by("id")
    assert [(e.kind, e.to_value) for e in events] == [
        ("en_route", world["officer"].nrp),
        ("on_scene", world["officer"].nrp),
    ]
    assert "jam ponsel" in events[0].note
    audit = AuditEvent.objects.filter(action="dispatch.progress").order_by("id")
    assert [a.changes["step"][1] for a in audit] == ["berangkat", "tiba"]
    assert audit[0].changes["phone_at"][1] == phone.isoformat()
    assert audit[0].changes["server_at"][1] is not None
    assert audit[0].changes["phone_time_suspect"][1] is False
    answer = post(api, progress_url(dispatch), {"step": "selesai"})
    assert answer.json()["state"] == "selesai" and answer.json()["completed_at"] is not None
    assert api.get("/api/v1/me/duty/").json()["dispatches"] == []  # done: off his list


def test_a_retry_with_the_same_key_answers_the_same_and_writes_once(world, api_for):
    api = api_for("lapangan")
    k = key()
    body = {"step": "berangkat", "phone_time": timezone.now().isoformat(), "dispatch_id": 1}
    first = post(api, progress_url(world["dispatch"]), body, k)
    second = post(api, progress_url(world["dispatch"]), body, k)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert IncidentEvent.objects.filter(kind="en_route").count() == 1
    assert AuditEvent.objects.filter(action="dispatch.progress").count() == 1
    assert IdempotentRequest.objects.filter(key=k).count() == 1
    # Keys are per user: another officer's same key is his own.
    assert post(other_api(world), progress_url(world["other_dispatch"]), body, k).status_code == 200


def test_the_same_key_with_another_body_is_a_422_and_a_long_or_missing_key_a_400(world, api_for):
    api = api_for("lapangan")
    k = key()
    url = progress_url(world["dispatch"])
    assert post(api, url, {"step": "berangkat"}, k).status_code == 200
    conflict = post(api, url, {"step": "tiba"}, k)
    assert conflict.status_code == 422 and conflict.json()["code"] == "idempotency_conflict"
    assert Dispatch.objects.get(pk=world["dispatch"].pk).on_scene_at is None
    # The same key on another endpoint is another body too.
    assert post(api, "/api/v1/me/status/", {"status": "bertugas"}, k).status_code == 422
    long = post(api, url, {"step": "tiba"}, "k" * 81)
    assert long.status_code == 400 and long.json()["code"] == "idempotency_key_too_long"
    missing = api.post(url, {"step": "tiba"}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_required"
    assert post(api, url, {"step": "tiba"}, "k" * 80).status_code == 200


def test_steps_go_only_forward_and_a_repeated_step_changes_nothing(world, api_for):
    api = api_for("lapangan")
    url = progress_url(world["dispatch"])
    assert post(api, url, {"step": "tiba"}).status_code == 200  # berangkat skipped: allowed
    again = post(api, url, {"step": "tiba"})
    assert again.status_code == 200 and again.json()["state"] == "tiba"
    assert IncidentEvent.objects.filter(kind="on_scene").count() == 1
    back = post(api, url, {"step": "berangkat"})
    assert back.status_code == 409
    assert back.json()["code"] == "step_backwards" and "mundur" in back.json()["detail"]
    assert Dispatch.objects.get(pk=world["dispatch"].pk).en_route_at is None
    assert post(api, url, {"step": "pulang"}).status_code == 400


def test_only_the_dispatched_officer_reports_his_steps(world, api_for, personas):
    url = progress_url(world["dispatch"])
    other = other_api(world)
    # He may not see it (not his report, not his dispatch): 404.
    assert post(other, url, {"step": "tiba"}).status_code == 404
    # He may see it (he reported the incident) but it is not his: 403, saying why.
    world["incident"].reporter = world["other_user"]
    world["incident"].save(update_fields=["reporter"])
    refused = post(other, url, {"step": "tiba"})
    assert refused.status_code == 403 and "personel lain" in refused.json()["detail"]
    for role in ("komando", "intel", "penghubung_kpu", "admin"):
        assert post(api_for(role), url, {"step": "tiba"}).status_code == 403
    assert (
        post(
            api_for("lapangan"), "/api/v1/dispatches/999999/progress/", {"step": "tiba"}
        ).status_code
        == 404
    )
    assert Dispatch.objects.get(pk=world["dispatch"].pk).on_scene_at is None


def test_a_phone_clock_far_off_is_kept_and_flagged_never_refused(world, api_for):
    api = api_for("lapangan")
    ahead = timezone.now() + dt.timedelta(hours=2)
    assert (
        post(
            api,
            progress_url(world["dispatch"]),
            {"step": "berangkat", "phone_time": ahead.isoformat()},
        ).status_code
        == 200
    )
    dispatch = Dispatch.objects.get(pk=world["dispatch"].pk)
    assert dispatch.en_route_phone_at == ahead
    audit = AuditEvent.objects.get(action="dispatch.progress")
    assert audit.changes["phone_time_suspect"][1] is True
    assert "menyimpang" in IncidentEvent.objects.get(kind="en_route").note
    # A phone reset to 1970 (outside the years handled): the tap counts, the time is null.
    assert (
        post(
            api, progress_url(dispatch), {"step": "tiba", "phone_time": "1970-01-01T00:00:05+07:00"}
        ).status_code
        == 200
    )
    dispatch.refresh_from_db()
    assert dispatch.on_scene_at is not None and dispatch.on_scene_phone_at is None
    bad = post(api, progress_url(dispatch), {"step": "selesai", "phone_time": "kemarin"})
    assert bad.status_code == 400 and "phone_time" in bad.json()


def test_a_reported_step_reaches_the_command_posts_channel_layer(
    world, api_for, django_capture_on_commit_callbacks
):
    import redis as redis_lib
    from channels.layers import get_channel_layer
    from django.conf import settings

    from core import realtime

    queue = realtime.push_queue_redis()
    queue.delete(realtime.PUSH_QUEUE)
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(api_for("lapangan"), progress_url(world["dispatch"]), {"step": "tiba"})
    assert answer.status_code == 200
    assert queue.llen(realtime.PUSH_QUEUE) >= 1  # queued after commit for the worker's drain

    async def listen():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(ALERTS_GROUP, channel)
        try:
            # The worker's drain (core.tasks.push_drain), here in another thread.
            await asyncio.to_thread(realtime.push_queue_drain)
            while True:
                message = await asyncio.wait_for(layer.receive(channel), 5)
                event = json.loads(message["text"])
                if event["type"] == "dispatch.progress":
                    return event
        finally:
            await layer.group_discard(ALERTS_GROUP, channel)

    event = run_async(listen())
    redis_lib.Redis.from_url(settings.CELERY_BROKER_URL).delete("celery")
    assert event["dispatch"]["id"] == world["dispatch"].pk
    assert event["dispatch"]["incident"] == world["incident"].pk
    assert event["dispatch"]["step"] == "tiba" and event["dispatch"]["state"] == "tiba"
    assert event["dispatch"]["officer"] == "Bripka Budi Santoso"
    assert world["officer"].nrp not in json.dumps(event)


# --- POST /api/v1/me/status/ ------------------------------------------------------------------


def test_he_sets_his_own_status_and_it_joins_his_history(world, api_for):
    api = api_for("lapangan")
    answer = post(api, "/api/v1/me/status/", {"status": "istirahat", "phone_time": None})
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "istirahat" and body["status_label"] == "istirahat"
    change = OfficerStatusChange.objects.get(officer=world["officer"])
    assert (change.from_status, change.to_status) == ("siaga", "istirahat")
    assert dt.datetime.fromisoformat(body["changed_at"]) == change.at
    assert "dilaporkan sendiri" in change.note
    k = key()
    assert post(api, "/api/v1/me/status/", {"status": "bertugas"}, k).status_code == 200
    assert post(api, "/api/v1/me/status/", {"status": "bertugas"}, k).status_code == 200
    assert OfficerStatusChange.objects.filter(officer=world["officer"]).count() == 2
    assert post(api, "/api/v1/me/status/", {"status": "bertugas"}, k + "x").status_code == 200
    assert OfficerStatusChange.objects.filter(officer=world["officer"]).count() == 2  # no-op
    assert post(api, "/api/v1/me/status/", {"status": "luka"}).status_code == 400
    assert post(api_for("komando"), "/api/v1/me/status/", {"status": "bertugas"}).status_code == 403


def test_needing_backup_raises_a_merah_alert_with_his_last_position_at_once(
    world, api_for, monkeypatch
):
    from incidents import alerts

    pushed = []
    monkeypatch.setattr(
        alerts, "realtime_publish_after_commit", lambda **kw: pushed.append(kw["event"])
    )
    api = api_for("lapangan")
    assert (
        post(
            api,
            "/api/v1/me/check-ins/",
            {"assignment": world["current"].pk, "lat": -5.1140, "lon": 105.3070, "accuracy": 9.5},
        ).status_code
        == 201
    )
    answer = post(api, "/api/v1/me/status/", {"status": "butuh_bantuan"})
    assert answer.status_code == 200 and answer.json()["status"] == "butuh_bantuan"
    alert = Alert.objects.get(kind="backup")
    assert alert.level == "merah" and alert.status == "open"
    assert alert.title == "Butuh bantuan: Bripka Budi Santoso"
    assert alert.kelurahan.name == "Metro"
    reasons = " ".join(alert.reasons)
    assert world["officer"].nrp in reasons and "-5.11400, 105.30700" in reasons
    assert "Pos TPS Metro 1" in reasons
    assert pushed[-1]["type"] == "alert.created" and pushed[-1]["alert"]["id"] == alert.pk
    # A second call refreshes the open alert: still one.
    assert post(api, "/api/v1/me/status/", {"status": "butuh_bantuan"}).status_code == 200
    assert Alert.objects.filter(kind="backup").count() == 1
    assert pushed[-1]["type"] == "alert.updated"
    assert AuditEvent.objects.filter(action="alert.backup").count() == 2


def test_needing_backup_without_a_position_names_his_post(world, api_for):
    assert (
        post(api_for("lapangan"), "/api/v1/me/status/", {"status": "butuh_bantuan"}).status_code
        == 200
    )
    alert = Alert.objects.get(kind="backup")
    assert "belum diketahui" in " ".join(alert.reasons) and alert.kelurahan.name == "Metro"


def test_an_account_without_an_officer_cannot_report(personas, api_for):
    refused = post(api_for("lapangan"), "/api/v1/me/status/", {"status": "bertugas"})
    assert refused.status_code == 403 and "belum terhubung" in refused.json()["detail"]


# --- POST /api/v1/me/check-ins/ ---------------------------------------------------------------


def test_a_check_in_at_his_post_says_how_far_he_is_and_is_made_once(world, api_for):
    api = api_for("lapangan")
    k = key()
    body = {
        "assignment": world["current"].pk,
        "lat": -5.1135,
        "lon": 105.3075,
        "accuracy": 15.0,
        "phone_time": timezone.now().isoformat(),
    }
    first = post(api, "/api/v1/me/check-ins/", body, k)
    assert first.status_code == 201, first.content
    answer = first.json()
    assert answer["assignment"] == world["current"].pk
    assert 100 < answer["distance_m"] < 120  # 0.001 degree of longitude here
    again = post(api, "/api/v1/me/check-ins/", body, k)
    assert again.status_code == 201 and again.json() == answer
    assert CheckIn.objects.count() == 1
    checkin = CheckIn.objects.get()
    assert (checkin.officer, checkin.accuracy, checkin.phone_time_suspect) == (
        world["officer"],
        15.0,
        False,
    )
    assert AuditEvent.objects.filter(action="checkin.create").count() == 1
    assert post(api, "/api/v1/me/check-ins/", {**body, "lat": -5.2}, k).status_code == 422
    no_fix = post(api, "/api/v1/me/check-ins/", {"assignment": world["upcoming"].pk})
    assert no_fix.status_code == 400  # 8 hours ahead: too early for the apel
    no_fix = post(
        api, "/api/v1/me/check-ins/", {"assignment": world["current"].pk, "lat": None, "lon": None}
    )
    assert no_fix.status_code == 201 and no_fix.json()["distance_m"] is None


def test_a_check_in_is_only_at_his_own_post_and_inside_the_city(world, api_for):
    api = api_for("lapangan")
    theirs = factories.AssignmentFactory(officer=world["other"])
    refused = post(api, "/api/v1/me/check-ins/", {"assignment": theirs.pk})
    assert refused.status_code == 403 and "bukan penugasan Anda" in refused.json()["detail"]
    outside = post(
        api,
        "/api/v1/me/check-ins/",
        {"assignment": world["current"].pk, "lat": -6.2, "lon": 106.8},  # Jakarta
    )
    assert outside.status_code == 400 and "lat" in outside.json()
    half = post(api, "/api/v1/me/check-ins/", {"assignment": world["current"].pk, "lat": -5.11})
    assert half.status_code == 400
    assert post(api, "/api/v1/me/check-ins/", {"assignment": 10**9}).status_code == 400
    assert (
        post(api_for("komando"), "/api/v1/me/check-ins/", {"assignment": theirs.pk}).status_code
        == 403
    )
    assert CheckIn.objects.count() == 0


# --- POST /api/v1/tps-returns/: only his own TPS -------------------------------------------


def test_a_tps_return_is_only_for_a_tps_of_his_post(world, api_for):
    api = api_for("lapangan")
    elsewhere = factories.TpsFactory(kelurahan=Kelurahan.objects.get(name="Yosomulyo"))
    refused = post(api, "/api/v1/tps-returns/", {"tps": elsewhere.pk, "status": "dibuka"})
    assert refused.status_code == 403
    assert "tidak bertugas di TPS" in refused.json()["detail"]
    mine = post(api, "/api/v1/tps-returns/", {"tps": world["tps"][0].pk, "status": "dibuka"})
    assert mine.status_code == 201
    assert Tps.objects.get(pk=world["tps"][0].pk).status == "dibuka"
