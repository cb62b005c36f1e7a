"""The engine learns over the API: corrections, training runs, versions, backtest, activation
(komando and intel: those who may read what the engine scores)."""

import json

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from core.access import CAN_TUNE_EARLY_WARNING
from incidents import learning
from incidents.models import AlertLevel, EwBacktest, EwConfig, EwCorrection, EwScore, EwTrainingRun


def _api_error(exc: ValidationError) -> ApiValidationError:
    return ApiValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


class CorrectionSerializer(serializers.ModelSerializer):
    score = serializers.PrimaryKeyRelatedField(queryset=EwScore.objects.all())
    level = serializers.ChoiceField(choices=AlertLevel.choices)
    reason = serializers.CharField(min_length=3, max_length=learning.REASON_MAX)
    by = serializers.CharField(source="by.username", read_only=True)
    scored_level = serializers.CharField(source="score.level", read_only=True)

    class Meta:
        model = EwCorrection
        fields = ["id", "score", "level", "reason", "by", "scored_level", "created_at"]
        read_only_fields = ["created_at"]


class EwCorrectionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Corrections of scored reports (POST `score`, `level`, `reason`); `export/` gives every
    corrected report once, in the corpus format (JSON Lines)."""

    read_roles = CAN_TUNE_EARLY_WARNING
    write_roles = CAN_TUNE_EARLY_WARNING
    serializer_class = CorrectionSerializer
    queryset = EwCorrection.objects.select_related("by", "score").order_by("-created_at", "-id")

    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            correction = learning.ew_correction_create(by=request.user, **body.validated_data)
        except ValidationError as exc:
            raise _api_error(exc) from None
        return Response(self.get_serializer(correction).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/x-ndjson"): OpenApiTypes.STR})
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request):
        lines = [json.dumps(row, ensure_ascii=False) for row in learning.corrections_export()]
        response = HttpResponse(
            "\n".join(lines) + ("\n" if lines else ""), content_type="application/x-ndjson"
        )
        response["Content-Disposition"] = 'attachment; filename="ew-koreksi.jsonl"'
        return response


class TrainingRunSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(
        source="requested_by.username", default=None, allow_null=True
    )

    class Meta:
        model = EwTrainingRun
        fields = [
            "id",
            "version",
            "status",
            "requested_by",
            "requested_at",
            "finished_at",
            "summary",
            "error",
        ]


class TrainRequestSerializer(serializers.Serializer):
    version = serializers.SlugField(max_length=40, required=False)


class EwTrainingRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Training runs, newest first; POST `train/` to start one (a worker trains it)."""

    read_roles = CAN_TUNE_EARLY_WARNING
    action_roles = {"train": CAN_TUNE_EARLY_WARNING}
    serializer_class = TrainingRunSerializer
    queryset = EwTrainingRun.objects.select_related("requested_by").order_by("-requested_at")

    @extend_schema(request=TrainRequestSerializer, responses={202: TrainingRunSerializer})
    @action(detail=False, methods=["post"])
    def train(self, request):
        body = TrainRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            run = learning.ew_training_request(by=request.user, **body.validated_data)
        except ValidationError as exc:
            raise _api_error(exc) from None
        run.refresh_from_db()
        return Response(TrainingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class VersionSerializer(serializers.ModelSerializer):
    trained = serializers.SerializerMethodField()
    learned = serializers.SerializerMethodField()

    class Meta:
        model = EwConfig
        fields = ["version", "is_active", "note", "created_at", "learned", "trained"]

    def get_learned(self, obj) -> bool:
        return bool((obj.config or {}).get("model"))

    def get_trained(self, obj) -> dict:
        return learning._summary_model(obj)


class BacktestSerializer(serializers.ModelSerializer):
    version = serializers.CharField(source="config.version")

    class Meta:
        model = EwBacktest
        fields = ["id", "version", "against", "created_at", "summary"]


class ActivateSerializer(serializers.Serializer):
    backtest = serializers.IntegerField(help_text="the id of the backtest that was shown")


class EwVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Engine versions (without their lexicon and model); `backtest/` shows what a version
    would change, `activate/` (naming that backtest) switches the engine to it."""

    read_roles = CAN_TUNE_EARLY_WARNING
    action_roles = {"backtest": CAN_TUNE_EARLY_WARNING, "activate": CAN_TUNE_EARLY_WARNING}
    serializer_class = VersionSerializer
    lookup_field = "version"
    lookup_value_regex = "[-a-zA-Z0-9_.]+"
    queryset = EwConfig.objects.order_by("-created_at", "-id")

    @extend_schema(request=None, responses={201: BacktestSerializer})
    @action(detail=True, methods=["post"])
    def backtest(self, request, version=None):
        config = self.get_object()
        result = learning.ew_backtest_run(config=config, by=request.user)
        return Response(BacktestSerializer(result).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ActivateSerializer, responses={200: VersionSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request, version=None):
        config = self.get_object()
        body = ActivateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        backtest = EwBacktest.objects.filter(pk=body.validated_data["backtest"]).first()
        try:
            config = learning.ew_config_activate(config=config, backtest=backtest, by=request.user)
        except ValidationError as exc:
            raise _api_error(exc) from None
        return Response(VersionSerializer(config).data)
