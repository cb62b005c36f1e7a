"""Core pages: the health check, the role landing pages and the audit trail."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.access import (
    ALL_ROLES,
    CAN_ADMINISTER,
    CAN_READ_AUDIT,
    LANDING,
    Role,
    primary_role,
    role_required,
)
from core.accounts import session_forget, session_record
from core.health import health_checks
from core.selectors import audit_event_list_for_user
from core.services import audit_record


class PasswordChange(auth_views.PasswordChangeView):
    """Any signed-in user changes his own password (the old one first; the validators of
    AUTH_PASSWORD_VALIDATORS: 12 characters and more). His session stays signed in; the change
    is audited, without the password."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        old_key = self.request.session.session_key
        form.user._sispam_keep_session = old_key  # his other sessions end, this one stays
        response = super().form_valid(form)
        # update_session_auth_hash gave this browser a new session key: follow it.
        session_forget(session_key=old_key)
        session_record(request=self.request, user=self.request.user)
        audit_record(actor=self.request.user, action="auth.password_change", obj=self.request.user)
        messages.success(self.request, _("Kata sandi diganti."))
        return response


password_change = PasswordChange.as_view()


@never_cache
@require_GET
def healthz(request):
    """Public health check: 200 while the database answers (503 if not), with each part's state."""
    status, checks = health_checks()
    return JsonResponse(
        {"status": status, "checks": checks, "time": timezone.localtime().isoformat()},
        status=503 if status == "down" else 200,
    )


def home(request):
    """Send each user to the landing page of his role."""
    if not request.user.is_authenticated:
        return redirect("login")
    role = primary_role(request.user)
    if role is None:
        raise PermissionDenied
    return redirect(LANDING[role])


@role_required(*CAN_ADMINISTER)
def landing_admin(request):
    users = get_user_model().objects
    per_role = dict(
        users.filter(groups__name__in=ALL_ROLES)
        .values_list("groups__name")
        .annotate(n=Count("id"))
        .order_by()
    )
    return render(
        request,
        "core/landing_admin.html",
        {
            "users_total": users.count(),
            "per_role": [(role.value, per_role.get(role.value, 0)) for role in Role],
            "recent": audit_event_list_for_user(user=request.user)[:10],
        },
    )


@role_required(*CAN_READ_AUDIT)
def audit_list(request):
    events = audit_event_list_for_user(user=request.user)
    action = request.GET.get("action", "").strip()
    actor = request.GET.get("actor", "").strip()
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_username=actor)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_list.html", {"page": page, "action": action, "actor": actor})
