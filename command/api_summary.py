"""The operation's headline figures (GET /api/v1/summary/)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from command.selectors import summary_get
from core.access import ALL_ROLES


class SummaryView(APIView):
    """Headline figures of the operation (any signed-in role)."""

    read_roles = ALL_ROLES

    @extend_schema(
        responses=inline_serializer(
            "Summary",
            {
                "officers_total": serializers.IntegerField(),
                "officers_polres": serializers.IntegerField(),
                "officers_bko": serializers.IntegerField(),
                "tps_total": serializers.IntegerField(),
                "tps_by_category": serializers.DictField(child=serializers.IntegerField()),
                "dpt_total": serializers.IntegerField(),
                "incidents_open": serializers.IntegerField(),
                "alerts_open": serializers.IntegerField(),
            },
        )
    )
    def get(self, request):
        return Response(summary_get())
