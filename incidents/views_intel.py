"""Pages of intelligence work: the triage of public tips, and a Laporan Informasi's own page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.access import CAN_READ_INTEL, CAN_TRIAGE_TIPS, role_required, user_has_role
from incidents import triage
from incidents.models import (
    AlertLevel,
    CrowdColour,
    EwScore,
    IncidentType,
    IntelField,
    IntelReport,
    Tip,
)
from operations.models import Kelurahan


def _tip_filters(request) -> tuple[dict, dict]:
    shown = {
        "status": request.GET.get("status", Tip.Status.BARU),
        "level": request.GET.get("level", ""),
        "q": request.GET.get("q", "").strip()[:100],
    }
    lookups = {}
    if shown["status"] in Tip.Status.values:
        lookups["status"] = shown["status"]
    else:
        shown["status"] = ""
    if shown["level"] not in AlertLevel.values:
        shown["level"] = ""
    return shown, lookups


def _triage_post(request) -> str:
    """One triage step from the page's forms; the message to show."""
    tip = get_object_or_404(Tip, pk=request.POST.get("tip") or 0)
    op = request.POST.get("op")
    note = request.POST.get("note", "")
    if op == "noise":
        triage.tip_mark_noise(tip=tip, by=request.user, note=note)
        return _("Informasi #%(n)d ditandai bukan ancaman.") % {"n": tip.pk}
    if op == "incident":
        name = request.POST.get("kelurahan", "")
        kelurahan = Kelurahan.objects.filter(name=name).first() if name else None
        incident = triage.tip_promote_incident(
            tip=tip,
            by=request.user,
            type=request.POST.get("type", ""),
            colour=request.POST.get("colour", ""),
            kelurahan=kelurahan,
            note=note,
        )
        return _("Informasi #%(n)d menjadi kejadian #%(i)d.") % {"n": tip.pk, "i": incident.pk}
    if op == "intel":
        report = triage.tip_promote_intel(
            tip=tip,
            by=request.user,
            subject=request.POST.get("subject", ""),
            field=request.POST.get("field", ""),
            note=note,
        )
        return _("Informasi #%(n)d menjadi laporan informasi #%(i)d.") % {
            "n": tip.pk,
            "i": report.pk,
        }
    raise ValidationError({"op": _("Tindakan tidak dikenal.")})


@role_required(*CAN_READ_INTEL)
def tip_triage(request):
    """Public tips with their score and reasons, filtered; promote or mark noise."""
    can_triage = user_has_role(request.user, CAN_TRIAGE_TIPS)
    status = 200
    if request.method == "POST":
        if not can_triage:
            raise PermissionDenied
        try:
            messages.success(request, _triage_post(request))
            return redirect(request.get_full_path())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
    shown, lookups = _tip_filters(request)
    tips = Tip.objects.filter(**lookups).select_related(
        "kelurahan", "triaged_by", "promoted_incident", "promoted_intel"
    )
    if shown["level"]:
        # The level the page shows: the newest score's (a tip may have been scored again).
        newest = EwScore.objects.filter(tip=OuterRef("pk")).values("level")[:1]
        tips = tips.annotate(level_now=Subquery(newest)).filter(level_now=shown["level"])
    if shown["q"]:
        tips = tips.filter(text__icontains=shown["q"])
    # EwScore's own ordering puts a report's newest score first.
    tips = tips.prefetch_related("scores").order_by("-created_at", "-id")
    page = Paginator(tips, 25).get_page(request.GET.get("page"))
    for tip in page:
        scores = list(tip.scores.all())
        tip.score_row = scores[0] if scores else None
    return render(
        request,
        "incidents/tips.html",
        {
            "page": page,
            "shown": shown,
            "statuses": Tip.Status.choices,
            "levels": AlertLevel.choices,
            "can_triage": can_triage,
            "types": IncidentType.choices,
            "colours": CrowdColour.choices,
            "fields": IntelField.choices,
            "kelurahan": Kelurahan.objects.order_by("name"),
        },
        status=status,
    )


@role_required(*CAN_READ_INTEL)
def intel_detail(request, pk: int):
    """One Laporan Informasi: source and grading, the facts, the opinion, its scores."""
    report = get_object_or_404(
        IntelReport.objects.select_related("author", "kelurahan", "tps").prefetch_related("scores"),
        pk=pk,
    )
    return render(
        request,
        "incidents/intel_detail.html",
        {"report": report, "scores": list(report.scores.all())},
    )
