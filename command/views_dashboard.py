"""Pages of the command dashboard and of the KPU liaison (docs/dashboard.md)."""

from django.conf import settings
from django.db.models import Max
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from command import charts
from command.dashboard import (
    DashboardFilterForm,
    cached,
    dash_filter_from,
    dashboard_stats,
    liaison_incidents,
    liaison_summary,
)
from command.incoming import incoming_list
from core.access import (
    CAN_OPEN_LIAISON_VIEW,
    CAN_PRINT_LIAISON_SUMMARY,
    OPERATIONAL,
    primary_role,
    role_required,
)
from core.context_processors import ROLE_LABELS
from incidents.models import (
    Alert,
    AlertLevel,
    AlertStatus,
    CrowdColour,
    IncidentStatus,
    IncidentType,
)
from incidents.selectors import alert_open_list, alert_report_refs, alert_rows
from logistics.selectors import convoy_board
from operations.mapdata import point_map_config
from operations.models import TpsCategory, TpsStatus
from operations.selectors import phase_current

FEED_SIZE = 40


def _map_i18n() -> dict:
    return {
        "layers": {
            "tps_cat": _("TPS menurut kerawanan"),
            "tps_status": _("TPS menurut status"),
            "posts": _("Pos dan kekuatan"),
            "incidents": _("Kejadian terbuka"),
            "alerts": _("Peringatan"),
            "labels": _("Nama wilayah"),
            "areas": _("Batas kelurahan"),
            "areas_approx": _("Batas kelurahan (perkiraan)"),
            "convoys": _("Konvoi logistik di jalan"),
        },
        "convoy": _("Konvoi"),
        "tps": _("TPS"),
        "status": _("status"),
        "category": _("kerawanan"),
        "open_detail": _("Buka rincian"),
        "post": _("Pos"),
        "strength": _("kekuatan terisi/dibutuhkan"),
        "incident": _("Kejadian"),
        "points": _("titik"),
        "exercise": _("LATIHAN"),
        "categories": {**dict(TpsCategory.choices), "khusus": _("khusus")},
        "statuses": dict(TpsStatus.choices),
        "colours": dict(CrowdColour.choices),
        "types": dict(IncidentType.choices),
        "incident_statuses": dict(IncidentStatus.choices),
        "alert_levels": dict(AlertLevel.choices),
    }


def _feed_i18n() -> dict:
    return {
        "connected": _("Terhubung"),
        "connecting": _("Menyambung…"),
        "offline": _("Terputus, menyambung ulang…"),
        "missed": _("peringatan masuk saat terputus"),
        "acknowledge": _("Terima"),
        "escalate": _("Eskalasi"),
        "late": _("terlambat"),
        "verify_in": _("verifikasi dalam"),
        "alarm_on": _("Alarm suara: nyala"),
        "alarm_off": _("Alarm suara: mati"),
        "close": _("Tutup"),
        "escalate_reason": _("Alasan eskalasi"),
        "close_reason": _("Hasil penanganan (mis. massa bubar, laporan palsu)"),
        "send": _("Kirim"),
        "cancel": _("Batal"),
        "reports": _("Laporan"),
        "escalation": _("eskalasi"),
        "overdue": _("terlambat diterima"),
        "failed": _("Gagal: coba lagi."),
        "empty": _("Tidak ada peringatan terbuka."),
        "alert_statuses": dict(AlertStatus.choices),
        # A dispatched officer's own report of a step (dispatch.progress pushes).
        "dispatch_steps": {
            "dikerahkan": _("dikerahkan"),
            "berangkat": _("berangkat"),
            "tiba": _("tiba di lokasi"),
            "selesai": _("selesai"),
        },
    }


def _map_config(*, liaison: bool) -> dict:
    return {
        "mapUrl": reverse("api-dashboard-map"),
        **point_map_config(),
        "centre": list(settings.LEAFLET_CONFIG["DEFAULT_CENTER"]),
        "liaison": liaison,
        "incidentUrl": "" if liaison else "/kejadian/{id}/",
        "tpsUrl": "/operasi/tps/{id}/",
    }


def _shown_filters(request) -> DashboardFilterForm:
    """The filter form as the page shows it: what was asked, the 24-hour window by default."""
    data = request.GET.copy()
    data.setdefault("window", "24")
    return DashboardFilterForm(data)


def _filter_or_400(request, template: str):
    f, errors = dash_filter_from(request.GET)
    if f is None:
        form = DashboardFilterForm(request.GET)
        form.is_valid()
        return None, render(request, template, {"form": form, "errors": errors}, status=400)
    return f, None


def _incoming_context() -> dict:
    return {"incoming": incoming_list(), "now": timezone.now()}


def _panel_context(f) -> dict:
    stats = cached(f"dash:stats-obj:{get_language()}:{f.query()}", lambda: dashboard_stats(f))
    return {
        "stats": stats,
        "f": f,
        "inc_chart": charts.hour_bars(stats["incidents_per_hour"]),
        "alert_chart": charts.hour_bars(stats["alerts_per_hour"]),
        "tps_status": charts.share_rows(stats["tps_by_status"]),
        "inc_colour": charts.share_rows(stats["incidents_by_colour"]),
        "inc_state": charts.share_rows(stats["incidents_by_status"]),
        "risk": charts.share_rows(stats["risk_by_kecamatan"], key="score"),
        "updated": timezone.localtime(),
    }


@require_GET
@role_required(*OPERATIONAL)
def dashboard(request):
    """The wall screen of the command post: map, live alert feed, counters and plots."""
    f, error = _filter_or_400(request, "operations/dashboard_bad_filter.html")
    if error:
        return error
    alerts = list(alert_open_list()[:FEED_SIZE])
    for alert in alerts:
        alert.report_refs = alert_report_refs(alert)
    # Where the feed's replay starts: the newest alert of all (open or not), so a reconnect
    # asks only for what came after this page was built.
    last_id = Alert.objects.aggregate(m=Max("id"))["m"] or 0
    config = _map_config(liaison=False) | {
        "panelUrl": reverse("dashboard-panel"),
        "incomingUrl": reverse("dashboard-incoming"),
        "convoyUrl": reverse("logistics-fragment"),
        "legUrl": reverse("leg-page", args=[0]).replace("/0/", "/{id}/"),
        "alertsUrl": reverse("alert-list"),
        "wsPath": "/ws/alerts/",
        "lastAlertId": last_id,
        # After this many seconds without a push the page asks for alerts above lastAlertId
        # (one cheap query): one lost between Redis and the socket still shows.
        "quietSeconds": settings.DASHBOARD_QUIET_SECONDS,
        "alerts": alert_rows([a.pk for a in alerts]),
        "wall": request.GET.get("dinding") == "1",
    }
    return render(
        request,
        "operations/dashboard.html",
        {
            "form": _shown_filters(request),
            "phase": phase_current(),
            "alerts": alerts,
            "config": config,
            "i18n": _map_i18n() | _feed_i18n(),
            **_incoming_context(),
            **_panel_context(f),
            "board": convoy_board(),
        },
    )


@require_GET
@role_required(*OPERATIONAL)
def dashboard_panel(request):
    """The counters and plots alone, for the page to refresh in place."""
    f, error = _filter_or_400(request, "operations/dashboard_bad_filter.html")
    if error:
        return error
    # Rendered once per filter and language every few seconds, shared by every screen.
    html = cached(
        f"dash:panel:{get_language()}:{f.query()}",
        lambda: render_to_string("operations/_dash_panel.html", _panel_context(f)),
    )
    return HttpResponse(html)


@require_GET
@role_required(*OPERATIONAL)
def dashboard_incoming(request):
    """The incoming queue alone (command/incoming.py), for the page to refresh in place."""
    html = cached(
        f"dash:incoming:{get_language()}",
        lambda: render_to_string("operations/_incoming.html", _incoming_context()),
    )
    return HttpResponse(html)


@require_GET
@role_required(*OPERATIONAL)
def dashboard_convoy(request):
    """The convoy board alone (logistics.selectors.convoy_board), for the page to refresh in
    place after a leg's push; shared by every screen like the panel."""
    html = cached(
        f"dash:convoy:{get_language()}",
        lambda: render_to_string("logistics/_board.html", {"board": convoy_board()}),
    )
    return HttpResponse(html)


def _liaison_context(request, f) -> dict:
    return {
        "summary": liaison_summary(f),
        "incidents": liaison_incidents(f),
        "phase": phase_current(),
        "now": timezone.localtime(),
        "f": f,
        "form": _shown_filters(request),
    }


@require_GET
@role_required(*CAN_OPEN_LIAISON_VIEW)
def liaison(request):
    """The KPU liaison's read-only view: TPS statuses, election incidents, per kecamatan."""
    f, error = _filter_or_400(request, "operations/dashboard_bad_filter.html")
    if error:
        return error
    context = _liaison_context(request, f)
    context["config"] = _map_config(liaison=True)
    # The liaison never sees exercises: not even the word is sent to his page.
    context["i18n"] = {k: v for k, v in _map_i18n().items() if k != "exercise"}
    context["tps_status"] = charts.share_rows(context["summary"]["tps_by_status"])
    return render(request, "operations/liaison.html", context)


@require_GET
@role_required(*CAN_PRINT_LIAISON_SUMMARY)
def liaison_print(request):
    """A printable, dated summary for the KPU/Bawaslu coordination meeting."""
    f, error = _filter_or_400(request, "operations/dashboard_bad_filter.html")
    if error:
        return error
    context = _liaison_context(request, f)
    # Who printed it, by function: the summary leaves the police, and carries no names.
    context["printed_by"] = ROLE_LABELS.get(primary_role(request.user), "")
    return render(request, "operations/liaison_print.html", context)
