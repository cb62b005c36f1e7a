from django.contrib import admin

from core.models import AuditEvent
from core.services import audit_diff, audit_record, audit_snapshot


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only, through the admin as everywhere."""

    list_display = ["at", "actor_username", "action", "object_repr"]
    list_filter = ["action"]
    search_fields = ["actor_username", "object_repr", "object_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletes go to the audit trail with before/after values."""

    def _fields(self, obj) -> list[str]:
        return [f.name for f in obj._meta.concrete_fields if f.name != "id"]

    def save_model(self, request, obj, form, change):
        before = {}
        if change:
            old = type(obj).objects.filter(pk=obj.pk).first()
            before = audit_snapshot(old, self._fields(obj)) if old else {}
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="admin.change" if change else "admin.add",
            obj=obj,
            changes=audit_diff(before, audit_snapshot(obj, self._fields(obj))),
        )

    def delete_model(self, request, obj):
        audit_record(
            actor=request.user,
            action="admin.delete",
            obj=obj,
            changes={k: [v, None] for k, v in audit_snapshot(obj, self._fields(obj)).items()},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
