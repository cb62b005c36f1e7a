"""Early warning over the API: intelligence reports, public tips, alerts."""

import datetime as dt

from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.access import (
    CAN_CONFIGURE_EARLY_WARNING,
    CAN_FILE_INTEL,
    CAN_HANDLE_ALERTS,
    CAN_READ_ALERTS,
    CAN_READ_INTEL,
)
from core.clientaddr import client_hash
from core.dates import BoundedIsoDateTimeFilter, datetime_param
from core.drf import ClientRateThrottle
from incidents import alerts, services
from incidents.ew import Config
from incidents.inputs import IntelSerializer, ScoreSerializer
from incidents.models import (
    OPEN_ALERT_STATUSES,
    Alert,
    AlertLevel,
    AlertStatus,
    EwConfig,
    IncidentType,
    IntelField,
    IntelReport,
    Tip,
)
from incidents.selectors import alert_backtest, alert_report_refs, alert_rows
from operations.models import Kelurahan


class IntelFilter(filters.FilterSet):
    field = filters.ChoiceFilter(choices=IntelField.choices)
    kelurahan = filters.CharFilter(field_name="kelurahan__code")
    since = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    level = filters.ChoiceFilter(field_name="scores__level", choices=AlertLevel.choices)

    class Meta:
        model = IntelReport
        fields = ["field", "kelurahan", "since", "level", "source_reliability"]


class IntelViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Laporan Informasi: intel and komando file and read them; sources are need-to-know and
    never reach the liaison or field roles (they have no access to this endpoint at all)."""

    read_roles = CAN_READ_INTEL
    write_roles = CAN_FILE_INTEL
    serializer_class = IntelSerializer
    filterset_class = IntelFilter
    queryset = (
        IntelReport.objects.select_related("author", "kelurahan")
        .prefetch_related("scores")
        .order_by("-created_at", "-id")
    )

    def perform_create(self, serializer):
        serializer.instance = services.intel_create(
            by=self.request.user, data=dict(serializer.validated_data)
        )


class TipThrottle(ClientRateThrottle):
    scope = "tips"

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        return super().allow_request(request, view)


class TipSerializer(serializers.ModelSerializer):
    kelurahan = serializers.SlugRelatedField(
        slug_field="name", queryset=Kelurahan.objects.all(), required=False, allow_null=True
    )
    text = serializers.CharField(max_length=services.TIP_MAX_CHARS)
    scores = ScoreSerializer(many=True, read_only=True)

    class Meta:
        model = Tip
        fields = [
            "id",
            "text",
            "place",
            "kelurahan",
            "contact",
            "created_at",
            "scores",
            "status",
            "triaged_at",
            "promoted_incident",
            "promoted_intel",
        ]
        read_only_fields = [
            "created_at",
            "status",
            "triaged_at",
            "promoted_incident",
            "promoted_intel",
        ]


class TipReceivedSerializer(serializers.Serializer):
    """What a citizen is told: the tip's number, and that it arrived (nothing of the triage)."""

    id = serializers.IntegerField()
    received = serializers.BooleanField()


class TipViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Public tips: anyone may POST (rate-limited per client); intel and komando read them."""

    read_roles = CAN_READ_INTEL
    serializer_class = TipSerializer
    throttle_classes = [TipThrottle]
    # JSON only: the POST runs without a session (so without CSRF), and an HTML form on any
    # other site can send form-encoded or multipart bodies cross-site with no preflight; it
    # cannot send application/json without a CORS preflight, which we never answer (415 else).
    parser_classes = [JSONParser]
    queryset = Tip.objects.select_related("kelurahan").prefetch_related("scores")

    def get_permissions(self):
        if self.action == "create":
            return [AllowAny()]
        return super().get_permissions()

    def get_authenticators(self):
        # An anonymous citizen posts without a session: no CSRF check for the tip form's API.
        if self.request is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    @extend_schema(request=TipSerializer, responses={201: TipReceivedSerializer})
    def create(self, request, *args, **kwargs):
        body = TipSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tip = services.tip_create(data=dict(body.validated_data), client_hash=client_hash(request))
        return Response({"id": tip.pk, "received": True}, status=status.HTTP_201_CREATED)


class ReportRefSerializer(serializers.Serializer):
    """A scored report behind an alert and where to read it (selectors.score_refs)."""

    kind = serializers.CharField(help_text="incident, intel or tip")
    id = serializers.IntegerField()
    label = serializers.CharField()
    url = serializers.CharField(help_text="the page to read it on")
    score = serializers.IntegerField()
    level = serializers.ChoiceField(choices=AlertLevel.choices)


class AlertSerializer(serializers.ModelSerializer):
    """An alert; `kelurahan` is null for one about the whole city (a surge, an overdue TPS)."""

    kelurahan = serializers.CharField(source="kelurahan.name", default=None, allow_null=True)
    reports = serializers.IntegerField(source="scores.count", read_only=True)
    report_refs = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "kind",
            "level",
            "status",
            "title",
            "reasons",
            "kelurahan",
            "created_at",
            "updated_at",
            "reports",
            "report_refs",
            "escalation",
            "acknowledged_at",
            "ack_overdue_at",
            "closed_at",
            "outcome",
            "is_exercise",
        ]

    @extend_schema_field(ReportRefSerializer(many=True))
    def get_report_refs(self, alert) -> list[dict]:
        """The reports behind the alert, with where to read them (ids only: no extra query)."""
        return alert_report_refs(alert)


class BacktestAlertSerializer(serializers.Serializer):
    alert = serializers.IntegerField()
    # The alert's kind, as in Alert (a second choice set named "kind" would collide in the
    # schema's enum names, which drf-spectacular's deploy check refuses).
    kind = serializers.CharField(help_text="report, surge, incident_overdue or tps_overdue")
    level = serializers.ChoiceField(choices=AlertLevel.choices)
    kelurahan = serializers.CharField()
    at = serializers.DateTimeField()
    followed_by = serializers.ListField(
        child=serializers.IntegerField(), help_text="incidents in its kelurahan within `hours`"
    )


class BacktestMissedSerializer(serializers.Serializer):
    incident = serializers.IntegerField()
    type = serializers.ChoiceField(choices=IncidentType.choices)
    kelurahan = serializers.CharField()
    at = serializers.DateTimeField()


class AlertBacktestSerializer(serializers.Serializer):
    """Past alerts against the incidents that followed them (selectors.alert_backtest)."""

    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    hours = serializers.IntegerField()
    alerts = serializers.IntegerField()
    alerts_followed = serializers.IntegerField()
    incidents = serializers.IntegerField()
    incidents_without_alert = serializers.IntegerField()
    alert_rows = BacktestAlertSerializer(many=True)
    missed = BacktestMissedSerializer(many=True, help_text="incidents no alert came before")


class AlertFilter(filters.FilterSet):
    since = filters.NumberFilter(
        field_name="id", lookup_expr="gt", help_text="replay: alerts with an id above this one"
    )
    status = filters.MultipleChoiceFilter(choices=AlertStatus.choices)
    level = filters.ChoiceFilter(choices=AlertLevel.choices)
    open = filters.BooleanFilter(method="open_only")

    class Meta:
        model = Alert
        fields = ["since", "status", "level", "kind", "open"]

    def open_only(self, queryset, name, value):
        return queryset.filter(status__in=OPEN_ALERT_STATUSES) if value else queryset


class AlertCloseSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=2000)


class AlertEscalateSerializer(serializers.Serializer):
    # Why it goes up: the officer above reads it in the audit trail (issue #18: asked every time).
    note = serializers.CharField(max_length=1000)


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts for the command post (komando and intel); `?since=ID` replays what a reconnecting
    client missed, oldest first. Acknowledge, escalate and close are komando's and intel's."""

    read_roles = CAN_READ_ALERTS
    action_roles = {
        "acknowledge": CAN_HANDLE_ALERTS,
        "escalate": CAN_HANDLE_ALERTS,
        "close": CAN_HANDLE_ALERTS,
    }
    serializer_class = AlertSerializer
    filterset_class = AlertFilter

    @extend_schema(
        parameters=[
            OpenApiParameter("hours", int, description="how long after an alert counts (1-72)"),
            OpenApiParameter("since", dt.datetime, description="default: a week before until"),
            OpenApiParameter("until", dt.datetime, description="default: now"),
        ],
        responses=AlertBacktestSerializer,
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def backtest(self, request):
        """Past alerts against the incidents that followed (`?hours=6&since=ISO&until=ISO`)."""
        try:
            hours = int(request.query_params.get("hours", 6))
        except ValueError:
            hours = 0
        if not 1 <= hours <= 72:
            return Response(
                {"hours": ["1-72"], "detail": "hours 1-72", "code": "invalid"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        until = datetime_param(request.query_params, "until", timezone.now())
        since = datetime_param(request.query_params, "since", until - dt.timedelta(days=7))
        # Echoed in WIB: an offset as sent (+07:07:12 is ISO-parsable) is no RFC 3339 offset.
        since, until = timezone.localtime(since), timezone.localtime(until)
        return Response(alert_backtest(since=since, until=until, hours=hours))

    @extend_schema(request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Take the alert on (stops its escalation for being unacknowledged)."""
        return Response(
            AlertSerializer(alerts.alert_acknowledge(alert=self.get_object(), by=request.user)).data
        )

    @extend_schema(request=AlertEscalateSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """Move the alert one step up: Kabag Ops, Kapolres, Kapolda."""
        body = AlertEscalateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = alerts.alert_escalate(
            alert=self.get_object(), by=request.user, note=body.validated_data["note"]
        )
        return Response(AlertSerializer(alert).data)

    @extend_schema(request=AlertCloseSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close with the outcome."""
        body = AlertCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = alerts.alert_close(
            alert=self.get_object(), by=request.user, outcome=body.validated_data["outcome"]
        )
        return Response(AlertSerializer(alert).data)

    def get_queryset(self):
        qs = Alert.objects.select_related("kelurahan").prefetch_related("scores")
        if "since" in self.request.query_params:
            return qs.order_by("id")
        return qs.order_by("-created_at", "-id")

    def list(self, request, *args, **kwargs):
        # The same fields as AlertSerializer, built from flat rows: a reconnecting dashboard
        # asks for up to 200 alerts at once and the generic serializer spent ~30 ms on them.
        queryset = self.filter_queryset(self.get_queryset()).prefetch_related(None)
        page = self.paginate_queryset(queryset.values_list("id", flat=True))
        return self.get_paginated_response(alert_rows(list(page)))


class EwConfigSerializer(serializers.ModelSerializer):
    class Meta:
        model = EwConfig
        fields = ["id", "version", "config", "is_active", "note", "created_at"]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        config = attrs.get("config", {})
        if not isinstance(config, dict):
            raise serializers.ValidationError({"config": "must be a JSON object"})
        try:
            Config.from_dict({**config, "version": attrs.get("version", "")})
        except ValueError as exc:
            raise serializers.ValidationError({"config": str(exc)}) from None
        return attrs


class EwConfigViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The engine's lexicon, weights and thresholds, versioned (admin). A version is never
    edited: POST a new one (with is_active to switch to it); scores record their version."""

    read_roles = CAN_CONFIGURE_EARLY_WARNING
    write_roles = CAN_CONFIGURE_EARLY_WARNING
    serializer_class = EwConfigSerializer
    queryset = EwConfig.objects.order_by("-created_at", "-id")

    def perform_create(self, serializer):
        serializer.instance = services.ew_config_create(
            by=self.request.user, **serializer.validated_data
        )
