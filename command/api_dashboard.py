"""The dashboard's JSON: map layers, counters and series, the liaison's summary."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from command.dashboard import (
    cached,
    dash_filter_from,
    dashboard_map,
    dashboard_stats,
    liaison_summary,
)
from core.access import (
    CAN_READ_LIAISON_SUMMARY,
    CAN_READ_SITUATION_MAP,
    OPERATIONAL,
    Role,
    user_roles,
)

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
        key = f"dash:{key}:{get_language()}:{f.query()}"
        body = cached(key, lambda: _encoded(build(f)))
        return HttpResponse(body, content_type="application/json")


class DashboardMapView(_FilteredView):
    """Map layers: TPS, open incidents, posts with strength, open alerts, place labels.
    The KPU liaison gets TPS and real incidents touching the election process only."""

    read_roles = CAN_READ_SITUATION_MAP

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

    read_roles = CAN_READ_LIAISON_SUMMARY

    @extend_schema(parameters=FILTER_PARAMS, responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return self.filtered(request, "liaison", liaison_summary)
