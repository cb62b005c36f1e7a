"""Idempotency-Key (issue #17 part 8): a key is the reporter's own, a retry gets the first answer
back, a reused key with another body is refused, and a key that cannot be stored is a clear
400, never a 500."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.models import Incident, TpsReturn
from operations.models import Assignment, Kelurahan, Post, Tps
from operations.reference import reference_load
from personnel.models import Officer, Unit
from tests.conftest import make_user

INCIDENTS = "/api/v1/incidents/"
TPS_RETURNS = "/api/v1/tps-returns/"


@pytest.fixture
def tps(db):
    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    return Tps.objects.create(kelurahan=kel, number=5, lat=-5.1135, lon=105.3065, dpt=280)


@pytest.fixture
def two_officers(personas, tps):
    """Two field officers, both guarding TPS 005 now, each with his own token."""
    unit = Unit.objects.create(code="polsek-metro-pusat", name="Polsek Metro Pusat", kind="polsek")
    post = Post.objects.create(
        kind="tps", name="Klaster TPS 005", lat=tps.lat, lon=tps.lon, required_strength=2
    )
    post.tps.add(tps)
    now = timezone.now()
    clients = []
    users = [personas["lapangan"], make_user("lapangan2", "lapangan")]
    for n, user in enumerate(users):
        officer = Officer.objects.create(
            nrp=f"9502000{n}", name=f"Petugas {n}", rank=7, unit=unit, user=user
        )
        Assignment.objects.create(
            officer=officer,
            post=post,
            starts_at=now - dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(hours=8),
            source="manual",
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        clients.append(client)
    return clients


def report(tps, **extra):
    return {
        "type": "unjuk_rasa",
        "occurred_at": timezone.now().isoformat(),
        "tps": tps.pk,
        "description": "Massa sekitar 200 orang berkumpul di depan TPS.",
        "crowd_size": 200,
        "colour": "kuning",
        **extra,
    }


def test_two_officers_using_the_same_key_file_two_reports(two_officers, tps):
    """Before the fix the key was unique across all reporters: the second officer's report was
    answered with the first officer's (a 422, or worse, his colleague's report back)."""
    first, second = two_officers
    key = "K7Q2M9XA"
    a = first.post(INCIDENTS, report(tps), format="json", HTTP_IDEMPOTENCY_KEY=key)
    b = second.post(
        INCIDENTS,
        report(tps, description="Dua kelompok pendukung saling dorong."),
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert a.status_code == 201, a.content
    assert b.status_code == 201, b.content
    assert a.json()["id"] != b.json()["id"]
    assert Incident.objects.filter(idempotency_key=key).count() == 2
    assert {i.reporter.username for i in Incident.objects.all()} == {"lapangan", "lapangan2"}


def test_the_same_officer_sending_the_same_key_and_body_again_gets_the_one_report(
    two_officers, tps
):
    api, _other = two_officers
    body = report(tps)
    first = api.post(INCIDENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    again = api.post(INCIDENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Incident.objects.count() == 1


def test_the_same_key_with_another_body_is_refused_and_stores_nothing(two_officers, tps):
    api, _other = two_officers
    api.post(INCIDENTS, report(tps), format="json", HTTP_IDEMPOTENCY_KEY="reused-1")
    other = api.post(
        INCIDENTS,
        report(tps, description="Laporan yang lain sama sekali."),
        format="json",
        HTTP_IDEMPOTENCY_KEY="reused-1",
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_conflict"
    assert "Idempotency-Key" in other.json()["detail"]
    assert Incident.objects.count() == 1
    assert Incident.objects.get().description.startswith("Massa sekitar")


@pytest.mark.parametrize("where", ["header", "body"])
def test_a_key_longer_than_80_characters_is_a_400_on_its_field(two_officers, tps, where):
    api, _other = two_officers
    key = "k" * 81
    if where == "header":
        response = api.post(INCIDENTS, report(tps), format="json", HTTP_IDEMPOTENCY_KEY=key)
    else:
        response = api.post(INCIDENTS, report(tps, idempotency_key=key), format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "idempotency_key_too_long"
    assert "80" in body["idempotency_key"][0]
    assert Incident.objects.count() == 0
    exactly = api.post(INCIDENTS, report(tps), format="json", HTTP_IDEMPOTENCY_KEY="k" * 80)
    assert exactly.status_code == 201


@pytest.mark.parametrize("value", [12345, ["k-1"], {"k": 1}, "ab\u0000cd", "ab\ncd"])
def test_a_key_in_the_body_that_is_not_a_plain_string_is_a_400(two_officers, tps, value):
    """Before the fix a number or a list as `idempotency_key` (no header) was a 500 (`.strip()`
    of an int), and a NUL character a 500 from PostgreSQL."""
    api, _other = two_officers
    response = api.post(INCIDENTS, report(tps, idempotency_key=value), format="json")
    assert response.status_code == 400, response.content
    assert "idempotency_key" in response.json()
    assert Incident.objects.count() == 0


def test_a_tps_return_with_an_81_character_key_is_a_400_not_a_500(two_officers, tps):
    api, _other = two_officers
    response = api.post(
        TPS_RETURNS,
        {"tps": tps.pk, "status": "dibuka"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="t" * 81,
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "idempotency_key_too_long"
    assert "idempotency_key" in response.json()
    assert not TpsReturn.objects.exists()
    tps.refresh_from_db()
    assert tps.status == "belum_dibuka"


def test_two_officers_using_the_same_key_for_tps_returns_file_two_returns(two_officers, tps):
    """Before the fix the second officer got the first one's return back (and skipped the
    check that he guards the TPS)."""
    first, second = two_officers
    a = first.post(
        TPS_RETURNS, {"tps": tps.pk, "status": "dibuka"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1"
    )
    b = second.post(
        TPS_RETURNS,
        {"tps": tps.pk, "status": "pemungutan"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="r-1",
    )
    assert (a.status_code, b.status_code) == (201, 201), b.content
    assert a.json()["id"] != b.json()["id"]
    assert TpsReturn.objects.filter(idempotency_key="r-1").count() == 2
    again = first.post(
        TPS_RETURNS, {"tps": tps.pk, "status": "dibuka"}, format="json", HTTP_IDEMPOTENCY_KEY="r-1"
    )
    assert again.json()["id"] == a.json()["id"]
    assert TpsReturn.objects.count() == 2


def test_the_report_form_with_an_81_character_key_is_a_400_not_a_500(client_for, tps):
    client = client_for("lapangan")
    form = {
        "idempotency_key": "f" * 81,
        "type": "intimidasi",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "tps": tps.pk,
        "description": "Saksi diancam",
        "casualties": 0,
        "colour": "hijau",
    }
    response = client.post("/lapor/", form)
    assert response.status_code == 400
    assert "80" in response.content.decode()
    assert Incident.objects.count() == 0


def test_keys_are_per_reporter_in_the_database_too(personas, tps):
    """The constraint, not only the service: one reporter cannot hold a key twice, two can, and
    reports without a key (exercise and demo rows) are never in each other's way."""
    from django.db import IntegrityError, transaction

    def make(user, key):
        return Incident.objects.create(
            type="lainnya",
            occurred_at=timezone.now(),
            description="x",
            reporter=user,
            tps=tps,
            idempotency_key=key,
        )

    make(personas["lapangan"], "same")
    make(personas["komando"], "same")
    make(personas["lapangan"], None)
    make(personas["lapangan"], None)
    with pytest.raises(IntegrityError), transaction.atomic():
        make(personas["lapangan"], "same")
    assert Incident.objects.count() == 4
