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
from core.changes import data_changed_at
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
    the queries). An answer is out of date when it is older than that or was built before the
    last change of incidents or alerts (core.changes), so a screen refreshing after a push sees
    the change. One request rebuilds it; the others wait for that build (after a change) or keep
    the previous answer meanwhile (after mere ageing), so an expiry never sends every screen to
    the database at once. The live alert feed never goes through here.
    """
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if not seconds:
        return build()
    entry = cache.get(key)
    if entry is not None:
        changed_at = data_changed_at()
        built_at, value = entry
        if built_at >= changed_at and time.time() - built_at < seconds:
            return value
        if not cache.add(f"{key}:building", 1, timeout=30):
            if built_at >= changed_at:
                return value  # merely aged: the previous answer will do for a moment
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                time.sleep(0.02)
                newer = cache.get(key)
                if newer is not None and newer[0] >= changed_at:
                    return newer[1]
            return value
    try:
        started = time.time()  # a change during the build makes it out of date at once
        value = build()
        cache.set(key, (started, value), seconds * 6)
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
