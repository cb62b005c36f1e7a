"""The administrator manages accounts in pages; every user sees and ends his own sessions."""

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework.authtoken.models import Token

from core.models import AuditEvent, UserSession
from tests.conftest import PASSWORD

NEW_PASSWORD = "pos-pengamanan-metro-24"


def _login(username: str, password: str) -> Client:
    client = Client()
    answer = client.post("/accounts/login/", {"username": username, "password": password})
    assert answer.status_code == 302, answer.content[:400]
    return client


def test_the_administrator_creates_an_account_that_then_signs_in(personas, client_for):
    admin = client_for("admin")
    page = admin.get("/pengelolaan/pengguna/baru/")
    assert page.status_code == 200
    answer = admin.post(
        "/pengelolaan/pengguna/baru/",
        {
            "username": "bripka.sutrisno",
            "first_name": "Sutrisno",
            "last_name": "",
            "role": "lapangan",
            "is_active": "on",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert answer.status_code == 302
    user = get_user_model().objects.get(username="bripka.sutrisno")
    assert list(user.groups.values_list("name", flat=True)) == ["lapangan"]
    assert AuditEvent.objects.filter(action="account.create", object_id=str(user.pk)).exists()
    officer = _login("bripka.sutrisno", NEW_PASSWORD)
    assert officer.get("/lapangan/").status_code == 200
    listing = admin.get("/pengelolaan/pengguna/").content.decode()
    assert "bripka.sutrisno" in listing


def test_a_short_password_or_a_taken_name_is_refused_with_the_reason(personas, client_for):
    admin = client_for("admin")
    short = admin.post(
        "/pengelolaan/pengguna/baru/",
        {"username": "x1", "role": "intel", "password1": "pendek", "password2": "pendek"},
    )
    assert short.status_code == 400
    assert b'role="alert"' in short.content
    taken = admin.post(
        "/pengelolaan/pengguna/baru/",
        {
            "username": "Komando",
            "role": "intel",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert taken.status_code == 400
    assert not get_user_model().objects.filter(username="x1").exists()


def test_deactivating_an_account_ends_its_sessions_and_revokes_its_token(personas, client_for):
    target = personas["intel"]
    browser = _login("intel", PASSWORD)
    key = browser.session.session_key
    token = Token.objects.create(user=target)
    admin = client_for("admin")
    detail = admin.get(f"/pengelolaan/pengguna/{target.pk}/").content.decode()
    assert "intel" in detail
    answer = admin.post(
        f"/pengelolaan/pengguna/{target.pk}/",
        {"first_name": "Inte", "last_name": "L", "role": "intel"},  # is_active unticked
    )
    assert answer.status_code == 302
    target.refresh_from_db()
    assert target.is_active is False
    assert not Session.objects.filter(session_key=key).exists()
    assert not Token.objects.filter(key=token.key).exists()
    assert browser.get("/intel/").status_code == 302
    change = AuditEvent.objects.get(action="account.update", object_id=str(target.pk))
    assert change.changes["active"] == [True, False]


def test_changing_the_role_through_the_page_is_audited(personas, client_for):
    target = personas["lapangan"]
    answer = client_for("admin").post(
        f"/pengelolaan/pengguna/{target.pk}/",
        {"first_name": "", "last_name": "", "role": "komando", "is_active": "on"},
    )
    assert answer.status_code == 302
    assert list(target.groups.values_list("name", flat=True)) == ["komando"]
    assert AuditEvent.objects.filter(action="auth.roles", object_id=str(target.pk)).exists()


def test_the_last_administrator_cannot_lock_everyone_out(personas, client_for):
    admin = personas["admin"]
    answer = client_for("admin").post(
        f"/pengelolaan/pengguna/{admin.pk}/", {"first_name": "", "last_name": "", "role": "admin"}
    )
    assert answer.status_code == 400
    admin.refresh_from_db()
    assert admin.is_active is True


def test_a_password_reset_by_the_administrator_revokes_the_token(personas, client_for):
    target = personas["lapangan"]
    token = Token.objects.create(user=target)
    answer = client_for("admin").post(
        f"/pengelolaan/pengguna/{target.pk}/sandi/",
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert answer.status_code == 302
    assert not Token.objects.filter(key=token.key).exists()
    _login("lapangan", NEW_PASSWORD)
    bad = client_for("admin").post(
        f"/pengelolaan/pengguna/{target.pk}/sandi/",
        {"new_password1": "abc", "new_password2": "abc"},
    )
    assert bad.status_code == 400


def test_the_administrator_unlocks_a_locked_out_account(personas, client_for, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/accounts/login/", {"username": "komando", "password": "salah-terus-1"})
    locked = Client().post("/accounts/login/", {"username": "komando", "password": PASSWORD})
    assert locked.status_code != 302
    admin = client_for("admin")
    page = admin.get(f"/pengelolaan/pengguna/{personas['komando'].pk}/").content.decode()
    assert 'id="account-unlock"' in page
    assert admin.post(f"/pengelolaan/pengguna/{personas['komando'].pk}/buka-kunci/").status_code
    _login("komando", PASSWORD)
    assert AuditEvent.objects.filter(action="account.unlock").exists()


def test_a_user_sees_and_ends_his_own_sessions_only(personas, client_for):
    phone = _login("lapangan", PASSWORD)
    laptop = _login("lapangan", PASSWORD)
    other = _login("intel", PASSWORD)
    page = laptop.get("/akun/sesi/").content.decode()
    assert page.count('class="session-end"') == 2
    assert "peramban ini" in page
    phone_row = UserSession.objects.get(session_key=phone.session.session_key)
    assert laptop.post(f"/akun/sesi/{phone_row.pk}/akhiri/").status_code == 302
    assert phone.get("/lapangan/").status_code == 302  # signed out
    assert laptop.get("/lapangan/").status_code == 200
    # Someone else's session is not his to end (404: not even said to exist).
    intel_row = UserSession.objects.get(session_key=other.session.session_key)
    assert laptop.post(f"/akun/sesi/{intel_row.pk}/akhiri/").status_code == 404
    assert other.get("/intel/").status_code == 200
    # The administrator sees who is signed in and may end any session.
    admin = client_for("admin")
    listing = admin.get("/pengelolaan/sesi/").content.decode()
    assert "intel" in listing and "lapangan" in listing
    assert admin.post(f"/akun/sesi/{intel_row.pk}/akhiri/").status_code == 302
    assert other.get("/intel/").status_code == 302


def test_logging_out_forgets_the_session(personas):
    browser = _login("komando", PASSWORD)
    key = browser.session.session_key
    assert UserSession.objects.filter(session_key=key).exists()
    browser.post("/accounts/logout/")
    assert not UserSession.objects.filter(session_key=key).exists()


def test_a_user_revokes_his_own_token(personas, client_for):
    token = Token.objects.create(user=personas["lapangan"])
    browser = client_for("lapangan")
    assert "Cabut token" in browser.get("/akun/sesi/").content.decode()
    assert browser.post("/akun/token/cabut/").status_code == 302
    assert not Token.objects.filter(key=token.key).exists()
