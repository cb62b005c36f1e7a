"""Template context shared by every page: the navigation for the user's roles."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.access import Role, primary_role, user_roles

# (url name, label, roles that see the link)
NAV = [
    ("dashboard", _("Dasbor"), {Role.KOMANDO, Role.INTEL}),
    ("landing-intel", _("Intelijen"), {Role.INTEL}),
    ("landing-lapangan", _("Tugas Saya"), {Role.LAPANGAN}),
    ("landing-kpu", _("Status Pengamanan"), {Role.PENGHUBUNG_KPU}),
    ("landing-admin", _("Pengelolaan"), {Role.ADMIN}),
    ("strength", _("Kekuatan"), {Role.KOMANDO, Role.INTEL, Role.ADMIN}),
    ("roster", _("Personel"), {Role.KOMANDO, Role.INTEL, Role.ADMIN}),
    ("tps-page", _("TPS"), {Role.KOMANDO, Role.INTEL, Role.ADMIN, Role.PENGHUBUNG_KPU}),
    ("incident-page", _("Kejadian"), {Role.KOMANDO, Role.INTEL}),
    ("intel-page", _("Laporan Informasi"), {Role.KOMANDO, Role.INTEL}),
    ("ew-console", _("Peringatan Dini"), {Role.KOMANDO, Role.INTEL}),
    ("report-form", _("Lapor"), {Role.LAPANGAN}),
    ("planner", _("Perencanaan"), {Role.KOMANDO}),
    ("sitrep", _("Laporan Situasi"), {Role.KOMANDO, Role.INTEL, Role.PENGHUBUNG_KPU}),
    ("exercise-list", _("Latihan"), {Role.KOMANDO, Role.INTEL, Role.ADMIN}),
    ("csv-import", _("Impor"), {Role.KOMANDO, Role.ADMIN}),
    ("audit-trail", _("Jejak Audit"), {Role.ADMIN, Role.KOMANDO}),
    ("swagger-ui", _("API"), {Role.ADMIN, Role.KOMANDO, Role.INTEL}),
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
            items.append({"url": url, "label": label, "active": path.startswith(url)})
    role = primary_role(user)
    return {"nav_items": items, "role_label": ROLE_LABELS.get(role, "")}
