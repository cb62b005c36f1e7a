"""The second factor: a TOTP code (any authenticator app, RFC 6238) after the password, for the
roles in NEEDS_SECOND_FACTOR (komando and admin) when OTP_REQUIRED is on (the default with
DEBUG off outside the embedded demo). Built on django-otp's TOTP devices, which also throttle
wrong codes.

In a browser, the password signs in and SecondFactorMiddleware then holds every page but the
second-factor pages and logout until a code is given (the first time: enrolment with a QR code).
The session remembers the device (django_otp.login); a socket of a session without it is
refused. Over the API, such a user asks for a token with `otp` beside the password.
"""

from __future__ import annotations

from io import BytesIO

import qrcode
import qrcode.image.svg
from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.access import NEEDS_SECOND_FACTOR, user_has_role
from core.services import audit_record

DEVICE_NAME = "Sispam"


def second_factor_required(user) -> bool:
    return bool(settings.OTP_REQUIRED) and user_has_role(user, NEEDS_SECOND_FACTOR)


def device_confirmed(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def device_for_enrolment(user) -> TOTPDevice:
    """The user's device waiting to be confirmed (made on first call, kept across reloads so
    the QR code he scanned stays valid)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The enrolment QR code as inline SVG markup (no image request, no script)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    out = BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]


def _clean(code) -> str:
    return "".join(ch for ch in str(code or "") if ch.isdigit())[:8]


def code_verify(*, request, user, code, enrolling: bool = False) -> bool:
    """Check a code against the user's device; on success mark this session verified."""
    device = device_for_enrolment(user) if enrolling else device_confirmed(user)
    if device is None or not device.verify_token(_clean(code)):
        audit_record(actor=user, action="auth.otp_failed", obj=user)
        return False
    if enrolling:
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(actor=user, action="auth.otp_enrolled", obj=user)
    otp_login(request, device)
    return True


def code_ok_for_token(*, user, code) -> bool:
    device = device_confirmed(user)
    ok = device is not None and device.verify_token(_clean(code))
    if not ok:
        audit_record(actor=user, action="auth.otp_failed", obj=user, note="API token")
    return ok


def session_verified(user, session) -> bool:
    """Does this session (a SessionStore or dict) satisfy the second factor for `user`?"""
    if not second_factor_required(user):
        return True
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id:
        return False
    device = device_confirmed(user)
    return device is not None and device.persistent_id == persistent_id


def second_factor_reset(*, actor, user) -> int:
    """The administrator removes a lost phone's device: the user enrols again at next login."""
    count, _rows = TOTPDevice.objects.filter(user=user).delete()
    audit_record(actor=actor, action="account.otp_reset", obj=user, changes={"devices": [count, 0]})
    return count
