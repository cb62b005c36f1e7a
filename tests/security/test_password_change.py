"""Every signed-in user changes his own password in the browser (/accounts/password/): the old
one first, the house rules for the new one (12+ characters, not common), audited without it."""

import json

from django.contrib.auth import get_user_model
from django.test import Client

from core.models import AuditEvent
from tests.conftest import PASSWORD

NEW = "pos-komando-metro-2026"


def test_anonymous_is_sent_to_the_login_page(db):
    answer = Client().get("/accounts/password/")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")


def test_a_user_changes_his_password_with_the_old_one_and_the_rules(personas, client_for):
    client = client_for("lapangan")
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and "Ganti kata sandi" in page.content.decode()
    wrong_old = client.post(
        "/accounts/password/",
        {"old_password": "not-it-at-all", "new_password1": NEW, "new_password2": NEW},
    )
    assert wrong_old.status_code == 200
    short = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "pendek12", "new_password2": "pendek12"},
    )
    assert short.status_code == 200 and "12" in short.content.decode()
    assert get_user_model().objects.get(username="lapangan").check_password(PASSWORD)

    done = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert done.status_code == 302
    assert client.get("/lapangan/").status_code == 200  # still signed in here
    user = get_user_model().objects.get(username="lapangan")
    assert user.check_password(NEW) and not user.check_password(PASSWORD)
    signed_in = Client().post("/accounts/login/", {"username": "lapangan", "password": NEW})
    assert signed_in.status_code == 302 and "/accounts/login/" not in signed_in["Location"]
    event = AuditEvent.objects.get(action="auth.password_change")
    assert event.actor == user
    assert NEW not in json.dumps(event.changes) and NEW not in (event.note or "")
