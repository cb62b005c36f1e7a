"""Template context shared by every page: the navigation for the user's roles."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.access import (
    CAN_ADMINISTER,
    CAN_IMPORT_EXPORT_CSV,
    CAN_OPEN_ESCORT_PAGES,
    CAN_OPEN_FIELD_LANDING,
    CAN_OPEN_INCIDENT_PAGES,
    CAN_OPEN_INTEL_LANDING,
    CAN_OPEN_LIAISON_VIEW,
    CAN_OPEN_TPS_PAGES,
    CAN_PLAN_DEPLOYMENT,
    CAN_READ_AUDIT,
    CAN_READ_EXERCISES,
    CAN_READ_INTEL,
    CAN_READ_LOGISTICS,
    CAN_READ_PERSONNEL,
    CAN_READ_RECAP,
    CAN_READ_SITREP,
    CAN_TUNE_EARLY_WARNING,
    NAV_API_DOCS,
    NAV_REPORT_FORM,
    OPERATIONAL,
    Role,
    primary_role,
    user_roles,
)

# (url name, label, roles that see the link): the set the page itself is guarded by, but for
# the two links the menu offers to fewer roles (core.access NAV_*).
NAV = [
    ("dashboard", _("Dasbor"), OPERATIONAL),
    ("landing-intel", _("Intelijen"), CAN_OPEN_INTEL_LANDING),
    ("landing-lapangan", _("Tugas Saya"), CAN_OPEN_FIELD_LANDING),
    ("landing-kpu", _("Status Pengamanan"), CAN_OPEN_LIAISON_VIEW),
    ("landing-admin", _("Pengelolaan"), CAN_ADMINISTER),
    ("account-list", _("Akun"), CAN_ADMINISTER),
    ("strength", _("Kekuatan"), CAN_READ_PERSONNEL),
    ("roster", _("Personel"), CAN_READ_PERSONNEL),
    ("bko", _("BKO"), CAN_READ_PERSONNEL),
    ("tps-page", _("TPS"), CAN_OPEN_TPS_PAGES),
    ("incident-page", _("Kejadian"), CAN_OPEN_INCIDENT_PAGES),
    ("intel-page", _("Laporan Informasi"), CAN_READ_INTEL),
    ("tip-triage", _("Informasi Masyarakat"), CAN_READ_INTEL),
    ("ew-console", _("Peringatan Dini"), CAN_TUNE_EARLY_WARNING),
    ("report-form", _("Lapor"), NAV_REPORT_FORM),
    ("escort-legs", _("Pengawalan"), CAN_OPEN_ESCORT_PAGES),
    ("logistics-board", _("Logistik"), CAN_READ_LOGISTICS),
    ("recap-page", _("Rekapitulasi"), CAN_READ_RECAP),
    ("planner", _("Perencanaan"), CAN_PLAN_DEPLOYMENT),
    ("sitrep", _("Laporan Situasi"), CAN_READ_SITREP),
    ("exercise-list", _("Latihan"), CAN_READ_EXERCISES),
    ("csv-import", _("Impor"), CAN_IMPORT_EXPORT_CSV),
    ("audit-trail", _("Jejak Audit"), CAN_READ_AUDIT),
    ("swagger-ui", _("API"), NAV_API_DOCS),
]

ROLE_LABELS = {
    Role.KOMANDO: _("Pos Komando"),
    Role.INTEL: _("Intelijen"),
    Role.LAPANGAN: _("Petugas Lapangan"),
    Role.PENGHUBUNG_KPU: _("Penghubung KPU"),
    Role.ADMIN: _("Administrator"),
}


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    roles = user_roles(user)
    if not roles:
        return {"nav_items": [], "role_label": ""}
    path = request.path
    items = []
    for name, label, allowed in NAV:
        if roles & allowed:
            url = reverse(name)
            items.append({"url": url, "label": label, "active": False})
    # The one link the page is under: the longest match (/personel/bko/ is BKO, not Personel).
    under = [i for i in items if path.startswith(i["url"])]
    if under:
        max(under, key=lambda i: len(i["url"]))["active"] = True
    role = primary_role(user)
    return {"nav_items": items, "role_label": ROLE_LABELS.get(role, "")}
