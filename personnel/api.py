"""Personnel over the API: units, officers, BKO requests and contingents, strength."""

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import (
    CAN_MANAGE_BKO,
    CAN_MANAGE_PERSONNEL,
    CAN_READ_OFFICERS,
    CAN_READ_PERSONNEL,
)
from core.dates import BoundedDatesModelSerializer
from personnel import services
from personnel.models import BkoContingent, BkoRequest, Officer, OfficerStatus, Rank, Satgas, Unit
from personnel.selectors import officer_list_for_user, strength_rollup


class UnitSerializer(serializers.ModelSerializer):
    """A unit; `parent` is null for the Polres and home units, `kecamatan` for all but a Polsek."""

    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    kecamatan = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    officer_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "kind", "parent", "kecamatan", "officer_count"]


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """Units of Polres Metro (and the home units of BKO contingents)."""

    read_roles = CAN_READ_PERSONNEL
    serializer_class = UnitSerializer
    filterset_fields = ["kind"]
    queryset = (
        Unit.objects.select_related("parent", "kecamatan")
        .annotate(officer_count=Count("officers"))
        .order_by("kind", "name")
    )


class OfficerSerializer(serializers.ModelSerializer):
    rank_label = serializers.CharField(source="get_rank_display", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())
    satgas = serializers.SlugRelatedField(
        slug_field="code", queryset=Satgas.objects.all(), required=False, allow_null=True
    )
    contingent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    is_bko = serializers.BooleanField(read_only=True)

    class Meta:
        model = Officer
        fields = [
            "id",
            "nrp",
            "name",
            "rank",
            "rank_label",
            "unit",
            "function",
            "phone",
            "status",
            "satgas",
            "contingent",
            "is_bko",
        ]
        read_only_fields = ["status"]


class StatusHistorySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    from_status = serializers.ChoiceField(choices=OfficerStatus.choices)
    to_status = serializers.ChoiceField(choices=OfficerStatus.choices)
    by__username = serializers.CharField(allow_null=True, help_text="null: the system")
    note = serializers.CharField(allow_blank=True)


class OfficerFilter(filters.FilterSet):
    unit = filters.CharFilter(field_name="unit__code")
    kecamatan = filters.CharFilter(field_name="unit__kecamatan__code")
    satgas = filters.CharFilter(field_name="satgas__code")
    status = filters.ChoiceFilter(choices=OfficerStatus.choices)
    bko = filters.BooleanFilter(field_name="contingent", lookup_expr="isnull", exclude=True)
    rank_min = filters.NumberFilter(field_name="rank", lookup_expr="gte")
    rank_max = filters.NumberFilter(field_name="rank", lookup_expr="lte")
    q = filters.CharFilter(method="search")

    class Meta:
        model = Officer
        fields = ["unit", "kecamatan", "satgas", "status", "bko", "rank_min", "rank_max", "q"]

    def search(self, queryset, name, value):
        if value.isdigit():
            return queryset.filter(nrp__startswith=value)
        return queryset.filter(name__icontains=value)


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OfficerStatus.choices)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class OfficerViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """The roster. Komando, intel and admin read it; a field officer sees only himself; the KPU
    liaison never (names, NRP and phones are personal data). Komando and admin edit it."""

    read_roles = CAN_READ_OFFICERS
    write_roles = CAN_MANAGE_PERSONNEL
    action_roles = {"status": CAN_MANAGE_PERSONNEL}
    serializer_class = OfficerSerializer
    filterset_class = OfficerFilter
    ordering_fields = ["rank", "name", "nrp"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return officer_list_for_user(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.officer_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.officer_update(
            officer=serializer.instance, by=self.request.user, **serializer.validated_data
        )

    @extend_schema(request=StatusChangeSerializer, responses=OfficerSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Change an officer's status (kept in his history)."""
        body = StatusChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        officer = services.officer_set_status(
            officer=self.get_object(), by=request.user, **body.validated_data
        )
        return Response(OfficerSerializer(officer).data)

    @extend_schema(responses=StatusHistorySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def history(self, request, pk=None):
        """The officer's status changes, newest first."""
        officer = self.get_object()
        rows = officer.status_changes.select_related("by").values(
            "at", "from_status", "to_status", "by__username", "note"
        )
        return Response(list(rows[:200]))


class BkoRequestSerializer(BoundedDatesModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)

    class Meta:
        model = BkoRequest
        fields = [
            "id",
            "kind",
            "count",
            "location",
            "reason",
            "needed_from",
            "needed_until",
            "status",
            "approved_count",
            "decision_note",
            "requested_by",
            "requested_at",
            "decided_at",
        ]
        read_only_fields = [
            "status",
            "approved_count",
            "decision_note",
            "requested_at",
            "decided_at",
        ]


class DecisionSerializer(serializers.Serializer):
    approved_count = serializers.IntegerField(min_value=0)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class BkoRequestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Requests for reinforcements; Polda's decision (all, part or none) is recorded on them."""

    read_roles = CAN_READ_PERSONNEL
    write_roles = CAN_MANAGE_BKO
    action_roles = {"decide": CAN_MANAGE_BKO}
    serializer_class = BkoRequestSerializer
    filterset_fields = ["status"]
    queryset = BkoRequest.objects.select_related("requested_by").order_by("-requested_at")

    def perform_create(self, serializer):
        serializer.instance = services.bko_request_create(
            by=self.request.user, **serializer.validated_data
        )

    @extend_schema(request=DecisionSerializer, responses=BkoRequestSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Record Polda's decision; approving fewer than asked is a partial approval."""
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decided = services.bko_request_decide(
            request=self.get_object(), by=request.user, **body.validated_data
        )
        return Response(BkoRequestSerializer(decided).data)


class ContingentSerializer(serializers.ModelSerializer):
    home_unit = serializers.CharField(source="home_unit.name")
    request = serializers.PrimaryKeyRelatedField(
        queryset=BkoRequest.objects.all(), required=False, allow_null=True
    )
    checked_in = serializers.IntegerField(read_only=True)

    class Meta:
        model = BkoContingent
        fields = [
            "id",
            "code",
            "name",
            "home_unit",
            "strength",
            "request",
            "status",
            "arrived_at",
            "released_at",
            "checked_in",
        ]
        read_only_fields = ["code", "status", "arrived_at", "released_at"]


class CheckInOfficerSerializer(serializers.Serializer):
    nrp = serializers.CharField(max_length=8)
    name = serializers.CharField(max_length=128)
    rank = serializers.ChoiceField(choices=Rank.choices)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    function = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")


class CheckInSerializer(serializers.Serializer):
    officers = CheckInOfficerSerializer(many=True, allow_empty=False)


class BkoContingentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Contingents: announced, checked in officer by officer, released at the end."""

    read_roles = CAN_READ_PERSONNEL
    write_roles = CAN_MANAGE_BKO
    action_roles = {"check_in": CAN_MANAGE_BKO, "release": CAN_MANAGE_BKO}
    serializer_class = ContingentSerializer
    filterset_fields = ["status"]
    queryset = (
        BkoContingent.objects.select_related("home_unit")
        .annotate(checked_in=Count("officers"))
        .order_by("name")
    )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.bko_contingent_create(
            by=self.request.user,
            name=data["name"],
            home_unit_name=data["home_unit"]["name"],
            strength=data["strength"],
            request=data.get("request"),
        )
        serializer.instance.checked_in = 0

    def _fresh(self, pk):
        return get_object_or_404(self.get_queryset(), pk=pk)

    @extend_schema(request=CheckInSerializer, responses=ContingentSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        """Count the contingent in: every officer with NRP, name and rank (all or nothing)."""
        body = CheckInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.bko_contingent_check_in(
            contingent=self.get_object(), by=request.user, officers=body.validated_data["officers"]
        )
        return Response(ContingentSerializer(self._fresh(pk)).data, status=status.HTTP_200_OK)

    @extend_schema(request=None, responses=ContingentSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """Send the contingent home; its officers' assignments are cancelled."""
        services.bko_contingent_release(contingent=self.get_object(), by=request.user)
        return Response(ContingentSerializer(self._fresh(pk)).data)


class StrengthView(APIView):
    """Strength (kekuatan): by unit, satgas and status, Polres and BKO apart, deployed/reserve."""

    read_roles = CAN_READ_PERSONNEL

    @extend_schema(responses=inline_serializer("Strength", {"total": serializers.IntegerField()}))
    def get(self, request):
        return Response(strength_rollup())
