"""Roles and the one place where access is decided.

Every HTML view is wrapped by `role_required` (or `RoleRequiredMixin`) and every API view names its
roles for `RolePermission`; per-object checks live in each model's `<model>_get_for_user` access
function. docs/roles.md is the matrix; tests/test_roles_matrix.py holds every URL to it.
"""

from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission


class Role(StrEnum):
    KOMANDO = "komando"
    INTEL = "intel"
    LAPANGAN = "lapangan"
    PENGHUBUNG_KPU = "penghubung_kpu"
    ADMIN = "admin"


# --- Role sets: every one is named here, once, and imported where it is used -----------------
# A set says who may do one thing. Two sets with the same members keep two names when they are
# two permissions (they may part one day); tests/test_access_sets.py fails on a set of roles
# written anywhere else. Views take them unpacked (`role_required(*CAN_X)`), APIs as they are
# (`read_roles = CAN_X`), checks through `user_has_role(user, CAN_X)`.

ALL_ROLES: frozenset[str] = frozenset(Role)
# The operational side (the command post and intelligence): the dashboard, its live alert feed
# and the exercise banner.
OPERATIONAL: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
# Who may correct early-warning scores, train, backtest and activate engine versions: those
# who may read the intelligence the engine scores (never the administrator or the liaison).
CAN_TUNE_EARLY_WARNING: frozenset[str] = OPERATIONAL

# Landing pages and the administration page.
CAN_OPEN_COMMAND_LANDING: frozenset[str] = frozenset({Role.KOMANDO})
CAN_OPEN_INTEL_LANDING: frozenset[str] = frozenset({Role.INTEL})
CAN_OPEN_FIELD_LANDING: frozenset[str] = frozenset({Role.LAPANGAN})
CAN_ADMINISTER: frozenset[str] = frozenset({Role.ADMIN})
CAN_READ_AUDIT: frozenset[str] = frozenset({Role.ADMIN, Role.KOMANDO})
# Who signs in with a second factor (TOTP) when OTP_REQUIRED is on: those who command and
# those who manage accounts (core/second_factor.py).
NEEDS_SECOND_FACTOR: frozenset[str] = frozenset({Role.KOMANDO, Role.ADMIN})
# Menu links shown to fewer roles than the page admits: the report form is the field
# officer's (komando may file too, from the incident pages); the API docs are open to every
# signed-in role (IsSignedIn) but offered in the menu to these.
NAV_REPORT_FORM: frozenset[str] = frozenset({Role.LAPANGAN})
NAV_API_DOCS: frozenset[str] = frozenset({Role.ADMIN, Role.KOMANDO, Role.INTEL})

# Personnel.
# The roster in full, units, BKO and the strength (kekuatan); the liaison never (personal data).
CAN_READ_PERSONNEL: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL, Role.ADMIN})
# The officers API: the above see everyone, a field officer himself (officer_list_for_user).
CAN_READ_OFFICERS: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL, Role.ADMIN, Role.LAPANGAN})
# officer_list_for_user: who sees every officer, not only himself.
CAN_READ_ALL_OFFICERS: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL, Role.ADMIN})
# Add and edit officers, set their status.
CAN_MANAGE_PERSONNEL: frozenset[str] = frozenset({Role.KOMANDO, Role.ADMIN})
# Request and decide BKO reinforcements, check contingents in, release them.
CAN_MANAGE_BKO: frozenset[str] = frozenset({Role.KOMANDO})
# CSV import, and the officer and TPS exports.
CAN_IMPORT_EXPORT_CSV: frozenset[str] = frozenset({Role.KOMANDO, Role.ADMIN})

# Operations: TPS, posts, assignments, the planner.
CAN_OPEN_TPS_PAGES: frozenset[str] = frozenset(
    {Role.KOMANDO, Role.INTEL, Role.ADMIN, Role.PENGHUBUNG_KPU}
)
CAN_ADD_TPS: frozenset[str] = frozenset({Role.KOMANDO, Role.ADMIN})
# Set a TPS's vulnerability indicators and override its category.
CAN_SET_TPS_VULNERABILITY: frozenset[str] = frozenset({Role.KOMANDO})
# The reason for a category set by hand may rest on intelligence: not for the liaison.
CAN_READ_OVERRIDE_REASON: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL, Role.ADMIN})
# Posts with their strength (counts only, no names: the liaison may read them).
CAN_READ_POSTS: frozenset[str] = frozenset(
    {Role.KOMANDO, Role.INTEL, Role.ADMIN, Role.PENGHUBUNG_KPU}
)
# The assignments API: the above see all, a field officer his own (assignment_list_for_user).
CAN_READ_ASSIGNMENTS: frozenset[str] = frozenset(
    {Role.KOMANDO, Role.INTEL, Role.ADMIN, Role.LAPANGAN}
)
# assignment_list_for_user: who sees every assignment, not only his own.
CAN_READ_ALL_ASSIGNMENTS: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL, Role.ADMIN})
# Create posts, assign officers by hand, cancel assignments.
CAN_DEPLOY: frozenset[str] = frozenset({Role.KOMANDO})
# Run the deployment planner, review and accept its plans.
CAN_PLAN_DEPLOYMENT: frozenset[str] = frozenset({Role.KOMANDO})

# Operations: the dashboard's API, the liaison view, situation reports, exercises.
CAN_READ_SITUATION_MAP: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL, Role.PENGHUBUNG_KPU})
CAN_READ_LIAISON_SUMMARY: frozenset[str] = frozenset(
    {Role.KOMANDO, Role.INTEL, Role.PENGHUBUNG_KPU}
)
CAN_OPEN_LIAISON_VIEW: frozenset[str] = frozenset({Role.PENGHUBUNG_KPU})
CAN_PRINT_LIAISON_SUMMARY: frozenset[str] = frozenset({Role.PENGHUBUNG_KPU, Role.KOMANDO})
CAN_READ_SITREP: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL, Role.PENGHUBUNG_KPU})
# Who gets the full situation report (or may choose the partner one); everyone else with
# CAN_READ_SITREP always gets the partner version.
CAN_READ_FULL_SITREP: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
CAN_READ_EXERCISES: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL, Role.ADMIN})
CAN_READ_EXERCISE_RUNS: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
CAN_EDIT_SCENARIOS: frozenset[str] = frozenset({Role.ADMIN, Role.KOMANDO})
# Recapitulation sites (operations.recap): the sessions with crowd and guard counts (no names),
# and who records their status.
CAN_READ_RECAP: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL, Role.PENGHUBUNG_KPU})
CAN_UPDATE_RECAP: frozenset[str] = frozenset({Role.KOMANDO})
# Start and stop exercise runs.
CAN_RUN_EXERCISES: frozenset[str] = frozenset({Role.KOMANDO})

# Incidents and TPS returns.
# The incidents API, each role scoped by incident_list_for_user.
CAN_READ_INCIDENTS: frozenset[str] = frozenset(
    {Role.KOMANDO, Role.INTEL, Role.LAPANGAN, Role.PENGHUBUNG_KPU}
)
# incident_list_for_user: who sees every incident.
CAN_READ_ALL_INCIDENTS: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
# The command post's incident list and incident page.
CAN_OPEN_INCIDENT_PAGES: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
CAN_READ_INCIDENT_STATS: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
# Read the use-of-force log; appending to it is CAN_RESPOND_TO_INCIDENTS.
CAN_READ_FORCE_LOG: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
# File an incident report (and add its photos): the report form and the API.
CAN_FILE_FIELD_REPORTS: frozenset[str] = frozenset({Role.LAPANGAN, Role.KOMANDO})
# Who reads an incident's timeline whole (incident_timeline_for_user): use-of-force entries and
# their justification, Gakkumdu referrals, and other officers' identities (NRP, names, who
# acted). A field officer reads his own report's timeline without them.
CAN_READ_FULL_TIMELINE: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
# Evidence photos (incident_photo_get_for_user): the copy without metadata to those who read the
# incident (a field officer his own); the original, with its GPS, to the command post only. The
# liaison and the administrator never.
CAN_READ_EVIDENCE_PHOTOS: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL, Role.LAPANGAN})
CAN_READ_ORIGINAL_PHOTOS: frozenset[str] = frozenset({Role.KOMANDO})
# The response: verify, colour, control, dispatch, mark steps, use of force, Gakkumdu.
CAN_RESPOND_TO_INCIDENTS: frozenset[str] = frozenset({Role.KOMANDO})
# The TPS returns API, scoped by tps_return_list_for_user.
CAN_READ_TPS_RETURNS: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL, Role.LAPANGAN})
# tps_return_list_for_user: who sees every return; and the list of overdue TPS.
CAN_READ_ALL_TPS_RETURNS: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
CAN_FILE_TPS_RETURNS: frozenset[str] = frozenset({Role.LAPANGAN, Role.KOMANDO})
# tps_return_check: who files any TPS (the others only a TPS of a post they are assigned to
# now), and who may move a TPS backwards in the polling-day order (with a reason).
CAN_FILE_ANY_TPS_RETURN: frozenset[str] = frozenset({Role.KOMANDO})
CAN_CORRECT_TPS_RETURNS: frozenset[str] = frozenset({Role.KOMANDO})

# The field officer's own duty loop ("Tugas saya", /api/v1/me/... and a dispatch's progress):
# always the officer himself (his account's Officer); the command post marks steps on his
# behalf with CAN_RESPOND_TO_INCIDENTS and sets statuses with CAN_MANAGE_PERSONNEL.
CAN_READ_OWN_DUTY: frozenset[str] = frozenset({Role.LAPANGAN})
CAN_REPORT_OWN_DISPATCH: frozenset[str] = frozenset({Role.LAPANGAN})
CAN_REPORT_OWN_STATUS: frozenset[str] = frozenset({Role.LAPANGAN})
CAN_CHECK_IN: frozenset[str] = frozenset({Role.LAPANGAN})

# Early warning: intelligence reports, public tips, alerts, the engine's configuration.
# Intelligence reports and public tips (the page, the API).
CAN_READ_INTEL: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
CAN_FILE_INTEL: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
# Promote a public tip to an incident or an LI, or mark it noise (incidents/triage.py).
CAN_TRIAGE_TIPS: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
CAN_READ_ALERTS: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
# Acknowledge, escalate and close alerts.
CAN_HANDLE_ALERTS: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
# The engine's lexicon, weights and thresholds (versioned).
CAN_CONFIGURE_EARLY_WARNING: frozenset[str] = frozenset({Role.ADMIN})

# Election logistics under escort (logistics/): the plan, the custody trail, the board.
# The board and the legs with their custody trail: the liaison too, without any person's name
# (leg_rows_for_user drops them); escorts, commanders and receivers by name to these.
CAN_READ_LOGISTICS: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL, Role.PENGHUBUNG_KPU})
CAN_READ_LOGISTICS_NAMES: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
# The legs API: the above all legs, a field officer those he escorts (leg_list_for_user).
CAN_READ_LEGS: frozenset[str] = frozenset(
    {Role.KOMANDO, Role.INTEL, Role.PENGHUBUNG_KPU, Role.LAPANGAN}
)
# Import and export the plan (the KPU's schedule), set a leg's escort.
CAN_PLAN_LOGISTICS: frozenset[str] = frozenset({Role.KOMANDO})
# Record custody (departed, arrived, handed over...): a field officer on the leg's escort
# (custody_check), the command post for any leg (a commander's radio call taken down).
CAN_RECORD_CUSTODY: frozenset[str] = frozenset({Role.LAPANGAN, Role.KOMANDO})
CAN_RECORD_ANY_CUSTODY: frozenset[str] = frozenset({Role.KOMANDO})
# The escort's own legs on his phone.
CAN_OPEN_ESCORT_PAGES: frozenset[str] = frozenset({Role.LAPANGAN})
# Handover photos: the command post, and the escort of that leg (custody_photo_get_for_user).
CAN_READ_CUSTODY_PHOTOS: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL, Role.LAPANGAN})

# Where each role lands after login; the first role in this order wins for a user with several.
LANDING = {
    Role.KOMANDO: "dashboard",
    Role.INTEL: "landing-intel",
    Role.LAPANGAN: "landing-lapangan",
    Role.PENGHUBUNG_KPU: "landing-kpu",
    Role.ADMIN: "landing-admin",
}


def user_roles(user) -> frozenset[str]:
    """The roles of a user: the names of his role groups; a superuser is an admin."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_sispam_roles", None)
    if cached is not None:
        return cached
    names = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
    if user.is_superuser:
        names.add(Role.ADMIN)
    roles = frozenset(names)
    user._sispam_roles = roles
    return roles


def user_has_role(user, roles: Iterable[str]) -> bool:
    return bool(user_roles(user) & frozenset(roles))


def primary_role(user) -> str | None:
    roles = user_roles(user)
    for role in LANDING:
        if role in roles:
            return role
    return None


def role_required(*roles: str) -> Callable:
    """Decorate an HTML view: anonymous visitors go to the login page, other roles get 403."""
    allowed = frozenset(roles)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_has_role(request.user, allowed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = allowed
        return wrapper

    return decorator


class RolePermission(BasePermission):
    """API access by role: `read_roles` for safe methods, `write_roles` for the rest, and
    `action_roles[action]` (whatever the method) for a viewset's extra actions.

    A view that names no roles is closed to everyone: forgetting is safe, not open.
    """

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        action_roles = getattr(view, "action_roles", {})
        action = getattr(view, "action", None)
        if action is None:
            # A method the route does not take (GET on a POST-only action): judge it by the
            # action the route is for, so a role that may not act gets 403, not 405.
            routed = sorted(set(getattr(view, "action_map", {}).values()) & action_roles.keys())
            action = routed[0] if routed else None
        if action in action_roles:
            roles = action_roles[action]
        elif request.method in SAFE_METHODS:
            roles = getattr(view, "read_roles", frozenset())
        else:
            roles = getattr(view, "write_roles", frozenset())
        return user_has_role(request.user, roles)


class IsSignedIn(BasePermission):
    """Any signed-in user with a Sispam role (used for the API schema and docs)."""

    def has_permission(self, request, view) -> bool:
        return bool(user_roles(request.user))
