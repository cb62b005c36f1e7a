"""The core endpoints: token, audit trail."""

from axes.handlers.proxy import AxesProxyHandler
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.access import CAN_READ_AUDIT
from core.accounts import token_expires_at, token_issue
from core.dates import BoundedIsoDateTimeFilter
from core.drf import ClientRateThrottle, body_object
from core.models import AuditEvent
from core.second_factor import code_ok_for_token, second_factor_required
from core.selectors import audit_event_list_for_user

USERNAME_MAX = 150  # django.contrib.auth's username column


class TokenThrottle(ClientRateThrottle):
    scope = "token"


class TokenAnswerSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class TokenView(ObtainAuthToken):
    """POST username and password, get {"token": ..., "expires_at": ...}; then send
    `Authorization: Token ...`. The token works API_TOKEN_HOURS (12 by default): after that,
    401 and a new POST here."""

    throttle_classes = [TokenThrottle]
    permission_classes = []  # the credentials are the check; django-axes locks out guessing

    @extend_schema(responses={200: TokenAnswerSerializer})
    def post(self, request, *args, **kwargs):
        # The same lockout as the login page, answered as clearly: no side door for guessing.
        username = str(body_object(request.data).get("username", ""))
        if len(username) > USERNAME_MAX:
            # No such user can exist; and django-axes would fail to log the attempt (a 500).
            raise ValidationError({"username": [_("Nama pengguna terlalu panjang.")]})
        if AxesProxyHandler.is_locked(request._request, credentials={"username": username}):
            return Response(
                {
                    "detail": _("Terlalu banyak percobaan masuk; coba lagi 15 menit lagi."),
                    "code": "locked_out",
                },
                status=429,
            )
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        if second_factor_required(user) and not code_ok_for_token(
            user=user, code=body_object(request.data).get("otp")
        ):
            raise ValidationError(
                {"otp": [_("Kode faktor kedua (6 angka dari aplikasi autentikator) salah.")]},
                code="otp_required",
            )
        token = token_issue(user=user, request=request._request)
        return Response(
            {"token": token.key, "expires_at": timezone.localtime(token_expires_at(token))}
        )


class AuditEventSerializer(serializers.ModelSerializer):
    object_type = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor_username",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "note",
        ]

    def get_object_type(self, obj) -> str:
        ct = obj.content_type
        return f"{ct.app_label}.{ct.model}" if ct else ""


class AuditEventFilter(filters.FilterSet):
    since = BoundedIsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = BoundedIsoDateTimeFilter(field_name="at", lookup_expr="lt")
    actor = filters.CharFilter(field_name="actor_username")
    action = filters.CharFilter(field_name="action")
    object_id = filters.CharFilter(field_name="object_id")

    class Meta:
        model = AuditEvent
        fields = ["since", "until", "actor", "action", "object_id"]


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The audit trail, read-only (admin and komando; entries about intelligence only for
    those who may read it: audit_event_list_for_user)."""

    read_roles = CAN_READ_AUDIT
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    ordering_fields = ["at", "id"]

    def get_queryset(self):
        return audit_event_list_for_user(user=self.request.user)
