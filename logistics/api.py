"""Election logistics over the API (docs/logistics.md): the legs as each role may read them,
custody steps from the escort's phone (idempotent), their photos, the escort, the board."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import (
    CAN_PLAN_LOGISTICS,
    CAN_READ_LEGS,
    CAN_READ_LOGISTICS,
    CAN_RECORD_CUSTODY,
)
from core.drf import body_object
from core.uploads import accepts_uploads
from incidents.idempotency import IdempotencyKeyRefused, idempotency_key_check
from logistics import services
from logistics.models import CustodyEvent, Direction, Leg, ManifestItem
from logistics.selectors import (
    convoy_board,
    custody_trail,
    leg_list_for_user,
    names_visible,
)
from personnel.models import Officer


class LegSerializer(serializers.ModelSerializer):
    origin = serializers.CharField(source="origin.code")
    origin_name = serializers.CharField(source="origin.name")
    destination = serializers.CharField(source="destination.code")
    destination_name = serializers.CharField(source="destination.name")
    direction = serializers.ChoiceField(choices=Direction.choices, read_only=True)
    escorted = serializers.BooleanField(source="is_escorted")
    team_size = serializers.SerializerMethodField()
    commander = serializers.SerializerMethodField()
    escorts = serializers.SerializerMethodField()

    class Meta:
        model = Leg
        fields = [
            "id",
            "code",
            "stage",
            "direction",
            "origin",
            "origin_name",
            "destination",
            "destination_name",
            "planned_departure",
            "planned_arrival",
            "vehicle",
            "manifest",
            "seals",
            "status",
            "problem",
            "problem_note",
            "departed_at",
            "arrived_at",
            "handed_over_at",
            "last_lat",
            "last_lon",
            "last_seen_at",
            "escorted",
            "team_size",
            "commander",
            "escorts",
            "is_exercise",
        ]

    def _names(self) -> bool:
        return names_visible(self.context["request"].user)

    def get_team_size(self, obj) -> int:
        return len(obj.escorts.all())

    def get_commander(self, obj) -> dict | None:
        """The escort commander (rank, name, NRP): for the command post only."""
        if not self._names() or obj.commander_id is None:
            return None
        return {"id": obj.commander_id, "name": str(obj.commander), "nrp": obj.commander.nrp}

    def get_escorts(self, obj) -> list[dict]:
        """The escort team by name: for the command post only (the liaison sees team_size)."""
        if not self._names():
            return []
        return [{"id": o.pk, "name": str(o), "nrp": o.nrp} for o in obj.escorts.all()]


class CustodyStepSerializer(serializers.Serializer):
    """One custody step. A handover names the receiver and gives the counts of every manifest
    item and the seal numbers found; they are checked against the manifest (docs/logistics.md)."""

    kind = serializers.ChoiceField(choices=CustodyEvent.Kind.choices)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    receiver_name = serializers.CharField(
        required=False, allow_blank=True, max_length=128, default=""
    )
    receiver_role = serializers.ChoiceField(
        choices=CustodyEvent.ReceiverRole.choices, required=False, allow_blank=True, default=""
    )
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        default=dict,
        help_text=", ".join(ManifestItem.values),
    )
    seals = serializers.ListField(
        child=serializers.CharField(max_length=services.SEAL_MAX),
        required=False,
        default=list,
        max_length=services.SEALS_MAX,
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class CustodyEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustodyEvent
        fields = [
            "id",
            "leg",
            "kind",
            "at",
            "lat",
            "lon",
            "receiver_role",
            "counts",
            "seals",
            "differences",
        ]


class EscortSerializer(serializers.Serializer):
    commander = serializers.PrimaryKeyRelatedField(queryset=Officer.objects.all(), allow_null=True)
    escorts = serializers.PrimaryKeyRelatedField(
        queryset=Officer.objects.all(), many=True, required=False, default=list
    )


class CustodyPhotoSerializer(serializers.Serializer):
    photo = serializers.FileField()


class TrailEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    leg = serializers.CharField()
    kind = serializers.ChoiceField(choices=CustodyEvent.Kind.choices)
    at = serializers.DateTimeField()
    receiver_role = serializers.CharField()
    receiver_name = serializers.CharField(help_text="empty for the liaison")
    officer = serializers.CharField(help_text="empty for the liaison")
    counts = serializers.DictField(child=serializers.IntegerField())
    seals = serializers.ListField(child=serializers.CharField())
    differences = serializers.ListField(child=serializers.DictField())
    photos = serializers.ListField(
        child=serializers.IntegerField(), help_text="photo ids; empty for the liaison"
    )


IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="client-generated, one per step, at most 80 characters; per user. The same key "
    "again answers the first step.",
)


class LegViewSet(viewsets.ReadOnlyModelViewSet):
    """Legs of the distribution plan: komando and intel all with names, the KPU liaison all
    without any person's name, a field officer the legs he escorts."""

    read_roles = CAN_READ_LEGS
    action_roles = {"steps": CAN_RECORD_CUSTODY, "escort": CAN_PLAN_LOGISTICS}
    serializer_class = LegSerializer
    queryset = Leg.objects.none()  # for the schema; get_queryset scopes by user
    filterset_fields = {
        "status": ["exact"],
        "stage": ["exact"],
        "problem": ["exact"],
        "is_exercise": ["exact"],
    }
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        return leg_list_for_user(user=self.request.user).order_by("planned_departure", "code")

    @extend_schema(responses=TrailEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def trail(self, request, pk=None):
        """The leg's custody trail, oldest first (names for the command post only)."""
        leg = self.get_object()
        rows = list(reversed(custody_trail(user=request.user, leg=leg)))
        return Response(TrailEntrySerializer(rows, many=True).data)

    @extend_schema(
        request=CustodyStepSerializer,
        responses={201: CustodyEventSerializer, 200: CustodyEventSerializer},
        parameters=[IDEMPOTENCY],
    )
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None):
        """Record a custody step: departed, checkpoint, stopped (with a note), resumed, arrived,
        handed over (receiver, counts, seals). Only the leg's escort, or the command post."""
        try:
            key = idempotency_key_check(request.headers.get("Idempotency-Key"), required=False)
        except IdempotencyKeyRefused as refused:
            return Response(refused.body(), status=status.HTTP_400_BAD_REQUEST)
        body = CustodyStepSerializer(data=body_object(request.data))
        body.is_valid(raise_exception=True)
        # Any leg by its id: one not his is refused by custody_check with the reason (403),
        # not hidden (leg codes are no secret: the liaison reads them all).
        leg = get_object_or_404(Leg, pk=pk)
        try:
            event, created = services.custody_record(
                by=request.user, leg=leg, key=key, **body.validated_data
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        return Response(
            CustodyEventSerializer(event).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=EscortSerializer, responses=LegSerializer)
    @action(detail=True, methods=["post"])
    def escort(self, request, pk=None):
        """Set the escort: a commander and the officers with him."""
        body = EscortSerializer(data=body_object(request.data))
        body.is_valid(raise_exception=True)
        leg = services.leg_escort_set(
            leg=self.get_object(),
            by=request.user,
            commander=body.validated_data["commander"],
            escorts=body.validated_data["escorts"],
        )
        return Response(
            LegSerializer(self.get_queryset().get(pk=leg.pk), context={"request": request}).data
        )


class CustodyPhotoAddedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sha256 = serializers.CharField()
    url = serializers.CharField()


@accepts_uploads("photo")  # on the class: an APIView's upload fields are read from it
class CustodyPhotoView(APIView):
    """POST /api/v1/logistics/steps/<id>/photos/: a photo of a custody step (the boxes, the
    seals, the signed receipt), by who may record the leg's custody."""

    read_roles = CAN_RECORD_CUSTODY  # a GET is then a 405, not a 403
    write_roles = CAN_RECORD_CUSTODY
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": CustodyPhotoSerializer},
        responses={201: CustodyPhotoAddedSerializer},
    )
    def post(self, request, pk: int):
        event = get_object_or_404(
            CustodyEvent.objects.select_related("leg"),
            pk=pk,
            leg__in=leg_list_for_user(user=request.user),
        )
        body = CustodyPhotoSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            photo = services.custody_photo_add(
                event=event, by=request.user, upload=body.validated_data["photo"]
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        return Response(
            {
                "id": photo.pk,
                "sha256": photo.sha256,
                "url": reverse("custody-photo", args=[photo.pk]),
            },
            status=status.HTTP_201_CREATED,
        )


class BoardColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    legs = serializers.ListField(child=serializers.CharField())


class BoardSerializer(serializers.Serializer):
    columns = BoardColumnSerializer(many=True)
    on_road = serializers.ListField(child=serializers.DictField())
    progress = serializers.ListField(child=serializers.DictField())
    total = serializers.IntegerField()


class BoardView(APIView):
    """GET /api/v1/logistics/board/: the convoy board (no person's name on it)."""

    read_roles = CAN_READ_LOGISTICS

    @extend_schema(responses=BoardSerializer)
    def get(self, request):
        board = convoy_board()
        for column in board["columns"]:
            column["legs"] = [leg.code for leg in column["legs"]]
            column["label"] = str(column["label"])
        return Response(BoardSerializer(board).data)
