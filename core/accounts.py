"""Accounts: API tokens that expire and are revoked, the browser sessions each user has open,
and what the administrator does to an account (create, role, deactivate, reset the password,
unlock). Every change is audited; the pages are in core/views_accounts.py.

A token works API_TOKEN_HOURS after it was issued (12 by default, one duty shift). It is
revoked, and the user's browser sessions ended, when his password changes or he is
deactivated, whoever does it and however (these pages, the Django admin, a shell): the user
signals below see every save. Open WebSockets close within WS_RECHECK_SECONDS of that
(core/websocket.py re-checks the session they were opened with).
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from rest_framework.authtoken.models import Token

from core.access import ALL_ROLES
from core.clientaddr import client_ip
from core.models import UserSession
from core.services import audit_record

USER_AGENT_MAX = 200


# --- Tokens ----------------------------------------------------------------------------------


def token_expires_at(token: Token) -> dt.datetime:
    return token.created + dt.timedelta(hours=settings.API_TOKEN_HOURS)


def token_issue(*, user, request) -> Token:
    """The user's token, a new one if he had none or his had expired; audited."""
    with transaction.atomic():
        Token.objects.filter(
            user=user, created__lte=timezone.now() - dt.timedelta(hours=settings.API_TOKEN_HOURS)
        ).delete()
        token, created = Token.objects.get_or_create(user=user)
    audit_record(
        actor=user,
        action="auth.token",
        obj=user,
        changes={"ip_address": [None, client_ip(request)], "new": [None, created]},
        note="POST /api/v1/auth/token/",
    )
    return token


def tokens_revoke(*, user, actor, reason: str) -> int:
    """Delete the user's API tokens (a phone then gets 401 and asks for a new one)."""
    count, _rows = Token.objects.filter(user=user).delete()
    if count:
        audit_record(
            actor=actor, action="auth.token_revoked", obj=user, changes={"reason": [None, reason]}
        )
    return count


# --- Sessions --------------------------------------------------------------------------------


def session_record(*, request, user) -> None:
    """Note the session a user just signed in with (user_logged_in)."""
    key = request.session.session_key
    if not key:
        return
    UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "ip_address": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
        },
    )


def session_forget(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def sessions_open(*, user=None) -> QuerySet[UserSession]:
    """Sessions still signed in (Django's row exists and has not expired), newest first."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    rows = UserSession.objects.filter(session_key__in=live).select_related("user")
    if user is not None:
        rows = rows.filter(user=user)
    expiry = Session.objects.filter(session_key=OuterRef("session_key")).values("expire_date")
    return rows.annotate(expires=Subquery(expiry[:1]))


def session_end(*, session: UserSession, actor) -> None:
    """Sign that browser out: its next request is anonymous, its WebSockets close."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    store().delete(session.session_key)
    audit_record(
        actor=actor,
        action="auth.session_end",
        obj=session.user,
        changes={"session": [session.created.isoformat(), None]},
    )
    session.delete()


def sessions_end_all(*, user, actor, keep_key: str | None = None) -> int:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(
        UserSession.objects.filter(user=user)
        .exclude(session_key=keep_key or "")
        .values_list("session_key", flat=True)
    )
    for key in keys:
        store().delete(key)
    UserSession.objects.filter(session_key__in=keys).delete()
    if keys:
        audit_record(
            actor=actor, action="auth.sessions_end", obj=user, changes={"sessions": [len(keys), 0]}
        )
    return len(keys)


# --- The administrator's account actions ------------------------------------------------------


class AccountRefused(Exception):
    """An account action that would leave the system without a way in (said to the user)."""


def user_list_for_admin() -> QuerySet:
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return (
        get_user_model()
        .objects.prefetch_related("groups")
        .select_related("auth_token")
        .annotate(
            open_sessions=Count("sispam_sessions", filter=Q(sispam_sessions__session_key__in=live))
        )
        .order_by("username")
    )


def _role_set(user, role: str) -> None:
    keep = user.groups.exclude(name__in=ALL_ROLES)
    user.groups.set([*keep, Group.objects.get(name=role)])


@transaction.atomic
def user_create(*, actor, username: str, first_name: str, last_name: str, role: str, password):
    user = get_user_model()(username=username, first_name=first_name, last_name=last_name)
    user.set_password(password)
    user.save()
    _role_set(user, role)
    audit_record(
        actor=actor,
        action="account.create",
        obj=user,
        changes={"username": [None, username], "role": [None, role]},
    )
    return user


def _admins_left(excluding) -> int:
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name="admin") | Q(is_superuser=True))
        .exclude(pk=excluding.pk)
        .distinct()
        .count()
    )


@transaction.atomic
def user_update(
    *, actor, user, first_name: str, last_name: str, role: str, is_active: bool
) -> None:
    roles_before = sorted(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
    was_admin = "admin" in roles_before or user.is_superuser
    if was_admin and (not is_active or role != "admin") and _admins_left(user) == 0:
        raise AccountRefused("the last administrator")
    before = {"first_name": user.first_name, "last_name": user.last_name, "active": user.is_active}
    user.first_name, user.last_name, user.is_active = first_name, last_name, is_active
    user.save()
    if roles_before != [role]:
        _role_set(user, role)
    after = {"first_name": first_name, "last_name": last_name, "active": is_active}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if roles_before != [role]:
        changes["role"] = [roles_before, [role]]
    audit_record(actor=actor, action="account.update", obj=user, changes=changes)


def user_password_set(*, actor, user, password: str) -> None:
    """Reset a user's password (the user signals then revoke his tokens and end his sessions)."""
    user.set_password(password)
    user.save()
    audit_record(actor=actor, action="account.password_reset", obj=user)


def user_is_locked(user) -> bool:
    """Locked out of logging in by too many wrong passwords (django-axes), from any address."""
    since = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    return AccessAttempt.objects.filter(
        username=user.get_username(),
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=since,
    ).exists()


def user_unlock(*, actor, user) -> int:
    """Lift a login lockout (django-axes) for this username, from every address."""
    count = axes_reset(username=user.get_username())
    audit_record(actor=actor, action="account.unlock", obj=user, changes={"lockouts": [count, 0]})
    return count


# --- What every save of a user means -----------------------------------------------------------


def user_pre_save(sender, instance, update_fields=None, **kwargs) -> None:
    if instance.pk is None or (update_fields is not None and set(update_fields) == {"last_login"}):
        return
    old = sender.objects.filter(pk=instance.pk).values("is_active").first()
    instance._sispam_was_active = bool(old and old["is_active"])


def user_post_save(sender, instance, created=False, **kwargs) -> None:
    if created:
        return
    password_changed = getattr(instance, "_password", None) is not None
    deactivated = getattr(instance, "_sispam_was_active", False) and not instance.is_active
    instance.__dict__.pop("_sispam_was_active", None)
    if deactivated:
        tokens_revoke(user=instance, actor=None, reason="deactivated")
        sessions_end_all(user=instance, actor=None)
    elif password_changed:
        # Django's session hash already signs out his other browsers; the phones' tokens are
        # separate credentials and go too. The browser that changed it stays signed in.
        tokens_revoke(user=instance, actor=None, reason="password")
        keep = getattr(instance, "_sispam_keep_session", None)
        sessions_end_all(user=instance, actor=None, keep_key=keep)


def login_recorded(sender, request, user, **kwargs) -> None:
    session_record(request=request, user=user)


def logout_recorded(sender, request, user=None, **kwargs) -> None:
    session = getattr(request, "session", None)
    session_forget(session_key=getattr(session, "session_key", None))
