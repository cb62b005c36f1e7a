"""TPS returns over the API: an officer files his TPS's polling-day status (idempotent, in
order), the command post reads them and the overdue list (the rules: incidents/tps_returns.py)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.access import CAN_FILE_TPS_RETURNS, CAN_READ_ALL_TPS_RETURNS, CAN_READ_TPS_RETURNS
from incidents import tps_returns
from incidents.idempotency import IdempotencyKeyRefused, idempotency_key_check
from incidents.models import TpsReturn
from incidents.selectors import tps_overdue_list, tps_return_list_for_user
from operations.models import Tps, TpsStatus


class TpsReturnSerializer(serializers.ModelSerializer):
    tps = serializers.PrimaryKeyRelatedField(queryset=Tps.objects.all())
    status = serializers.ChoiceField(choices=[s.value for s in tps_returns.TPS_RETURN_ORDER])
    # A command-post correction backwards in the polling-day order needs one (audited).
    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=255, default=""
    )

    class Meta:
        model = TpsReturn
        fields = ["id", "tps", "status", "note", "reason", "reported_at"]
        read_only_fields = ["reported_at"]


class TpsOverdueSerializer(serializers.Serializer):
    """A TPS behind the polling-day schedule: where it is, what it reported, what is due."""

    tps = serializers.IntegerField()
    number = serializers.IntegerField()
    kelurahan = serializers.CharField()
    status = serializers.ChoiceField(choices=TpsStatus.choices)
    expected = serializers.ChoiceField(choices=TpsStatus.choices)
    due_at = serializers.DateTimeField()


class TpsReturnViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """TPS returns through polling day; `overdue` lists TPS whose next return is late."""

    read_roles = CAN_READ_TPS_RETURNS
    write_roles = CAN_FILE_TPS_RETURNS
    action_roles = {"overdue": CAN_READ_ALL_TPS_RETURNS}
    serializer_class = TpsReturnSerializer
    filterset_fields = ["tps", "status"]

    def get_queryset(self):
        return tps_return_list_for_user(user=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="client-generated, one per return, at most 80 characters; per "
                "reporter. The same key again answers the first return.",
            )
        ]
    )
    def create(self, request, *args, **kwargs):
        try:
            self.idempotency_key = idempotency_key_check(
                request.headers.get("Idempotency-Key"), required=False
            )
        except IdempotencyKeyRefused as refused:
            return Response(refused.body(), status=status.HTTP_400_BAD_REQUEST)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        try:
            # The TPS locked: the order check and the write see the same status.
            serializer.instance, _created = tps_returns.tps_return_file(
                by=self.request.user, key=self.idempotency_key, tps_id=data.pop("tps").pk, **data
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None  # DRF's own would drop the message

    @extend_schema(responses=TpsOverdueSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def overdue(self, request):
        """TPS whose expected return by now has not come (the schedule is in the docs)."""
        return Response(tps_overdue_list())
