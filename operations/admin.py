from django.contrib import admin

from core.admin import AuditedModelAdmin
from operations.models import ElectionPhase, Kecamatan, Kelurahan, Tps


@admin.register(Kecamatan)
class KecamatanAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "lat", "lon"]


@admin.register(Kelurahan)
class KelurahanAdmin(AuditedModelAdmin):
    list_display = ["name", "kecamatan", "lat", "lon"]
    list_filter = ["kecamatan"]
    list_select_related = ["kecamatan"]


@admin.register(ElectionPhase)
class ElectionPhaseAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "starts_at", "ends_at", "risk_weight"]


@admin.register(Tps)
class TpsAdmin(AuditedModelAdmin):
    list_display = ["__str__", "dpt", "category", "is_khusus", "status"]
    list_filter = ["category", "is_khusus", "kelurahan__kecamatan"]
    list_select_related = ["kelurahan"]
    search_fields = ["kelurahan__name", "address"]
