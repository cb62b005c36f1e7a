"""Reads of the core app."""

from django.db.models import Q, QuerySet
from django.http import Http404

from core.access import CAN_ADMINISTER, CAN_READ_INTEL, user_has_role
from core.models import AuditEvent, UserSession

# Audit entries about intelligence: by the model of their object (app label, model name:
# core imports no domain app) or by their action, whose changes and notes carry intelligence
# text (an intel report's subject, a correction's reason, an alert's outcome, a backtest of
# the scores of reports). Readable only by CAN_READ_INTEL.
INTEL_AUDIT_OBJECTS = (
    ("incidents", "intelreport"),
    ("incidents", "tip"),
    ("incidents", "ewscore"),
    ("incidents", "ewcorrection"),
    ("incidents", "ewbacktest"),
    ("incidents", "alert"),
)
INTEL_AUDIT_ACTION_PREFIXES = ("intel.", "tip.", "ew.correction", "ew.backtest", "alert.")


def audit_event_list() -> QuerySet[AuditEvent]:
    """Audit events, newest first, with what their rows display already joined."""
    return AuditEvent.objects.select_related("content_type").order_by("-at", "-id")


def _about_intelligence() -> Q:
    about = Q()
    for app_label, model in INTEL_AUDIT_OBJECTS:
        about |= Q(content_type__app_label=app_label, content_type__model=model)
    for prefix in INTEL_AUDIT_ACTION_PREFIXES:
        about |= Q(action__startswith=prefix)
    return about


def audit_event_list_for_user(*, user) -> QuerySet[AuditEvent]:
    """The audit events `user` may read (the caller checked CAN_READ_AUDIT): all for those who
    may read intelligence, the others (the administrator) without entries about it."""
    events = audit_event_list()
    if user_has_role(user, CAN_READ_INTEL):
        return events
    return events.exclude(_about_intelligence())


def user_session_get_for_end(*, user, pk: int) -> UserSession:
    """A signed-in session `user` may end: his own; any, for the administrator. Another's is a
    404 (whether it exists is not said)."""
    sessions = UserSession.objects.select_related("user")
    if not user_has_role(user, CAN_ADMINISTER):
        sessions = sessions.filter(user=user)
    try:
        return sessions.get(pk=pk)
    except UserSession.DoesNotExist:
        raise Http404 from None
