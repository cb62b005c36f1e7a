from django.contrib import admin

from core.admin import AuditedModelAdmin
from personnel.models import Unit


@admin.register(Unit)
class UnitAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "kind", "parent", "kecamatan"]
    list_filter = ["kind"]
    list_select_related = ["parent", "kecamatan"]
