"""Receivers core connects in CoreConfig.ready(): the role groups after each migrate, the
API token memory (core.auth) emptied when a user, a token or a role changes, tokens revoked
and sessions ended when a password changes or a user is deactivated (core.accounts), the
sessions each user signs in with, and the audit entries of failed and locked logins and of role
changes."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_save
from rest_framework.authtoken.models import Token

from core import accounts
from core.auth import token_cache_clear
from core.clientaddr import client_ip
from core.services import audit_record, roles_ensure

USERNAME_MAX = 150  # what is kept of a username someone typed


def _ensure_roles(sender, **kwargs) -> None:
    roles_ensure()


def _audit_login_failed(sender, credentials=None, request=None, **kwargs) -> None:
    # Django has already masked the password in `credentials`; only the username is kept.
    username = str((credentials or {}).get("username", ""))[:USERNAME_MAX]
    audit_record(
        actor=None,
        action="auth.login_failed",
        changes={
            "username": [None, username],
            "ip_address": [None, client_ip(request) if request is not None else None],
        },
    )


def _audit_locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    audit_record(
        actor=None,
        action="auth.locked_out",
        changes={
            "username": [None, str(username or "")[:USERNAME_MAX]],
            "ip_address": [None, ip_address],
        },
    )


def _group_names(user_ids) -> dict:
    through = get_user_model().groups.through
    out = {pk: [] for pk in user_ids}
    for user_id, name in through.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "group__name"
    ):
        out[user_id].append(name)
    return {pk: sorted(names) for pk, names in out.items()}


def _audit_roles(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """A change of a user's groups (roles), from the user's side (user.groups.add) or the
    group's (group.user_set.remove): one audit entry per user whose roles changed, with the
    roles before and after. The actor is not known here (signals carry no request): the
    Django admin's own entry (admin.change) names who saved the form."""
    if action.startswith("pre_"):
        if not reverse:
            ids = [instance.pk]
        elif action == "pre_clear":
            ids = list(instance.user_set.values_list("pk", flat=True))
        else:
            ids = list(pk_set or ())
        instance._sispam_groups_before = (ids, _group_names(ids))
        return
    ids, before = instance.__dict__.pop("_sispam_groups_before", ([], {}))
    if not ids:
        return
    after = _group_names(ids)
    users = {instance.pk: instance} if not reverse else get_user_model().objects.in_bulk(ids)
    for pk in ids:
        if before[pk] != after[pk] and pk in users:
            audit_record(
                actor=None,
                action="auth.roles",
                obj=users[pk],
                changes={"roles": [before[pk], after[pk]]},
            )


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
    m2m_changed.connect(_audit_roles, sender=user.groups.through, dispatch_uid="core.audit.roles")
    pre_save.connect(accounts.user_pre_save, sender=user, dispatch_uid="core.accounts.pre")
    post_save.connect(accounts.user_post_save, sender=user, dispatch_uid="core.accounts.post")
    user_logged_in.connect(accounts.login_recorded, dispatch_uid="core.accounts.login")
    user_logged_out.connect(accounts.logout_recorded, dispatch_uid="core.accounts.logout")
    user_login_failed.connect(_audit_login_failed, dispatch_uid="core.audit.login_failed")
    user_locked_out.connect(_audit_locked_out, dispatch_uid="core.audit.locked_out")
