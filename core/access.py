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


ALL_ROLES: frozenset[str] = frozenset(Role)
OPERATIONAL: frozenset[str] = frozenset({Role.KOMANDO, Role.INTEL})
# Who may correct early-warning scores, train, backtest and activate engine versions: those
# who may read the intelligence the engine scores (never the administrator or the liaison).
CAN_TUNE_EARLY_WARNING: frozenset[str] = OPERATIONAL

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
