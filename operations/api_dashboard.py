"""The dashboard's JSON: map layers, counters and series, the liaison's summary."""

import json
import time

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import OPERATIONAL, Role, user_roles
from operations.dashboard import dash_filter_from, dashboard_map, dashboard_stats, liaison_summary

FILTER_PARAMS = [
    OpenApiParameter("kec", OpenApiTypes.INT, description="kecamatan id"),
    OpenApiParameter("window", OpenApiTypes.INT, description="hours back: 1, 6, 24, 72 or 0 (all)"),
    OpenApiParameter(
        "phase", OpenApiTypes.STR, description="election phase code (wins over window)"
    ),
]


def is_liaison_only(user) -> bool:
    """True for the KPU liaison (and anyone whose only operational view is the liaison's)."""
    roles = user_roles(user)
    return Role.PENGHUBUNG_KPU in roles and not roles & OPERATIONAL


def cached(key: str, build):
    """`build()`, shared for DASHBOARD_CACHE_SECONDS by every request with the same key.

    Every viewer of the same side and filter sees the same figures: they are built once per few
    seconds per process, not once per browser (fifty screens polling must not mean fifty times
    the queries). When they are due again one request rebuilds them while the others keep
    getting the previous answer, so an expiry never sends every screen to the database at once.
    The live alert feed never goes through here."""
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if not seconds:
        return build()
    now = time.monotonic()
    entry = cache.get(key)
    if entry is not None:
        built_at, value = entry
        fresh = now - built_at < seconds
        if fresh or not cache.add(f"{key}:building", 1, timeout=30):
            return value
    try:
        value = build()
        cache.set(key, (time.monotonic(), value), seconds * 6)
    finally:
        cache.delete(f"{key}:building")
    return value


def _encoded(data) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


class _FilteredView(APIView):
    def filtered(self, request, key: str, build):
        f, errors = dash_filter_from(request.query_params)
        if f is None:
            return Response(
                {"detail": errors, "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST
            )
        # The answer is cached already encoded: the map's layers are a few hundred kilobytes
        # and encoding them again for every screen would cost more than building them.
        body = cached(f"dash:{key}:{f.query()}", lambda: _encoded(build(f)))
        return HttpResponse(body, content_type="application/json")


class DashboardMapView(_FilteredView):
    """Map layers: TPS, open incidents, posts with strength, open alerts, place labels.
    The KPU liaison gets TPS and real incidents touching the election process only."""

    read_roles = OPERATIONAL | {Role.PENGHUBUNG_KPU}

    @extend_schema(parameters=FILTER_PARAMS, responses=OpenApiTypes.OBJECT)
    def get(self, request):
        liaison = is_liaison_only(request.user)
        side = "liaison" if liaison else "ops"
        return self.filtered(request, f"map:{side}", lambda f: dashboard_map(f, liaison=liaison))


class DashboardStatsView(_FilteredView):
    """Counters and series of the command dashboard (exercise data excluded)."""

    read_roles = OPERATIONAL

    @extend_schema(parameters=FILTER_PARAMS, responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return self.filtered(request, "stats", dashboard_stats)


class LiaisonSummaryView(_FilteredView):
    """The liaison's figures: phase, TPS by status and category, election incidents,
    per kecamatan. No people, no intelligence, no alerts."""

    read_roles = OPERATIONAL | {Role.PENGHUBUNG_KPU}

    @extend_schema(parameters=FILTER_PARAMS, responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return self.filtered(request, "liaison", liaison_summary)
