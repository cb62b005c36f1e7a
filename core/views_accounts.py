"""Account pages: every user's own sessions and token; the administrator's users (create,
role, deactivate, reset the password, unlock, revoke the token) and who is signed in.
The writes are core.accounts services; each one is audited there."""

from __future__ import annotations

from base64 import b32encode

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import accounts, second_factor
from core.access import (
    ALL_ROLES,
    CAN_ADMINISTER,
    NEEDS_SECOND_FACTOR,
    Role,
    role_required,
    user_has_role,
)
from core.context_processors import ROLE_LABELS
from core.second_factor import session_verified
from core.selectors import user_session_get_for_end

ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in Role]


class AccountForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("Nama depan"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Nama belakang"), max_length=150, required=False)
    role = forms.ChoiceField(label=gettext_lazy("Peran"), choices=ROLE_CHOICES)
    is_active = forms.BooleanField(
        label=gettext_lazy("Aktif (boleh masuk)"), required=False, initial=True
    )


class NewAccountForm(AccountForm):
    username = forms.RegexField(
        label=gettext_lazy("Nama pengguna"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": gettext_lazy("Huruf, angka dan . @ + - _ saja.")},
    )
    password1 = forms.CharField(label=gettext_lazy("Kata sandi"), widget=forms.PasswordInput)
    password2 = forms.CharField(
        label=gettext_lazy("Kata sandi (ulangi)"), widget=forms.PasswordInput
    )
    field_order = ["username", "first_name", "last_name", "role", "password1", "password2"]

    def clean_username(self):
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("Nama pengguna ini sudah dipakai."))
        return username

    def clean(self):
        data = super().clean()
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", _("Kedua kata sandi tidak sama."))
        elif one:
            candidate = get_user_model()(username=data.get("username", ""))
            try:
                password_validation.validate_password(one, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


def _role_of(user) -> str:
    names = [g.name for g in user.groups.all() if g.name in ALL_ROLES]
    return names[0] if names else ("admin" if user.is_superuser else "")


@role_required(*ALL_ROLES)
def my_sessions(request):
    """Where I am signed in (this browser marked) and my API token, each to end."""
    token = getattr(request.user, "auth_token", None)
    return render(
        request,
        "core/accounts/my_sessions.html",
        {
            "sessions": accounts.sessions_open(user=request.user),
            "current_key": request.session.session_key,
            "token": token,
            "token_expires": accounts.token_expires_at(token) if token else None,
        },
    )


@role_required(*ALL_ROLES)
@require_POST
def session_end(request, pk: int):
    """End one session: one's own, or (the administrator) anyone's."""
    session = user_session_get_for_end(user=request.user, pk=pk)
    own = session.user_id == request.user.pk
    accounts.session_end(session=session, actor=request.user)
    messages.success(request, _("Sesi diakhiri."))
    if own and session.session_key == request.session.session_key:
        return redirect("login")
    if not own and user_has_role(request.user, CAN_ADMINISTER):
        return redirect("account-sessions")
    return redirect("my-sessions")


@role_required(*ALL_ROLES)
@require_POST
def my_token_revoke(request):
    accounts.tokens_revoke(user=request.user, actor=request.user, reason="by the user")
    messages.success(request, _("Token API dicabut; aplikasi di ponsel meminta masuk lagi."))
    return redirect("my-sessions")


@role_required(*CAN_ADMINISTER)
def user_list(request):
    users = accounts.user_list_for_admin()
    query = request.GET.get("q", "").strip()
    if query:
        users = users.filter(username__icontains=query)
    rows = [(u, ROLE_LABELS.get(_role_of(u), "—")) for u in users]
    return render(request, "core/accounts/user_list.html", {"rows": rows, "q": query})


@role_required(*CAN_ADMINISTER)
def user_new(request):
    form = NewAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = accounts.user_create(
            actor=request.user,
            username=data["username"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            role=data["role"],
            password=data["password1"],
        )
        if not data["is_active"]:
            accounts.user_update(
                actor=request.user,
                user=user,
                first_name=user.first_name,
                last_name=user.last_name,
                role=data["role"],
                is_active=False,
            )
        messages.success(request, _("Akun %(name)s dibuat.") % {"name": user.username})
        return redirect("account-detail", pk=user.pk)
    return render(request, "core/accounts/user_new.html", {"form": form}, status=_status(form))


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


@role_required(*CAN_ADMINISTER)
def user_detail(request, pk: int):
    user = get_object_or_404(get_user_model().objects.prefetch_related("groups"), pk=pk)
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": _role_of(user),
        "is_active": user.is_active,
    }
    form = AccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            accounts.user_update(actor=request.user, user=user, **data)
        except accounts.AccountRefused:
            form.add_error(
                None, _("Ini administrator aktif terakhir: angkat administrator lain dulu.")
            )
        else:
            messages.success(request, _("Akun disimpan."))
            return redirect("account-detail", pk=user.pk)
    return _detail(request, user, form, SetPasswordForm(user), status=_status(form))


def _detail(request, user, form, password_form, status=200):
    token = getattr(user, "auth_token", None)
    return render(
        request,
        "core/accounts/user_detail.html",
        {
            "account": user,
            "form": form,
            "password_form": password_form,
            "sessions": accounts.sessions_open(user=user),
            "token": token,
            "token_expires": accounts.token_expires_at(token) if token else None,
            "locked": accounts.user_is_locked(user),
            "otp_device": second_factor.device_confirmed(user),
        },
        status=status,
    )


@role_required(*CAN_ADMINISTER)
@require_POST
def user_password(request, pk: int):
    user = get_object_or_404(get_user_model(), pk=pk)
    password_form = SetPasswordForm(user, request.POST)
    if not password_form.is_valid():
        form = AccountForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "role": _role_of(user),
                "is_active": user.is_active,
            }
        )
        return _detail(request, user, form, password_form, status=400)
    accounts.user_password_set(
        actor=request.user, user=user, password=password_form.cleaned_data["new_password1"]
    )
    messages.success(request, _("Kata sandi diganti; sesi dan token akun ini diakhiri."))
    return redirect("account-detail", pk=user.pk)


@role_required(*CAN_ADMINISTER)
@require_POST
def user_unlock(request, pk: int):
    user = get_object_or_404(get_user_model(), pk=pk)
    accounts.user_unlock(actor=request.user, user=user)
    messages.success(request, _("Kunci masuk dibuka."))
    return redirect("account-detail", pk=user.pk)


@role_required(*CAN_ADMINISTER)
@require_POST
def user_token_revoke(request, pk: int):
    user = get_object_or_404(get_user_model(), pk=pk)
    accounts.tokens_revoke(user=user, actor=request.user, reason="by the administrator")
    messages.success(request, _("Token API dicabut."))
    return redirect("account-detail", pk=user.pk)


@role_required(*CAN_ADMINISTER)
def signed_in(request):
    """Who is signed in, in which browser, since when."""
    return render(
        request, "core/accounts/sessions.html", {"sessions": accounts.sessions_open()[:500]}
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Kode 6 angka dari aplikasi autentikator"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("home")


@role_required(*ALL_ROLES)
def otp_verify(request):
    """The code after the password (users who enrolled)."""
    user = request.user
    if session_verified(user, request.session):
        return redirect(_next(request))
    if second_factor.device_confirmed(user) is None:
        return redirect(f"{reverse('otp-setup')}?next={_next(request)}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if second_factor.code_verify(request=request, user=user, code=form.cleaned_data["code"]):
            return redirect(_next(request))
        form.add_error("code", _("Kode salah atau sudah lewat; coba kode yang baru."))
    return render(
        request,
        "registration/otp_verify.html",
        {"form": form, "next": _next(request)},
        status=_status(form),
    )


@role_required(*NEEDS_SECOND_FACTOR)
def otp_setup(request):
    """Enrol an authenticator app: scan the QR code (or type the key), give one code."""
    user = request.user
    device = second_factor.device_for_enrolment(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if second_factor.code_verify(
            request=request, user=user, code=form.cleaned_data["code"], enrolling=True
        ):
            messages.success(request, _("Faktor kedua terpasang."))
            return redirect(_next(request))
        form.add_error("code", _("Kode salah; periksa jam ponsel dan coba kode yang baru."))
    return render(
        request,
        "registration/otp_setup.html",
        {
            "form": form,
            "next": _next(request),
            "qr": mark_safe(second_factor.qr_svg(device)),  # noqa: S308 (our own SVG)
            "key": b32encode(device.bin_key).decode(),
            "replacing": second_factor.device_confirmed(user) is not None,
        },
        status=_status(form),
    )


@role_required(*CAN_ADMINISTER)
@require_POST
def user_otp_reset(request, pk: int):
    user = get_object_or_404(get_user_model(), pk=pk)
    second_factor.second_factor_reset(actor=request.user, user=user)
    messages.success(request, _("Faktor kedua dihapus; pengguna memasang lagi saat masuk."))
    return redirect("account-detail", pk=user.pk)
