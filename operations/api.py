"""Operations over the API: reference data, TPS (and GeoJSON), posts, assignments, plans."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Prefetch, Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.access import (
    ALL_ROLES,
    CAN_ADD_TPS,
    CAN_DEPLOY,
    CAN_PLAN_DEPLOYMENT,
    CAN_READ_ASSIGNMENTS,
    CAN_READ_OVERRIDE_REASON,
    CAN_READ_POSTS,
    CAN_SET_TPS_VULNERABILITY,
    user_has_role,
)
from core.dates import BoundedDatesModelSerializer, BoundedDateTimeField, BoundedIsoDateTimeFilter
from core.drf import ID_MAX
from operations import services
from operations.models import (
    Assignment,
    DeploymentPattern,
    DeploymentPlan,
    ElectionPhase,
    Indicator,
    Kecamatan,
    Kelurahan,
    Post,
    Tps,
    TpsCategory,
    TpsStatus,
    validate_in_city,
)
from operations.selectors import assignment_list_for_user, operation_window_default
from personnel.models import Officer


class KecamatanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Kecamatan
        fields = ["id", "code", "name", "lat", "lon"]


class KelurahanSerializer(serializers.ModelSerializer):
    kecamatan = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Kelurahan
        fields = ["id", "code", "name", "kecamatan", "lat", "lon"]


class ElectionPhaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = ElectionPhase
        fields = ["id", "code", "name", "starts_at", "ends_at", "risk_weight"]


class KecamatanViewSet(viewsets.ReadOnlyModelViewSet):
    read_roles = ALL_ROLES
    serializer_class = KecamatanSerializer
    queryset = Kecamatan.objects.order_by("name")
    pagination_class = None  # five rows, fixed by law


class KelurahanViewSet(viewsets.ReadOnlyModelViewSet):
    read_roles = ALL_ROLES
    serializer_class = KelurahanSerializer
    queryset = Kelurahan.objects.select_related("kecamatan").order_by("kecamatan__name", "name")
    filterset_fields = {"kecamatan__code": ["exact"]}
    pagination_class = None  # 22 rows


class ElectionPhaseViewSet(viewsets.ReadOnlyModelViewSet):
    read_roles = ALL_ROLES
    serializer_class = ElectionPhaseSerializer
    queryset = ElectionPhase.objects.order_by("starts_at", "code")
    pagination_class = None


# --- TPS, posts, assignments and the planner --------------------------------------------------


class TpsSerializer(serializers.ModelSerializer):
    """A TPS; `override_reason` only for those who may read it (CAN_READ_OVERRIDE_REASON)."""

    kelurahan = serializers.SlugRelatedField(slug_field="name", queryset=Kelurahan.objects.all())
    kecamatan = serializers.CharField(source="kelurahan.kecamatan.name", read_only=True)
    indicators = serializers.ListField(
        child=serializers.ChoiceField(choices=Indicator.choices), required=False
    )
    # Blank when the command post has set none (DRF drops allow_blank of a read-only field).
    category_override = serializers.ChoiceField(
        choices=TpsCategory.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Tps
        fields = [
            "id",
            "number",
            "kelurahan",
            "kecamatan",
            "address",
            "lat",
            "lon",
            "dpt",
            "is_khusus",
            "khusus_kind",
            "status",
            "indicators",
            "category_computed",
            "category_override",
            "override_reason",
            "category",
        ]
        read_only_fields = [
            "category_computed",
            "category_override",
            "override_reason",
            "category",
            "status",
        ]
        role_dependent_fields = ["override_reason"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not user_has_role(request.user, CAN_READ_OVERRIDE_REASON):
            # The command post's reason for a category may rest on intelligence: theirs only.
            data.pop("override_reason", None)
        return data

    def validate(self, attrs):
        lat = attrs.get("lat", getattr(self.instance, "lat", None))
        lon = attrs.get("lon", getattr(self.instance, "lon", None))
        try:
            validate_in_city(lat, lon)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"lat": exc.messages}) from None
        return attrs


class TpsFilter(filters.FilterSet):
    kecamatan = filters.CharFilter(field_name="kelurahan__kecamatan__code")
    kelurahan = filters.CharFilter(field_name="kelurahan__code")
    category = filters.ChoiceFilter(choices=TpsCategory.choices)
    status = filters.ChoiceFilter(choices=TpsStatus.choices)

    class Meta:
        model = Tps
        fields = ["kecamatan", "kelurahan", "category", "status", "is_khusus"]


class IndicatorsSerializer(serializers.Serializer):
    indicators = serializers.ListField(child=serializers.ChoiceField(choices=Indicator.choices))


class OverrideSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=[("", "-"), *TpsCategory.choices], allow_blank=True)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class TpsPointSerializer(serializers.Serializer):
    # Constant members are plain strings: a choice set per field name would collide in the
    # schema's enum names (drf-spectacular's deploy check fails on that).
    type = serializers.CharField(help_text='"Point"')
    coordinates = serializers.ListField(
        child=serializers.FloatField(), min_length=2, max_length=2, help_text="[lon, lat]"
    )


class TpsFeaturePropertiesSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    kelurahan = serializers.CharField()
    kecamatan = serializers.CharField()
    dpt = serializers.IntegerField()
    category = serializers.ChoiceField(
        choices=[*TpsCategory.values, "khusus"], help_text="khusus for a TPS khusus"
    )
    status = serializers.ChoiceField(choices=TpsStatus.choices)


class TpsFeatureSerializer(serializers.Serializer):
    type = serializers.CharField(help_text='"Feature"')
    id = serializers.IntegerField()
    geometry = TpsPointSerializer()
    properties = TpsFeaturePropertiesSerializer()


class TpsFeatureCollectionSerializer(serializers.Serializer):
    """GeoJSON (RFC 7946): one Point feature per TPS."""

    type = serializers.CharField(help_text='"FeatureCollection"')
    features = TpsFeatureSerializer(many=True)


class TpsViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Polling stations with their vulnerability. Every role reads them (the liaison included:
    TPS and their security category are what the KPU needs); komando and admin add them."""

    read_roles = ALL_ROLES
    write_roles = CAN_ADD_TPS
    action_roles = {"indicators": CAN_SET_TPS_VULNERABILITY, "override": CAN_SET_TPS_VULNERABILITY}
    serializer_class = TpsSerializer
    filterset_class = TpsFilter
    ordering_fields = ["number", "dpt", "category"]
    queryset = Tps.objects.select_related("kelurahan__kecamatan").order_by(
        "kelurahan__name", "number"
    )

    def perform_create(self, serializer):
        serializer.instance = services.tps_create(by=self.request.user, **serializer.validated_data)

    @extend_schema(responses=TpsFeatureCollectionSerializer)
    @action(detail=False, methods=["get"], pagination_class=None)
    def geojson(self, request):
        """All TPS matching the filters as a GeoJSON FeatureCollection, for the map."""
        qs = self.filter_queryset(self.get_queryset())
        features = [
            {
                "type": "Feature",
                "id": t["id"],
                "geometry": {"type": "Point", "coordinates": [t["lon"], t["lat"]]},
                "properties": {
                    "number": t["number"],
                    "kelurahan": t["kelurahan__name"],
                    "kecamatan": t["kelurahan__kecamatan__name"],
                    "dpt": t["dpt"],
                    "category": "khusus" if t["is_khusus"] else t["category"],
                    "status": t["status"],
                },
            }
            for t in qs.values(
                "id",
                "number",
                "lat",
                "lon",
                "dpt",
                "category",
                "is_khusus",
                "status",
                "kelurahan__name",
                "kelurahan__kecamatan__name",
            )
        ]
        return Response({"type": "FeatureCollection", "features": features})

    @extend_schema(request=IndicatorsSerializer, responses=TpsSerializer)
    @action(detail=True, methods=["post"])
    def indicators(self, request, pk=None):
        """Record the vulnerability indicators that hold; the category follows the rule."""
        body = IndicatorsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tps = services.tps_set_indicators(
            tps=self.get_object(), by=request.user, indicators=body.validated_data["indicators"]
        )
        return Response(TpsSerializer(tps).data)

    @extend_schema(request=OverrideSerializer, responses=TpsSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        """Set (or clear, with an empty category) the category by command decision."""
        body = OverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tps = services.tps_override_category(
            tps=self.get_object(), by=request.user, **body.validated_data
        )
        return Response(TpsSerializer(tps).data)


class PostSerializer(serializers.ModelSerializer):
    kecamatan = serializers.SlugRelatedField(
        slug_field="code", queryset=Kecamatan.objects.all(), required=False, allow_null=True
    )
    kelurahan = serializers.SlugRelatedField(
        slug_field="code", queryset=Kelurahan.objects.all(), required=False, allow_null=True
    )
    tps = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    assigned = serializers.IntegerField(read_only=True)

    class Meta:
        model = Post
        fields = [
            "id",
            "kind",
            "name",
            "kecamatan",
            "kelurahan",
            "lat",
            "lon",
            "required_strength",
            "priority",
            "tps",
            "assigned",
            "is_active",
        ]
        read_only_fields = ["is_active"]

    def validate(self, attrs):
        try:
            validate_in_city(attrs.get("lat"), attrs.get("lon"))
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"lat": exc.messages}) from None
        return attrs


class PostViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Security posts with their required and assigned strength (counts only: the liaison may
    read them, officers' names are never in this endpoint)."""

    read_roles = CAN_READ_POSTS
    write_roles = CAN_DEPLOY
    serializer_class = PostSerializer
    filterset_fields = ["kind", "is_active", "kecamatan__code"]

    def get_queryset(self):
        active = Q(assignments__status=Assignment.Status.ACTIVE)
        return (
            Post.objects.select_related("kecamatan", "kelurahan")
            .prefetch_related(Prefetch("tps", queryset=Tps.objects.only("id")))
            .annotate(assigned=Count("assignments", filter=active))
            .order_by("-priority", "kind", "name")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.post_create(by=self.request.user, **data)
        serializer.instance.assigned = 0


class AssignmentSerializer(BoundedDatesModelSerializer):
    officer = serializers.PrimaryKeyRelatedField(queryset=Officer.objects.all())
    officer_name = serializers.CharField(source="officer.__str__", read_only=True)
    post = serializers.PrimaryKeyRelatedField(queryset=Post.objects.all())
    post_name = serializers.CharField(source="post.name", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "officer",
            "officer_name",
            "post",
            "post_name",
            "starts_at",
            "ends_at",
            "source",
            "status",
            "reason",
            "plan",
        ]
        read_only_fields = ["source", "status", "plan"]


class AssignmentFilter(filters.FilterSet):
    officer = filters.NumberFilter(field_name="officer_id", min_value=1, max_value=ID_MAX)
    post = filters.NumberFilter(field_name="post_id", min_value=1, max_value=ID_MAX)
    status = filters.ChoiceFilter(choices=Assignment.Status.choices)
    source = filters.ChoiceFilter(choices=Assignment.Source.choices)
    kecamatan = filters.CharFilter(field_name="post__kecamatan__code")
    at = BoundedIsoDateTimeFilter(method="at_time")

    class Meta:
        model = Assignment
        fields = ["officer", "post", "status", "source", "kecamatan", "at"]

    def at_time(self, queryset, name, value):
        return queryset.filter(starts_at__lte=value, ends_at__gt=value)


class AssignmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Who is where when. A field officer sees his own; komando assigns by hand."""

    read_roles = CAN_READ_ASSIGNMENTS
    write_roles = CAN_DEPLOY
    action_roles = {"cancel": CAN_DEPLOY}
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter

    def get_queryset(self):
        return assignment_list_for_user(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.assignment_create(
            by=self.request.user, **serializer.validated_data
        )

    @extend_schema(request=None, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel an assignment (kept on record, marked cancelled)."""
        assignment = services.assignment_cancel(assignment=self.get_object(), by=request.user)
        return Response(AssignmentSerializer(assignment).data)


class PlanSerializer(serializers.ModelSerializer):
    pattern = serializers.SlugRelatedField(
        slug_field="name", queryset=DeploymentPattern.objects.all(), required=False
    )
    reserve_share = serializers.FloatField(min_value=0.0, max_value=0.95, default=0.1)
    starts_at = BoundedDateTimeField(required=False)
    ends_at = BoundedDateTimeField(required=False)

    class Meta:
        model = DeploymentPlan
        fields = [
            "id",
            "pattern",
            "reserve_share",
            "starts_at",
            "ends_at",
            "keep_manual",
            "status",
            "coverage",
            "duration_ms",
            "created_at",
            "accepted_at",
        ]
        read_only_fields = ["status", "coverage", "duration_ms", "created_at", "accepted_at"]


class PlanDetailSerializer(PlanSerializer):
    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "result"]
        read_only_fields = [*PlanSerializer.Meta.read_only_fields, "result"]


class PlanViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The deployment planner: POST runs it (a draft), accept applies it."""

    read_roles = CAN_PLAN_DEPLOYMENT
    write_roles = CAN_PLAN_DEPLOYMENT
    queryset = DeploymentPlan.objects.select_related("pattern").order_by("-created_at")
    filterset_fields = ["status"]

    def get_serializer_class(self):
        return PlanDetailSerializer if self.action == "retrieve" else PlanSerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        default_start, default_end = operation_window_default()
        serializer.instance = services.plan_run(
            by=self.request.user,
            pattern=data.get("pattern"),
            reserve_share=data.get("reserve_share", 0.1),
            starts_at=data.get("starts_at", default_start),
            ends_at=data.get("ends_at", default_end),
            keep_manual=data.get("keep_manual", True),
        )

    @extend_schema(request=None, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Apply the draft: posts for the clusters and the officers' assignments."""
        plan = services.plan_accept(plan=self.get_object(), by=request.user)
        return Response(PlanSerializer(plan).data)
