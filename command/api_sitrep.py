"""The situation report as JSON (GET /api/v1/sitrep/)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from command.sitrep import (
    sitrep_author_label,
    sitrep_build,
    sitrep_period_check,
    sitrep_period_default,
)
from core.access import CAN_READ_FULL_SITREP, CAN_READ_SITREP, user_has_role
from core.dates import BoundedDateTimeField


class SitrepQuerySerializer(serializers.Serializer):
    """The period of a situation report (ISO 8601; without an offset: WIB) and the version."""

    start = BoundedDateTimeField(required=False)
    end = BoundedDateTimeField(required=False)
    partner = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):

        if ("start" in attrs) != ("end" in attrs):
            raise serializers.ValidationError({"end": "Berikan start dan end bersama."})
        if "start" not in attrs:
            attrs["start"], attrs["end"] = sitrep_period_default()
        try:
            sitrep_period_check(start=attrs["start"], end=attrs["end"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return attrs


class SitrepView(APIView):
    """The situation report as JSON: the same figures as the page, PDF and CSV. The KPU liaison
    always gets the partner version (no intelligence, alert texts, names or force log)."""

    read_roles = CAN_READ_SITREP

    @extend_schema(parameters=[SitrepQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request):

        query = SitrepQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        partner = data["partner"] or not user_has_role(request.user, CAN_READ_FULL_SITREP)
        report = sitrep_build(
            start=data["start"],
            end=data["end"],
            partner=partner,
            author=sitrep_author_label(request.user, partner=partner),
        )
        return Response(report.as_dict())
