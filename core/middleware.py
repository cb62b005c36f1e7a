"""Security headers, language selection and the second factor's hold on a session."""

from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBadRequest, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.second_factor import device_confirmed, second_factor_required, session_verified


def _tile_origin() -> str:
    url = settings.MAP_TILE_URL
    if not url:
        return ""
    parsed = urlparse(url.replace("{s}", "a"))
    return f"{parsed.scheme}://{parsed.netloc}" if parsed.scheme and parsed.netloc else ""


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy that allows no third-party origin.

    Scripts only from our own origin (no inline script); styles from our origin plus inline style
    attributes, which Leaflet and Swagger UI set; images may also come from the configured map
    tile server, the one origin an administrator chooses (the post's own).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        tiles = _tile_origin()
        img = "'self' data: blob:" + (f" {tiles}" if tiles else "")
        self.policy = "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self' 'unsafe-inline'",
                f"img-src {img}",
                "font-src 'self' data:",
                "connect-src 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            ]
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class LanguageMiddleware:
    """Bahasa Indonesia unless the user chose otherwise (cookie set by /i18n/setlang/).

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: a command post's
    machines are often set up in English, and the duty officers work in Indonesian.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        lang = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if lang not in self.supported:
            lang = settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", lang)
        return response


class SyncTailMiddleware:
    """Last in the chain and sync-only, so Django runs the whole (sync) middleware chain and
    the view in one worker thread instead of hopping between the event loop and threads at
    every async-capable middleware (measured: about 3 ms of CPU per request on this box)."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


class SecondFactorMiddleware:
    """With OTP_REQUIRED on, a komando or admin signed in by password reaches nothing but the
    second-factor pages, logout, the language switch and static files until his session holds
    a verified TOTP device (core/second_factor.py): pages redirect there, the API answers 403
    {"code": "otp_required"}. Token requests are not sessions: the token view asks for the code.
    """

    EXEMPT = ("/akun/faktor-kedua/", "/accounts/logout/", "/i18n/", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.OTP_REQUIRED and self._held(request):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": _("Masukkan kode faktor kedua dulu (halaman masuk)."),
                        "code": "otp_required",
                    },
                    status=403,
                )
            target = "otp-verify" if device_confirmed(request.user) else "otp-setup"
            return redirect_to_login(request.get_full_path(), reverse(target))
        return self.get_response(request)

    def _held(self, request) -> bool:
        path = request.path
        if path.startswith(settings.STATIC_URL) or path.startswith(self.EXEMPT):
            return False
        user = request.user
        if not user.is_authenticated or not second_factor_required(user):
            return False
        return not session_verified(user, request.session)


URLENCODED = "application/x-www-form-urlencoded"


class NulCharacterMiddleware:
    """A NUL character in a query or form value is refused with a 400 before any view runs:
    PostgreSQL cannot store or compare it, so a lookup by such a name was a 500 (the long fuzz
    found it on the API, where core.drf answers any value the database refuses with a 400;
    this covers the pages). Only URL-encoded forms are read here: a multipart body is left to
    its view, which sets its own upload handlers before it is parsed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        form = request.method == "POST" and request.content_type == URLENCODED
        if _has_nul(request.GET) or (form and _has_nul(request.POST)):
            return HttpResponseBadRequest(
                _("Isian berisi karakter NUL yang tidak dapat disimpan."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def _has_nul(params) -> bool:
    return any("\x00" in key or any("\x00" in v for v in params.getlist(key)) for key in params)
