"""Incident pages: the field officer's report form (phone first), the command post's list and
the incident page where it verifies, dispatches, escalates and closes."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.access import (
    CAN_FILE_FIELD_REPORTS,
    CAN_OPEN_INCIDENT_PAGES,
    CAN_READ_EVIDENCE_PHOTOS,
    CAN_READ_INTEL,
    CAN_READ_ORIGINAL_PHOTOS,
    CAN_RESPOND_TO_INCIDENTS,
    role_required,
    user_has_role,
)
from core.clientaddr import client_hash as client_hash_of
from core.palette import LEVELS
from core.uploads import accepts_uploads
from incidents import photos, services
from incidents.idempotency import IdempotencyKeyRefused, idempotency_key_check
from incidents.inputs import IncidentCreateSerializer, IntelSerializer
from incidents.models import (
    ControlLevel,
    CrowdColour,
    Dispatch,
    GakkumduReferral,
    IncidentEvent,
    IncidentStatus,
    IncidentType,
    IntelField,
    IntelReport,
    UseOfForce,
)
from incidents.selectors import (
    DISPATCH_STEP_LABELS,
    dispatch_suggestions,
    incident_dispatches_for_user,
    incident_list_for_user,
    incident_photo_get_for_user,
    incident_timeline_for_user,
    timeline_labelled,
)
from incidents.views_field import tps_assigned_now
from operations.mapdata import point_map_config
from operations.models import Kelurahan, Post, Tps

ACTION_LABELS = {
    "verify": gettext_lazy("Verifikasi"),
    "reject": gettext_lazy("Tolak (dengan alasan)"),
    "handle": gettext_lazy("Tangani"),
    "close": gettext_lazy("Selesaikan"),
    "reopen": gettext_lazy("Buka kembali (dengan alasan)"),
}


def _form_context(request, errors=None, values=None) -> dict:
    assigned = list(tps_assigned_now(request.user))
    return {
        "assigned_tps": assigned,
        "assigned_ids": {t.pk for t in assigned},
        "types": IncidentType.choices,
        "colours": CrowdColour.choices,
        "tps_list": Tps.objects.select_related("kelurahan").order_by("kelurahan__name", "number"),
        "posts": Post.objects.filter(is_active=True).exclude(kind="tps").order_by("name"),
        "kelurahan": Kelurahan.objects.order_by("name"),
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "key": str(uuid.uuid4()),
        "errors": errors or {},
        "values": values or {},
        "photo_max_mb": photos.PHOTO_MAX_BYTES // (1024 * 1024),
        "map_data": {
            "tiles": settings.MAP_TILE_URL,
            "centre": settings.LEAFLET_CONFIG["DEFAULT_CENTER"],
            "kelurahan": list(Kelurahan.objects.values("name", "lat", "lon")),
        },
    }


@role_required(*CAN_FILE_FIELD_REPORTS)
@accepts_uploads("photos")
def report_form(request):
    """The report form. With JavaScript it keeps a draft on the phone and sends through the API
    (retrying until the network answers); without, this view takes the POST itself."""
    if request.method != "POST":
        return render(request, "incidents/report_form.html", _form_context(request))
    data = request.POST.copy()
    for field in ("tps", "post", "kelurahan", "lat", "lon", "crowd_size"):
        if data.get(field, "") == "":
            data.pop(field, None)
    if not data.get("idempotency_key", "").strip():
        return HttpResponseBadRequest(_("Formulir tanpa kunci pengiriman; muat ulang halaman."))
    try:
        key = idempotency_key_check(data.get("idempotency_key"))
    except IdempotencyKeyRefused as refused:
        return HttpResponseBadRequest(refused.message)
    body = IncidentCreateSerializer(data=data)
    if not body.is_valid():
        errors = {k: " ".join(str(e) for e in v) for k, v in body.errors.items()}
        return render(
            request,
            "incidents/report_form.html",
            _form_context(request, errors, request.POST),
            status=400,
        )
    # The photos are checked (bytes, declared pixels, type from content) before the report is
    # filed: a refused photo sends the form back with the officer's text, nothing half-filed.
    photo_errors = []
    for upload in request.FILES.getlist("photos")[:5]:
        try:
            photos.photo_check(upload=upload)
        except ValidationError as exc:
            photo_errors.extend(exc.messages)
    if photo_errors:
        return render(
            request,
            "incidents/report_form.html",
            _form_context(request, {"photos": " ".join(photo_errors)}, request.POST),
            status=400,
        )
    fingerprint = services.request_fingerprint(
        {k: (v.pk if hasattr(v, "pk") else v) for k, v in body.validated_data.items()}
    )
    try:
        incident, created = services.incident_create(
            by=request.user,
            data=dict(body.validated_data),
            idempotency_key=key,
            fingerprint=fingerprint,
        )
    except services.IdempotencyConflict:
        return HttpResponseBadRequest(_("Kunci pengiriman sudah dipakai untuk laporan lain."))
    photo_errors = []
    if created:
        for upload in request.FILES.getlist("photos")[:5]:
            try:
                photos.photo_add(incident=incident, by=request.user, upload=upload)
            except ValidationError as exc:
                photo_errors.extend(exc.messages)
    messages.success(request, _("Laporan #%(n)d terkirim.") % {"n": incident.pk})
    for error in photo_errors:
        messages.warning(request, error)
    return redirect("home")


@role_required(*CAN_OPEN_INCIDENT_PAGES)
def incident_list(request):
    qs = incident_list_for_user(user=request.user).select_related("kelurahan__kecamatan")
    status = request.GET.get("status", "open")
    colour = request.GET.get("colour", "")
    if status == "open":
        qs = qs.filter(
            status__in=[IncidentStatus.BARU, IncidentStatus.DIVERIFIKASI, IncidentStatus.DITANGANI]
        )
    elif status in IncidentStatus.values:
        qs = qs.filter(status=status)
    if colour in CrowdColour.values:
        qs = qs.filter(colour=colour)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/incident_list.html",
        {
            "page": page,
            "statuses": IncidentStatus.choices,
            "colours": CrowdColour.choices,
            "selected": {"status": status, "colour": colour},
        },
    )


@role_required(*CAN_OPEN_INCIDENT_PAGES)
def incident_detail(request, pk: int):
    qs = (
        incident_list_for_user(user=request.user)
        .prefetch_related(
            Prefetch("events", queryset=IncidentEvent.objects.select_related("by")),
            Prefetch("dispatches", queryset=Dispatch.objects.select_related("officer")),
            Prefetch("force_log", queryset=UseOfForce.objects.select_related("recorded_by")),
            "referrals",
            "photos",
        )
        .select_related("reporter", "kelurahan__kecamatan", "tps", "post")
    )
    incident = get_object_or_404(qs, pk=pk)
    can_act = user_has_role(request.user, CAN_RESPOND_TO_INCIDENTS)
    if request.method == "POST":
        if not can_act:
            return render(request, "403.html", status=403)
        try:
            note = services.incident_act(
                incident=incident,
                by=request.user,
                op=request.POST.get("op", ""),
                fields=request.POST.dict(),
                officer_ids=request.POST.getlist("officers"),
            )
            if note:
                messages.info(request, note)
            messages.success(request, _("Tersimpan."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("incident-page-detail", pk=incident.pk)
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "incident": incident,
            "can_act": can_act,
            "can_read_original": user_has_role(request.user, CAN_READ_ORIGINAL_PHOTOS),
            "timeline": timeline_labelled(
                incident_timeline_for_user(user=request.user, incident=incident)
            ),
            "dispatches": _with_open_steps(
                incident_dispatches_for_user(user=request.user, incident=incident)
            ),
            "suggestions": dispatch_suggestions(incident=incident) if can_act else None,
            "actions": [
                (a, ACTION_LABELS[a])
                for a, (frm, _to) in services.TRANSITIONS.items()
                if incident.status in frm
            ],
            "colours": CrowdColour.choices,
            "controls": ControlLevel.choices,
            "stages": UseOfForce.Stage.choices,
            "categories": GakkumduReferral.Category.choices,
            "force_response": services.COLOUR_RESPONSE[incident.colour][0],
            "point_map": point_map_config(),
            "map_colour": LEVELS.get(incident.colour, ""),
        },
    )


def _with_open_steps(dispatches: list) -> list:
    """Each dispatch with the steps still to record (a recorded one is not offered again)."""
    for d in dispatches:
        d.open_steps = [
            (step, DISPATCH_STEP_LABELS[step])
            for step, field in services.DISPATCH_STEPS.items()
            if getattr(d, field) is None
        ]
    return dispatches


@role_required(*CAN_READ_EVIDENCE_PHOTOS)
def incident_photo(request, pk: int):
    """An evidence photo, the copy without metadata: the only way a photo leaves the server
    (MEDIA_ROOT is never served). Who may: incident_photo_get_for_user."""
    photo = incident_photo_get_for_user(user=request.user, pk=pk)
    return photos.photo_response(photo, photo.display)


@role_required(*CAN_READ_ORIGINAL_PHOTOS)
def incident_photo_original(request, pk: int):
    """The original as received (EXIF and GPS included), for the command post and Gakkumdu."""
    photo = incident_photo_get_for_user(user=request.user, pk=pk, original=True)
    return photos.photo_response(photo, photo.original)


TIP_FORM_LIMIT = 5  # tips per client per 10 minutes through the public form


def tip_form(request):
    """The public's form (no login): the Kapolres asked citizens for information."""
    context = {"kelurahan": Kelurahan.objects.order_by("name"), "values": {}, "errors": {}}
    if request.method != "POST":
        return render(request, "incidents/tip_form.html", context)
    client_hash = client_hash_of(request)
    key = f"tip-form:{client_hash}"
    count = cache.get(key, 0)
    if count >= TIP_FORM_LIMIT:
        context["errors"] = {"text": _("Terlalu banyak kiriman; coba lagi beberapa menit lagi.")}
        return render(request, "incidents/tip_form.html", context, status=429)
    kel = Kelurahan.objects.filter(name=request.POST.get("kelurahan", "")).first()
    data = {
        "text": request.POST.get("text", ""),
        "place": request.POST.get("place", ""),
        "contact": request.POST.get("contact", ""),
        "kelurahan": kel,
    }
    try:
        services.tip_create(data=data, client_hash=client_hash)
    except ValidationError as exc:
        context["values"] = request.POST
        context["errors"] = {k: " ".join(v) for k, v in exc.message_dict.items()}
        return render(request, "incidents/tip_form.html", context, status=400)
    cache.set(key, count + 1, timeout=600)
    return render(request, "incidents/tip_form.html", {**context, "sent": True})


@role_required(*CAN_READ_INTEL)
def intel_page(request):
    """Laporan Informasi: the list with each report's score, and the form to file one."""
    errors, values = {}, {}
    if request.method == "POST":
        data = request.POST.copy()
        for field in ("kelurahan", "tps", "lat", "lon"):
            if data.get(field, "") == "":
                data.pop(field, None)
        body = IntelSerializer(data=data)
        if body.is_valid():
            report = services.intel_create(by=request.user, data=dict(body.validated_data))
            messages.success(
                request, _("Laporan informasi #%(n)d disimpan; sedang dinilai.") % {"n": report.pk}
            )
            return redirect("intel-page")
        errors = {k: " ".join(str(e) for e in v) for k, v in body.errors.items()}
        values = request.POST
    reports = (
        IntelReport.objects.select_related("author", "kelurahan")
        .prefetch_related("scores")
        .order_by("-created_at", "-id")
    )
    page = Paginator(reports, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/intel.html",
        {
            "page": page,
            "errors": errors,
            "values": values,
            "fields": IntelField.choices,
            "kelurahan": Kelurahan.objects.order_by("name"),
            "grades": "ABCDEF",
            "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
        status=400 if errors else 200,
    )
