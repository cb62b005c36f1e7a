"""Shared fixtures: personas (one user per role, plus the anonymous visitor) and real processes.

The suite runs on PostgreSQL and Redis (make test sets DATABASE_URL and REDIS_URL); fixtures in
tests/stack.py start a real ASGI server and a real Celery worker against the test database.
"""

import functools
import os

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.access import Role

pytest_plugins = ["tests.stack"]

# Playwright's sync API keeps an event loop running in the test thread, which makes Django's
# ORM refuse to run there; in this test process (never in the served app) that guard is off.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The personas' password. seed_demo never changes an existing account's password, so after it
# the personas keep this one; only demo logins it creates get DEMO_PASSWORD. pytest-django runs
# the tests with DEBUG off, so tests call seed_demo with --allow-production.
PASSWORD = "persona-pass-2024"
ROLES = [r.value for r in Role]


@functools.cache
def password_hash() -> str:
    # Hashing is slow by design; hash the personas' password once per run.
    return make_password(PASSWORD)


def make_user(username: str, role: str | None, **extra):
    User = get_user_model()
    user = User.objects.create(username=username, password=password_hash(), **extra)
    if role:
        group, _ = Group.objects.get_or_create(name=role)
        user.groups.add(group)
    return user


@pytest.fixture
def personas(db):
    """One user per role (username = role), the admin also staff, as CONVENTIONS asks."""
    return {role: make_user(role, role, is_staff=(role == Role.ADMIN)) for role in ROLES}


@pytest.fixture
def client_for(personas):
    """client_for(role) -> a Django test client logged in as that persona (None: anonymous)."""
    from django.test import Client

    def make(role: str | None):
        client = Client()
        if role is not None:
            user = personas[role]
            # Fresh from the database: seed_demo may have linked the persona to an officer.
            client.force_login(type(user).objects.get(pk=user.pk))
        return client

    return make


@pytest.fixture
def api_for(personas):
    """api_for(role) -> a DRF client authenticated with that persona's token."""

    def make(role: str | None):
        client = APIClient()
        if role is not None:
            token, _ = Token.objects.get_or_create(user=personas[role])
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture(autouse=True)
def _reset_axes(db):
    """Failed-login counters must not leak from one test into another."""
    from axes.models import AccessAttempt, AccessFailureLog

    AccessAttempt.objects.all().delete()
    AccessFailureLog.objects.all().delete()


def pytest_collection_modifyitems(config, items):
    """The modules that start processes or a browser first, the quick ones after them.

    Under xdist (`make test` runs two processes, a module to a process) the long modules then
    share out from the start, and the quick ones fill in at the end instead of one process
    finishing a long module alone. The order within a module stays as written."""
    heavy = {
        item.module.__name__
        for item in items
        if item.get_closest_marker("stack") or item.get_closest_marker("browser")
    }
    items.sort(key=lambda item: item.module.__name__ not in heavy)
