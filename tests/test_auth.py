"""Login in the browser and by token; failed logins are throttled."""

from django.conf import settings

from tests.conftest import PASSWORD


def test_the_token_endpoint_returns_a_token_that_opens_the_api(personas, client):
    response = client.post("/api/v1/auth/token/", {"username": "komando", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    summary = client.get("/api/v1/summary/", HTTP_AUTHORIZATION=f"Token {token}")
    assert summary.status_code == 200
    assert client.get("/api/v1/summary/", HTTP_AUTHORIZATION="Token wrong").status_code == 401


def test_the_token_endpoint_rejects_wrong_credentials_with_a_clear_400(personas, client):
    response = client.post("/api/v1/auth/token/", {"username": "komando", "password": "nope"})
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    missing = client.post("/api/v1/auth/token/", {"username": "komando"})
    assert missing.status_code == 400
    assert "password" in missing.json()


def test_a_role_lands_on_its_own_page_after_login(personas, client):
    response = client.post(
        "/accounts/login/", {"username": "lapangan", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/lapangan/"
    assert "Tugas Saya" in response.content.decode()


def test_repeated_failed_logins_lock_the_account_from_that_address(personas, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "komando", "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": "komando", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan masuk" in locked.content.decode()
    # The token endpoint is locked for the same username too: no side door for guessing.
    token = client.post("/api/v1/auth/token/", {"username": "komando", "password": PASSWORD})
    assert token.status_code == 429
    assert token.json()["code"] == "locked_out"


def test_logout_is_a_post_and_ends_the_session(client_for):
    client = client_for("komando")
    assert client.get("/operasi/dasbor/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/operasi/dasbor/").status_code == 302


def _summary(client, token):
    return client.get("/api/v1/summary/", HTTP_AUTHORIZATION=f"Token {token}").status_code


def test_a_deactivated_user_or_revoked_token_stops_working_at_once_in_this_process(
    api_for, personas, client
):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=personas["intel"])
    assert _summary(client, token.key) == 200  # now remembered by this process
    personas["intel"].is_active = False
    personas["intel"].save(update_fields=["is_active"])
    assert _summary(client, token.key) == 401
    other = Token.objects.create(user=personas["komando"])
    assert _summary(client, other.key) == 200
    other.delete()
    assert _summary(client, other.key) == 401


def test_a_removed_role_stops_opening_the_api_at_once_in_this_process(personas, client):
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=personas["komando"])
    assert client.get("/api/v1/audit/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    personas["komando"].groups.remove(Group.objects.get(name="komando"))
    assert client.get("/api/v1/audit/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 403


def test_a_token_revoked_by_another_process_stops_working_within_the_cache_time(
    personas, client, monkeypatch, settings
):
    from django.db import connection
    from rest_framework.authtoken.models import Token

    import core.auth

    settings.API_TOKEN_CACHE_SECONDS = 5
    token = Token.objects.create(user=personas["intel"])
    assert _summary(client, token.key) == 200
    with connection.cursor() as cursor:  # as another process would: no signal reaches us
        cursor.execute("DELETE FROM authtoken_token WHERE key = %s", [token.key])
    assert _summary(client, token.key) == 200  # still remembered, within the bound
    now = core.auth.monotonic()
    monkeypatch.setattr(core.auth, "monotonic", lambda: now + 5.01)
    assert _summary(client, token.key) == 401
