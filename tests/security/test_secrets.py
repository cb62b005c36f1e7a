"""The secret key is long enough in production, and a local .env never reaches git."""

import secrets
import subprocess

from tests.stack import ROOT
from tests.test_settings import run_with

PRODUCTION = {"DEBUG": "0", "ALLOWED_HOSTS": "sispam.polresmetro.example"}


def test_a_short_secret_key_stops_start_up_in_production():
    """Attack: the operator copies .env.example and sets SECRET_KEY to a short word (or keeps
    the placeholder). Before the fix the app started with it: session cookies, password reset
    tokens and the tips' client hash are signed with a key one can guess offline."""
    for short in ("change-me-to-64-random-characters", "polresmetro2024", "k" * 49):
        result = run_with({**PRODUCTION, "SECRET_KEY": short})
        assert result.returncode != 0, short
        assert "ImproperlyConfigured" in result.stderr
        assert "SECRET_KEY" in result.stderr
        assert "50" in result.stderr


def test_a_long_random_secret_key_starts_as_the_bench_makes_it():
    # bench/_stack.py: token_urlsafe(48) is 64 characters.
    result = run_with({**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(48)})
    assert result.returncode == 0, result.stderr


def test_a_short_secret_key_is_allowed_in_development():
    result = run_with({"DEBUG": "1", "SECRET_KEY": "dev"})
    assert result.returncode == 0, result.stderr


def test_a_dot_env_file_is_ignored_by_git():
    """Attack: `cp .env.example .env`, set SECRET_KEY and the Redis password, then
    `git add .` or `git commit -a`: before the fix .env was not ignored and the production
    secrets went into the repository (and to every clone of it)."""
    for name in (".env", "deploy/.env", ".env.local"):
        answer = subprocess.run(  # noqa: S603
            ["git", "check-ignore", "-q", "--no-index", name],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            timeout=30,
        )
        assert answer.returncode == 0, f"{name} is not ignored by git"
    example = subprocess.run(  # noqa: S603
        ["git", "check-ignore", "-q", "--no-index", ".env.example"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        timeout=30,
    )
    assert example.returncode == 1, ".env.example must stay in git"
