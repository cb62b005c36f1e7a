"""Reads of the core app."""

from django.db.models import QuerySet

from core.models import AuditEvent


def audit_event_list() -> QuerySet[AuditEvent]:
    """Audit events, newest first, with what their rows display already joined."""
    return AuditEvent.objects.select_related("content_type").order_by("-at", "-id")
