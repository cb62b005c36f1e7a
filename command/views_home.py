"""The landing pages of the command post, intelligence and field roles (each role's own first
page; `core.views.home` sends a user to his)."""

from django.shortcuts import redirect, render

from command.selectors import summary_get
from core.access import (
    CAN_OPEN_COMMAND_LANDING,
    CAN_OPEN_FIELD_LANDING,
    CAN_OPEN_INTEL_LANDING,
    role_required,
)
from incidents.selectors import alert_open_list, incident_list_for_user
from operations.selectors import assignment_list_for_user, phase_current


@role_required(*CAN_OPEN_COMMAND_LANDING)
def landing_komando(request):
    """The command post's landing page is the live dashboard."""
    return redirect("dashboard")


@role_required(*CAN_OPEN_INTEL_LANDING)
def landing_intel(request):
    return render(
        request,
        "core/landing_intel.html",
        {"summary": summary_get(), "phase": phase_current(), "alerts": alert_open_list()[:20]},
    )


@role_required(*CAN_OPEN_FIELD_LANDING)
def landing_lapangan(request):
    officer = getattr(request.user, "officer", None)
    return render(
        request,
        "core/landing_lapangan.html",
        {
            "officer": officer,
            "phase": phase_current(),
            "incidents": incident_list_for_user(user=request.user)[:20],
            "assignments": assignment_list_for_user(user=request.user)
            .filter(status="active")
            .select_related("post__kelurahan")[:10],
        },
    )
