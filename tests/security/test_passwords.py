"""Passwords are long enough and stored with Argon2."""

import pytest
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.test import Client


@pytest.mark.parametrize("short", ["metro123", "Bhayangkara", "polres-9x2"])
def test_a_password_shorter_than_twelve_characters_is_refused(short):
    """Attack: an account given an 8-character password (`metro123`) falls to an offline guess
    from a leaked hash, or to a slow online one. Before the fix Django's default minimum (8)
    let it through."""
    with pytest.raises(ValidationError) as refused:
        password_validation.validate_password(short)
    assert "12" in " ".join(refused.value.messages)


def test_a_long_password_and_the_demo_password_are_accepted():
    password_validation.validate_password("sispam-demo-2024")  # 16 characters
    password_validation.validate_password("tiga kata panjang sekali")


def test_changepassword_refuses_a_short_password(db):
    """The administrator sets passwords with `manage.py changepassword`/`createsuperuser`, which
    run the same validators."""
    user = get_user_model().objects.create(username="operator")
    with pytest.raises(ValidationError):
        password_validation.validate_password("metro123", user=user)


def test_passwords_are_hashed_with_argon2(db):
    """Attack: a stolen database dump. PBKDF2 (Django's default) is cheap on a GPU; Argon2 is
    memory-hard."""
    user = get_user_model().objects.create(username="operator")
    user.set_password("panjang-sekali-2024")
    assert user.password.startswith("argon2$")
    assert user.check_password("panjang-sekali-2024")


def test_an_old_pbkdf2_password_still_logs_in_and_is_rehashed_with_argon2(db):
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    old = PBKDF2PasswordHasher().encode("panjang-sekali-2024", "garamgaram12")
    user = get_user_model().objects.create(username="operator", password=old)
    response = Client().post(
        "/accounts/login/", {"username": "operator", "password": "panjang-sekali-2024"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
