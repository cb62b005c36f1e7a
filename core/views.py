"""Core pages: the health check, the role landing pages and the audit trail."""

import asyncio
import time

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.access import (
    ALL_ROLES,
    CAN_ADMINISTER,
    CAN_READ_AUDIT,
    LANDING,
    Role,
    primary_role,
    role_required,
)
from core.models import WorkerHeartbeat
from core.selectors import audit_event_list_for_user

HEARTBEAT_FRESH_SECONDS = 90


def _check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure is the answer, not an error of this page
        return {"status": "down", "error": type(exc).__name__}
    return {
        "status": "ok",
        "vendor": connection.vendor,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }


def _check_broker() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "eager", "detail": "tasks run in the web process"}
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
        client.close()
    except redis.RedisError as exc:
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok"}


def _check_channel_layer() -> dict:
    layer = get_channel_layer()
    backend = type(layer).__name__

    async def round_trip() -> None:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping"})
        await asyncio.wait_for(layer.receive(channel), timeout=1.5)

    try:
        async_to_sync(round_trip)()
    except Exception as exc:  # a broken layer is reported, not raised
        return {"status": "down", "backend": backend, "error": type(exc).__name__}
    return {"status": "ok", "backend": backend}


def _check_worker() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "eager"}
    beat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    if beat is None:
        return {"status": "unknown"}
    age = (timezone.now() - beat.last_seen).total_seconds()
    return {
        "status": "ok" if age <= HEARTBEAT_FRESH_SECONDS else "stale",
        "last_seen_seconds": round(age),
    }


@never_cache
@require_GET
def healthz(request):
    """Public health check: 200 while the database answers (503 if not), with each part's state."""
    database = _check_database()
    checks = {
        "database": database,
        "broker": _check_broker(),
        "channel_layer": _check_channel_layer(),
    }
    if database["status"] == "ok":
        try:
            checks["worker"] = _check_worker()
        except Exception as exc:  # e.g. not migrated yet
            checks["worker"] = {"status": "unknown", "error": type(exc).__name__}
    degraded = any(c["status"] == "down" for c in checks.values())
    status = "down" if database["status"] != "ok" else ("degraded" if degraded else "ok")
    return JsonResponse(
        {"status": status, "checks": checks, "time": timezone.localtime().isoformat()},
        status=503 if status == "down" else 200,
    )


def home(request):
    """Send each user to the landing page of his role."""
    if not request.user.is_authenticated:
        return redirect("login")
    role = primary_role(request.user)
    if role is None:
        raise PermissionDenied
    return redirect(LANDING[role])


@role_required(*CAN_ADMINISTER)
def landing_admin(request):
    users = get_user_model().objects
    per_role = dict(
        users.filter(groups__name__in=ALL_ROLES)
        .values_list("groups__name")
        .annotate(n=Count("id"))
        .order_by()
    )
    return render(
        request,
        "core/landing_admin.html",
        {
            "users_total": users.count(),
            "per_role": [(role.value, per_role.get(role.value, 0)) for role in Role],
            "recent": audit_event_list_for_user(user=request.user)[:10],
        },
    )


@role_required(*CAN_READ_AUDIT)
def audit_list(request):
    events = audit_event_list_for_user(user=request.user)
    action = request.GET.get("action", "").strip()
    actor = request.GET.get("actor", "").strip()
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_username=actor)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_list.html", {"page": page, "action": action, "actor": actor})
