"""A TOTP second factor for komando and admin when OTP_REQUIRED is on (production).

Attack: the komando's password is read over his shoulder at the command post (or reused from
another site); before the fix it alone opened the dashboard, the live feed, every incident and
an API token."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from core.access import OPERATIONAL
from core.models import AuditEvent
from core.websocket import session_user_still_allowed
from tests.conftest import PASSWORD


@pytest.fixture
def required(settings):
    settings.OTP_REQUIRED = True


def _login(username: str) -> Client:
    client = Client()
    answer = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert answer.status_code == 302
    return client


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _enrol(client: Client, user) -> TOTPDevice:
    page = client.get("/akun/faktor-kedua/pasang/")
    assert page.status_code == 200
    assert b"<svg" in page.content and b'id="otp-key"' in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    device.throttle_reset()  # a wrong code before makes the next wait (django-otp's throttle)
    answer = client.post("/akun/faktor-kedua/pasang/", {"code": _code(device)})
    assert answer.status_code == 302, answer.content[:300]
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_a_password_alone_does_not_open_the_command_post(required, personas):
    komando = _login("komando")
    held = komando.get("/operasi/dasbor/")
    assert held.status_code == 302
    assert held["Location"].startswith("/akun/faktor-kedua/pasang/")
    api = komando.get("/api/v1/incidents/")
    assert api.status_code == 403
    assert api.json()["code"] == "otp_required"
    # A wrong code enrols nothing.
    komando.get("/akun/faktor-kedua/pasang/")
    assert komando.post("/akun/faktor-kedua/pasang/", {"code": "000000"}).status_code == 400
    assert komando.get("/operasi/dasbor/").status_code == 302
    device = _enrol(komando, personas["komando"])
    assert komando.get("/operasi/dasbor/").status_code == 200
    assert komando.get("/api/v1/incidents/").status_code == 200
    # Next sign-in asks for the code of the enrolled device.
    device.last_t = -1  # the same code may be given again in this test (replay guard)
    device.save()
    again = _login("komando")
    held = again.get("/operasi/dasbor/")
    assert held["Location"].startswith("/akun/faktor-kedua/?")
    assert again.post("/akun/faktor-kedua/", {"code": "123456"}).status_code in (400, 200)
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    assert again.post("/akun/faktor-kedua/", {"code": _code(device)}).status_code == 302
    assert again.get("/operasi/dasbor/").status_code == 200
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"auth.otp_enrolled", "auth.otp_failed"} <= actions


def test_the_field_officer_and_the_liaison_sign_in_with_the_password(required, personas):
    assert _login("lapangan").get("/lapangan/").status_code == 200
    assert _login("penghubung_kpu").get("/kpu/").status_code == 200


def test_an_api_token_for_the_komando_needs_the_code(required, personas):
    body = {"username": "komando", "password": PASSWORD}
    refused = APIClient().post("/api/v1/auth/token/", body, format="json")
    assert refused.status_code == 400
    assert "otp" in refused.json()
    device = TOTPDevice.objects.create(user=personas["komando"], name="Sispam", confirmed=True)
    given = APIClient().post("/api/v1/auth/token/", {**body, "otp": _code(device)}, format="json")
    assert given.status_code == 200, given.content
    field = APIClient().post(
        "/api/v1/auth/token/", {"username": "lapangan", "password": PASSWORD}, format="json"
    )
    assert field.status_code == 200


def test_the_administrator_removes_a_lost_phones_device(required, personas):
    TOTPDevice.objects.create(user=personas["komando"], name="Sispam", confirmed=True)
    admin = _login("admin")
    device = _enrol(admin, personas["admin"])
    assert device.user == personas["admin"]
    page = admin.get(f"/pengelolaan/pengguna/{personas['komando'].pk}/").content.decode()
    assert 'id="account-otp-reset"' in page
    answer = admin.post(f"/pengelolaan/pengguna/{personas['komando'].pk}/faktor-kedua/hapus/")
    assert answer.status_code == 302
    assert not TOTPDevice.objects.filter(user=personas["komando"]).exists()
    assert AuditEvent.objects.filter(action="account.otp_reset").exists()


def test_a_password_only_session_cannot_open_the_live_feed(required, personas):
    """The feed's consumer asks session_user_still_allowed at connect and every few seconds
    (tests/security/test_websockets.py drives it over a real socket)."""
    komando = _login("komando")
    key = komando.session.session_key
    user_id = personas["komando"].pk
    assert not session_user_still_allowed(session_key=key, user_id=user_id, roles=OPERATIONAL)
    _enrol(komando, personas["komando"])
    key = komando.session.session_key
    assert session_user_still_allowed(session_key=key, user_id=user_id, roles=OPERATIONAL)
