"""Error answers at the edge: JSON for /api/, a short page otherwise.

- `not_found` is the 404 handler: a path under /api/ that matches no route (an id like `0.5`)
  gets the API's JSON error body, as a route's own 404 does, not the HTML page.
- `OutageMiddleware` (and `server_error`, the 500 handler) turns a lost database or Redis into
  503 with Retry-After instead of 500: the phone's outbox and the command post's screens
  retry, and the request succeeds once the part is back (connections are opened per request
  or taken from the pool, so no restart is needed). It sits at the view boundary (views raise
  there); the 500 handler catches what middleware raises. /healthz answers its own 503.
"""

import logging
import sys

import redis
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)

# What "the database or Redis is unreachable" raises: Django's wrapped database errors (psycopg
# and sqlite3 alike), redis-py's (cache, channel layer) and kombu's (publishing a Celery task).
OUTAGE_ERRORS = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    KombuOperationalError,
    ConnectionError,
)


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """404: the API's JSON error body under /api/, the 404 page elsewhere."""
    if is_api(request):
        return JsonResponse({"detail": _("Tidak ditemukan."), "code": "not_found"}, status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    """500 handler (DEBUG off): an outage raised outside a view is still a 503."""
    exc = sys.exc_info()[1]
    if isinstance(exc, OUTAGE_ERRORS):
        return OutageMiddleware.outage(request, exc)
    return defaults.server_error(request)


class OutageMiddleware:
    """Answer 503 + Retry-After while PostgreSQL or Redis is unreachable, never 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except OUTAGE_ERRORS as exc:
            return self.outage(request, exc)

    def process_exception(self, request, exception):
        if isinstance(exception, OUTAGE_ERRORS):
            return self.outage(request, exception)
        return None

    @staticmethod
    def outage(request, exc) -> HttpResponse:
        retry = str(settings.OUTAGE_RETRY_AFTER)
        logger.warning("outage: %s %s: %s: %s", request.method, request.path, type(exc), exc)
        message = _("Layanan sementara tidak tersedia (basis data atau Redis); coba lagi.")
        if is_api(request):
            response = JsonResponse({"detail": message, "code": "unavailable"}, status=503)
        else:
            # No template, no database, no session: the parts that are down must not be needed.
            page = (
                '<!doctype html><html lang="id"><head><meta charset="utf-8">'
                f"<title>Sispam</title></head><body><h1>{message}</h1>"
                f"<p>{_('Halaman ini akan bisa dimuat lagi sebentar lagi.')}</p></body></html>"
            )
            response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
        response["Retry-After"] = retry
        response["Cache-Control"] = "no-store"
        return response
