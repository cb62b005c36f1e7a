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
