"""Writes of the core app: the audit trail every other service calls."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from core.access import Role
from core.models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def audit_snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The values of `fields` on `obj`, as JSON; foreign keys by id (field name without _id)."""
    out = {}
    for name in fields:
        field = obj._meta.get_field(name)
        value = getattr(obj, field.attname)
        out[name] = _jsonable(value)
    return out


def audit_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed (or appeared)."""
    keys = sorted(set(before) | set(after))
    return {
        k: [_jsonable(before.get(k)), _jsonable(after.get(k))]
        for k in keys
        if _jsonable(before.get(k)) != _jsonable(after.get(k))
    }


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    """Append one audit event: who (`actor`; None for the system) did `action` to `obj`."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_username=user.get_username() if user else "sistem",
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        changes=_jsonable(changes or {}),
        note=note,
    )


# What the admin role may manage in the Django admin: accounts and reference data, nothing
# operational or intelligence (those are worked in Sispam's own pages, under their own rules).
ADMIN_ROLE_MODELS = [
    ("auth", "user"),
    ("auth", "group"),
    ("authtoken", "tokenproxy"),
    ("operations", "kecamatan"),
    ("operations", "kelurahan"),
    ("operations", "electionphase"),
    ("personnel", "unit"),
    ("incidents", "ewconfig"),
    # Reports whose scoring kept failing: the error and the re-queue, never the report itself.
    ("incidents", "scoringfailure"),
]


def roles_ensure() -> None:
    """Create the role groups if missing and give the admin role its model permissions."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    query = Q()
    for app_label, model in ADMIN_ROLE_MODELS:
        query |= Q(content_type__app_label=app_label, content_type__model=model)
    perms = list(Permission.objects.filter(query))
    perms += list(
        Permission.objects.filter(content_type__app_label="core", codename="view_auditevent")
    )
    Group.objects.get(name=Role.ADMIN).permissions.set(perms)
