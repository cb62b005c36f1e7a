"""Reference data over the API (read by every role; edited by admin in the Django admin)."""

from rest_framework import serializers, viewsets

from core.access import ALL_ROLES
from operations.models import ElectionPhase, Kecamatan, Kelurahan


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
