"""DRF plumbing shared by every app: pagination and the error mapping.

Kept apart from the views: DRF imports these while it is itself being imported.
"""

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from core.clientaddr import client_ip
from core.models import AppendOnlyError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def body_object(data):
    """The request body as a mapping: a JSON array, string or number is a 400, never a crash."""
    if not isinstance(data, Mapping):
        raise ValidationError(
            {"non_field_errors": [_("Isi permintaan harus berupa objek JSON ({...}).")]},
            code="not_an_object",
        )
    return data


# Largest id a bigint column holds: a filter on an id beyond it is a 400, not a database error.
ID_MAX = 2**63 - 1


class ClientRateThrottle(AnonRateThrottle):
    """DRF's anonymous throttle keyed on our one trusted client address (core/clientaddr.py):
    DRF's own get_ident believes the whole X-Forwarded-For unless NUM_PROXIES is set."""

    def get_ident(self, request):
        return client_ip(request)


def exception_handler(exc, context):
    """DRF's handler, plus: model validation errors become 400s, append-only writes 409s.

    Every error body carries a stable machine-readable `code` besides the human `detail`.
    """
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    if isinstance(exc, AppendOnlyError):
        return Response({"detail": str(exc), "code": "append_only"}, status=409)
    if isinstance(exc, DataError):
        # A value the database cannot take (a NUL character in a name looked up, a number past
        # its column): the client's input, a 400 (the long fuzz found a NUL as a 500).
        return Response(
            {"detail": _("Isian berisi nilai yang tidak dapat disimpan."), "code": "invalid_value"},
            status=400,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "code" not in response.data:
        codes = exc.get_codes() if hasattr(exc, "get_codes") else None
        if isinstance(codes, str):
            response.data["code"] = codes
        elif isinstance(codes, dict):
            response.data["code"] = "invalid"
    return response
