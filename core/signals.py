"""Receivers core connects in CoreConfig.ready(): the role groups after each migrate, and the
API token memory (core.auth) emptied when a user, a token or a role changes."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from rest_framework.authtoken.models import Token

from core.auth import token_cache_clear
from core.services import roles_ensure


def _ensure_roles(sender, **kwargs) -> None:
    roles_ensure()


def signals_connect() -> None:
    # Permissions exist only after post_migrate (sent once per app): run after each, so the
    # admin role gets the permissions of apps migrated later too. Idempotent.
    post_migrate.connect(_ensure_roles, dispatch_uid="core.roles_ensure")
    user = get_user_model()
    for model in (user, Token, Group):
        for signal in (post_save, post_delete):
            signal.connect(token_cache_clear, sender=model, dispatch_uid=f"core.auth.{model}")
    m2m_changed.connect(
        token_cache_clear, sender=user.groups.through, dispatch_uid="core.auth.groups"
    )
