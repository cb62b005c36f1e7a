"""Incidents over the API: filing (idempotent), the response, TPS returns (the input checks of
a new report: incidents/inputs.py)."""

import statistics

from django.conf import settings
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.access import (
    CAN_FILE_FIELD_REPORTS,
    CAN_READ_FORCE_LOG,
    CAN_READ_INCIDENT_STATS,
    CAN_READ_INCIDENTS,
    CAN_RESPOND_TO_INCIDENTS,
    OPERATIONAL,
    Role,
    user_roles,
)
from core.dates import BoundedDatesModelSerializer, BoundedDateTimeField, BoundedIsoDateTimeFilter
from core.drf import body_object
from core.schema import ERROR_BODY
from core.uploads import accepts_uploads
from incidents import photos, services
from incidents.api_answers import (
    ColourAnswerSerializer,
    IncidentStatsSerializer,
    PhotoAddedSerializer,
    SuggestionsSerializer,
)
from incidents.idempotency import IdempotencyKeyRefused, idempotency_key_check
from incidents.inputs import DATETIME, IncidentCreateSerializer, incident_create_fast
from incidents.models import (
    ControlLevel,
    CrowdColour,
    Dispatch,
    GakkumduReferral,
    Incident,
    IncidentEvent,
    IncidentStatus,
    IncidentType,
    UseOfForce,
)
from incidents.selectors import (
    dispatch_suggestions,
    incident_dispatches_for_user,
    incident_list_for_user,
    incident_referrals_for_user,
    incident_timeline_for_user,
)
from personnel.models import Officer


def incident_created_body(incident: Incident) -> dict:
    """The answer to a filed report (IncidentCreatedSerializer's fields), from memory."""
    when = DATETIME.to_representation
    return {
        "id": incident.pk,
        "type": incident.type,
        "status": incident.status,
        "colour": incident.colour,
        "control": incident.control,
        "occurred_at": when(incident.occurred_at),
        "reported_at": when(incident.reported_at),
        "verify_due_at": when(incident.verify_due_at) if incident.verify_due_at else None,
        "outside_city": incident.outside_city,
        "is_exercise": incident.is_exercise,
    }


class IncidentCreatedSerializer(serializers.ModelSerializer):
    """The answer to a filed report: what the phone needs, built from the row in memory."""

    class Meta:
        model = Incident
        fields = [
            "id",
            "type",
            "status",
            "colour",
            "control",
            "occurred_at",
            "reported_at",
            "verify_due_at",
            "outside_city",
            "is_exercise",
        ]


class DispatchSerializer(serializers.ModelSerializer):
    officer_name = serializers.CharField(source="officer.__str__", read_only=True)

    class Meta:
        model = Dispatch
        fields = [
            "id",
            "officer",
            "officer_name",
            "dispatched_at",
            "en_route_at",
            "on_scene_at",
            "cleared_at",
        ]


class ForceSerializer(BoundedDatesModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = UseOfForce
        fields = [
            "id",
            "at",
            "used_at",
            "stage",
            "justification",
            "officers",
            "authorised_by",
            "threat",
            "injuries",
            "follow_up",
            "recorded_by",
        ]
        read_only_fields = ["at", "recorded_by"]


class ReferralSerializer(serializers.ModelSerializer):
    class Meta:
        model = GakkumduReferral
        fields = ["id", "category", "article", "handed_over", "reference", "referred_at"]
        read_only_fields = ["referred_at"]


# What the KPU liaison reads of an incident (LiaisonIncidentSerializer); the rest of the
# operational body is left out for the liaison, so the schema does not require it.
LIAISON_INCIDENT_FIELDS = [
    "id",
    "type",
    "status",
    "colour",
    "occurred_at",
    "reported_at",
    "kelurahan",
    "kecamatan",
    "tps",
]


class IncidentSerializer(serializers.ModelSerializer):
    """An incident. The KPU liaison gets only its time, place, type, state and colour."""

    kelurahan = serializers.CharField(source="kelurahan.name", default=None, allow_null=True)
    kecamatan = serializers.CharField(
        source="kelurahan.kecamatan.name", default=None, allow_null=True
    )
    reporter = serializers.CharField(source="reporter.username")
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "type",
            "status",
            "colour",
            "control",
            "occurred_at",
            "reported_at",
            "kelurahan",
            "kecamatan",
            "tps",
            "post",
            "lat",
            "lon",
            "outside_city",
            "description",
            "crowd_size",
            "casualties",
            "reporter",
            "verify_due_at",
            "overdue",
            "rejected_reason",
            "first_on_scene_at",
            "response_seconds",
            "is_exercise",
        ]
        role_dependent_fields = [f for f in fields if f not in LIAISON_INCIDENT_FIELDS]

    def get_overdue(self, obj) -> bool:
        # Late now, or was late (flagged by the sweep) before it was verified.
        return obj.overdue_at is not None or obj.verify_late()


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    by = serializers.CharField(allow_null=True)
    kind = serializers.CharField()
    from_value = serializers.CharField()
    to_value = serializers.CharField()
    note = serializers.CharField()


class PhotoRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.CharField(help_text="where to fetch it (signed-in, same rights)")
    size = serializers.IntegerField(help_text="bytes")


class IncidentDetailSerializer(IncidentSerializer):
    """One incident with its timeline, dispatches and referrals, redacted for the reader by
    the selectors (incident_timeline_for_user and its neighbours): `context["request"]`."""

    timeline = serializers.SerializerMethodField()
    dispatches = serializers.SerializerMethodField()
    referrals = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "timeline", "dispatches", "referrals", "photos"]
        role_dependent_fields = [f for f in fields if f not in LIAISON_INCIDENT_FIELDS]

    def _user(self):
        request = self.context.get("request")
        return getattr(request, "user", None)

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_timeline(self, obj) -> list[dict]:
        rows = incident_timeline_for_user(user=self._user(), incident=obj)
        return TimelineEntrySerializer(rows, many=True).data

    @extend_schema_field(DispatchSerializer(many=True))
    def get_dispatches(self, obj) -> list[dict]:
        rows = incident_dispatches_for_user(user=self._user(), incident=obj)
        return DispatchSerializer(rows, many=True).data

    @extend_schema_field(ReferralSerializer(many=True))
    def get_referrals(self, obj) -> list[dict]:
        rows = incident_referrals_for_user(user=self._user(), incident=obj)
        return ReferralSerializer(rows, many=True).data

    @extend_schema_field(PhotoRefSerializer(many=True))
    def get_photos(self, obj) -> list[dict]:
        return [
            {
                "id": p.id,
                "sha256": p.sha256,
                "url": reverse("incident-photo", args=[p.pk]),
                "size": p.size,
            }
            for p in obj.photos.all()
        ]


class LiaisonIncidentSerializer(serializers.ModelSerializer):
    """What the KPU liaison may see: time, place, type, state, colour. No identities."""

    kelurahan = serializers.CharField(source="kelurahan.name", default=None, allow_null=True)
    kecamatan = serializers.CharField(
        source="kelurahan.kecamatan.name", default=None, allow_null=True
    )

    class Meta:
        model = Incident
        fields = LIAISON_INCIDENT_FIELDS


class IncidentFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    colour = filters.MultipleChoiceFilter(choices=CrowdColour.choices)
    type = filters.MultipleChoiceFilter(choices=IncidentType.choices)
    kecamatan = filters.CharFilter(field_name="kelurahan__kecamatan__code")
    kelurahan = filters.CharFilter(field_name="kelurahan__code")
    since = BoundedIsoDateTimeFilter(field_name="reported_at", lookup_expr="gte")
    until = BoundedIsoDateTimeFilter(field_name="reported_at", lookup_expr="lt")
    overdue = filters.BooleanFilter(field_name="overdue_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Incident
        fields = [
            "status",
            "colour",
            "type",
            "kecamatan",
            "kelurahan",
            "since",
            "until",
            "overdue",
            "is_exercise",
        ]


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(services.TRANSITIONS))
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ColourSerializer(serializers.Serializer):
    colour = serializers.ChoiceField(choices=CrowdColour.choices)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ControlSerializer(serializers.Serializer):
    control = serializers.ChoiceField(choices=ControlLevel.choices)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class DispatchCreateSerializer(serializers.Serializer):
    officers = serializers.PrimaryKeyRelatedField(
        queryset=Officer.objects.all(), many=True, allow_empty=False
    )


class DispatchMarkSerializer(serializers.Serializer):
    dispatch = serializers.IntegerField()
    step = serializers.ChoiceField(choices=list(services.DISPATCH_STEPS))
    at = BoundedDateTimeField(required=False)


class PhotoSerializer(serializers.Serializer):
    photo = serializers.FileField()


class IncidentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Incident reports. Field officers file them (with an Idempotency-Key) and see their own;
    komando and intel see all; the KPU liaison sees real ones touching the election process,
    without identities. Every response action is komando's."""

    read_roles = CAN_READ_INCIDENTS
    write_roles = CAN_FILE_FIELD_REPORTS
    action_roles = {
        "transition": CAN_RESPOND_TO_INCIDENTS,
        "colour": CAN_RESPOND_TO_INCIDENTS,
        "control": CAN_RESPOND_TO_INCIDENTS,
        "dispatch_officers": CAN_RESPOND_TO_INCIDENTS,
        "suggestions": CAN_RESPOND_TO_INCIDENTS,
        "mark": CAN_RESPOND_TO_INCIDENTS,
        "gakkumdu": CAN_RESPOND_TO_INCIDENTS,
        "photos": CAN_FILE_FIELD_REPORTS,
        "stats": CAN_READ_INCIDENT_STATS,
        "force": CAN_READ_FORCE_LOG,
    }
    filterset_class = IncidentFilter
    ordering_fields = ["reported_at", "occurred_at", "colour"]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        qs = incident_list_for_user(user=self.request.user)
        if self.action == "retrieve":
            qs = qs.prefetch_related(
                Prefetch("events", queryset=IncidentEvent.objects.select_related("by")),
                Prefetch("dispatches", queryset=Dispatch.objects.select_related("officer")),
                "referrals",
                "photos",
            )
        return qs.select_related("reporter", "kelurahan__kecamatan")

    def _liaison(self) -> bool:
        roles = user_roles(self.request.user)
        return Role.PENGHUBUNG_KPU in roles and not roles & OPERATIONAL

    def get_serializer_class(self):
        if self.action == "create":
            return IncidentCreateSerializer
        if self._liaison():
            return LiaisonIncidentSerializer
        return IncidentDetailSerializer if self.action == "retrieve" else IncidentSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description=(
                    "client-generated, one per report, 1-80 printable characters; unique per "
                    "reporter (two officers may make the same key). The same key again answers "
                    "the first report (200); with another body 422."
                ),
            )
        ],
        responses={
            201: IncidentCreatedSerializer,
            200: IncidentCreatedSerializer,
            422: OpenApiResponse(
                response=ERROR_BODY, description="the key was used for another report"
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        try:
            key = idempotency_key_check(
                request.headers.get("Idempotency-Key")
                or body_object(request.data).get("idempotency_key")
            )
        except IdempotencyKeyRefused as refused:
            return Response(refused.body(), status=status.HTTP_400_BAD_REQUEST)
        data = incident_create_fast(request.data)
        if data is None:
            body = IncidentCreateSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            data = body.validated_data
        fingerprint = services.request_fingerprint(
            {k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items()}
        )
        try:
            incident, created = services.incident_create(
                by=request.user, data=dict(data), idempotency_key=key, fingerprint=fingerprint
            )
        except services.IdempotencyConflict:
            message = _(
                "Idempotency-Key ini sudah Anda pakai untuk laporan lain dengan isi berbeda; "
                "laporan baru perlu kunci baru. Tidak ada yang disimpan."
            )
            return Response(
                {"detail": message, "code": "idempotency_conflict", "idempotency_key": [message]},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return Response(
            incident_created_body(incident),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def _act(self, serializer_class, request):
        body = serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        return self.get_object(), body.validated_data

    def _fresh(self, incident):
        return Response(IncidentSerializer(self.get_queryset().get(pk=incident.pk)).data)

    @extend_schema(request=TransitionSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """verify, reject (with reason), handle, close, reopen (with reason)."""
        incident, data = self._act(TransitionSerializer, request)
        services.incident_transition(incident=incident, by=request.user, **data)
        return self._fresh(incident)

    @extend_schema(request=ColourSerializer, responses=ColourAnswerSerializer)
    @action(detail=True, methods=["post"])
    def colour(self, request, pk=None):
        """Change the crowd situation; answers the procedure's suggested force and control."""
        incident, data = self._act(ColourSerializer, request)
        return Response(services.incident_set_colour(incident=incident, by=request.user, **data))

    @extend_schema(request=ControlSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def control(self, request, pk=None):
        """Record control moving (Kapolsek, Kapolres, Kapolda)."""
        incident, data = self._act(ControlSerializer, request)
        services.incident_set_control(incident=incident, by=request.user, **data)
        return self._fresh(incident)

    @extend_schema(responses=SuggestionsSerializer)
    @action(detail=True, methods=["get"])
    def suggestions(self, request, pk=None):
        """The nearest available officers and posts, by status, distance and unit."""
        return Response(dispatch_suggestions(incident=self.get_object()))

    @extend_schema(request=DispatchCreateSerializer, responses=DispatchSerializer(many=True))
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_officers(self, request, pk=None):
        """Send officers to the incident."""
        incident, data = self._act(DispatchCreateSerializer, request)
        made = services.dispatch_create(incident=incident, by=request.user, **data)
        return Response(DispatchSerializer(made, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DispatchMarkSerializer, responses=DispatchSerializer)
    @action(detail=True, methods=["post"])
    def mark(self, request, pk=None):
        """Record a responder's step: en_route, on_scene, cleared."""
        incident, data = self._act(DispatchMarkSerializer, request)
        dispatch = get_object_or_404(Dispatch, pk=data["dispatch"], incident=incident)
        done = services.dispatch_mark(
            dispatch=dispatch, by=request.user, step=data["step"], at=data.get("at")
        )
        return Response(DispatchSerializer(done).data)

    @extend_schema(methods=["GET"], responses=ForceSerializer(many=True))
    @extend_schema(methods=["POST"], request=ForceSerializer, responses={201: ForceSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def force(self, request, pk=None):
        """The use-of-force log: read it, or append to it (never edit or delete)."""
        incident = self.get_object()
        if request.method == "POST":
            if not user_roles(request.user) & CAN_RESPOND_TO_INCIDENTS:
                return Response(
                    {"detail": "Hanya pos komando.", "code": "permission_denied"},
                    status=status.HTTP_403_FORBIDDEN,
                )
            body = ForceSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            entry = services.use_of_force_record(
                incident=incident, by=request.user, data=dict(body.validated_data)
            )
            return Response(ForceSerializer(entry).data, status=status.HTTP_201_CREATED)
        return Response(
            ForceSerializer(incident.force_log.select_related("recorded_by"), many=True).data
        )

    @extend_schema(request=ReferralSerializer, responses={201: ReferralSerializer})
    @action(detail=True, methods=["post"])
    def gakkumdu(self, request, pk=None):
        """Hand an election offence to Gakkumdu."""
        incident, data = self._act(ReferralSerializer, request)
        referral = services.gakkumdu_refer(incident=incident, by=request.user, data=dict(data))
        return Response(ReferralSerializer(referral).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": PhotoSerializer}, responses={201: PhotoAddedSerializer}
    )
    @action(detail=True, methods=["post"])
    @accepts_uploads("photo")
    def photos(self, request, pk=None):
        """Attach a photo (JPEG, PNG or WebP, at most 10 MB)."""
        incident, data = self._act(PhotoSerializer, request)
        photo = photos.photo_add(incident=incident, by=request.user, upload=data["photo"])
        return Response(
            {"id": photo.id, "sha256": photo.sha256, "size": photo.size},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses=IncidentStatsSerializer)
    @action(detail=False, methods=["get"])
    def stats(self, request):
        """Counts by status and colour, and response times (on scene minus reported)."""
        qs = self.filter_queryset(self.get_queryset()).filter(is_exercise=False)
        by_status = dict(qs.values_list("status").annotate(n=Count("id")).order_by())
        by_colour = dict(qs.values_list("colour").annotate(n=Count("id")).order_by())
        times = sorted(
            (on - rep).total_seconds()
            for on, rep in qs.filter(first_on_scene_at__isnull=False).values_list(
                "first_on_scene_at", "reported_at"
            )
        )
        response = {}
        if times:
            response = {
                "count": len(times),
                "mean_s": round(statistics.fmean(times)),
                "median_s": round(statistics.median(times)),
                "p90_s": round(times[min(len(times) - 1, int(0.9 * len(times)))]),
            }
        return Response(
            {
                "by_status": by_status,
                "by_colour": by_colour,
                "response_time": response,
                "verify_minutes": settings.INCIDENT_VERIFY_MINUTES,
            }
        )
