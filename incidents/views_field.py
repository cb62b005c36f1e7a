"""The field officer's TPS return as a form (the app queues it in the phone's outbox and sends it
to POST /api/v1/tps-returns/; without JavaScript the form posts here). Only the TPS of a post he
is assigned to now is offered, and tps_return_check refuses any other, here as on the API."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import CAN_FILE_ANY_TPS_RETURN, CAN_FILE_TPS_RETURNS, role_required, user_has_role
from incidents import tps_returns
from incidents.idempotency import IdempotencyKeyRefused, idempotency_key_check
from operations.models import Assignment, Tps, TpsStatus

INCIDENTS_NONE = "tidak_ada"
INCIDENTS_SOME = "ada"


def tps_for_officer(user):
    """The TPS `user` may file returns for: those of his posts now; all for the command post."""
    if user_has_role(user, CAN_FILE_ANY_TPS_RETURN):
        return Tps.objects.select_related("kelurahan").order_by("kelurahan__name", "number")
    return tps_assigned_now(user)


def tps_assigned_now(user):
    """The TPS of the posts `user` is assigned to now (an active assignment in its window)."""
    now = timezone.now()
    posts = Assignment.objects.filter(
        officer__user=user,
        status=Assignment.Status.ACTIVE,
        starts_at__lte=now,
        ends_at__gt=now,
        post__is_active=True,
    ).values("post")
    return (
        Tps.objects.filter(posts__in=posts)
        .select_related("kelurahan")
        .distinct()
        .order_by("kelurahan__name", "number")
    )


def _note(post) -> str:
    note = post.get("note", "").strip()
    if post.get("incidents") == INCIDENTS_SOME:
        note = (_("Ada kejadian.") + " " + note).strip()
    elif post.get("incidents") == INCIDENTS_NONE:
        note = (_("Tidak ada kejadian.") + " " + note).strip()
    return note[:500]


@role_required(*CAN_FILE_TPS_RETURNS)
def tps_return_form(request):
    choices = tps_for_officer(request.user)
    errors = {}
    if request.method == "POST":
        try:
            tps_id = int(request.POST.get("tps", ""))
        except ValueError:
            tps_id = None
        status = request.POST.get("status", "")
        try:
            key = idempotency_key_check(request.POST.get("idempotency_key"), required=False)
            record, _created = tps_returns.tps_return_file(
                by=request.user, tps_id=tps_id, status=status, note=_note(request.POST), key=key
            )
        except IdempotencyKeyRefused as refused:
            errors = {"tps": refused.message}
        except PermissionDenied as exc:
            errors = {"tps": str(exc)}
        except ValidationError as exc:
            errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
        else:
            messages.success(request, _("Laporan TPS terkirim #%(id)s.") % {"id": record.pk})
            return redirect("tps-return-form")
    return render(
        request,
        "incidents/tps_return_form.html",
        {
            "tps_list": choices,
            "statuses": [(s.value, TpsStatus(s).label) for s in tps_returns.TPS_RETURN_ORDER],
            "key": str(uuid.uuid4()),
            "errors": errors,
            "values": request.POST if request.method == "POST" else {},
        },
        status=400 if errors else 200,
    )
