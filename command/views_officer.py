"""An officer's own page, opened from the roster: who he is, his status history, his
assignments and his dispatches. Here, above the three apps it reads (personnel, operations,
incidents); the access is each app's: officer_list_for_user (never the KPU liaison),
assignment_list_for_user and incident_list_for_user."""

from django.shortcuts import get_object_or_404, render

from core.access import CAN_READ_PERSONNEL, role_required
from incidents.models import Dispatch
from incidents.selectors import incident_list_for_user
from operations.selectors import assignment_list_for_user
from personnel.selectors import officer_list_for_user

SHOWN = 50


@role_required(*CAN_READ_PERSONNEL)
def officer_detail(request, pk: int):
    officer = get_object_or_404(officer_list_for_user(user=request.user), pk=pk)
    return render(
        request,
        "personnel/officer_detail.html",
        {
            "officer": officer,
            "history": officer.status_changes.select_related("by")[:SHOWN],
            # Each list as far as the reader may see it (the administrator reads the roster,
            # not the incidents an officer was sent to).
            "assignments": assignment_list_for_user(user=request.user)
            .filter(officer=officer)
            .order_by("-starts_at", "-id")[:SHOWN],
            "dispatches": Dispatch.objects.filter(
                officer=officer, incident__in=incident_list_for_user(user=request.user)
            )
            .select_related("incident__kelurahan")
            .order_by("-dispatched_at", "-id")[:SHOWN],
        },
    )
