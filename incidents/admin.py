"""Incidents and alerts are worked in Sispam's own pages, under their own access rules. The
admin holds the early-warning rules (administrators add and activate new versions) and the
reports whose scoring kept failing (read, re-queue)."""

import json

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import AuditedModelAdmin
from incidents.ew import default_config
from incidents.models import EwConfig, ScoringFailure
from incidents.scoring import score_failure_requeue


class EwConfigForm(forms.ModelForm):
    class Meta:
        model = EwConfig
        fields = ["version", "config", "is_active", "note"]


@admin.register(EwConfig)
class EwConfigAdmin(AuditedModelAdmin):
    """A version in use is never edited: copy it into a new version, change, activate."""

    form = EwConfigForm
    list_display = ["version", "is_active", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.pk:
            return ["version", "config"]
        return []

    def get_changeform_initial_data(self, request):
        data = default_config().to_dict()
        data.pop("version", None)
        return {"config": json.dumps(data, ensure_ascii=False, indent=1)}

    def save_model(self, request, obj, form, change):
        if obj.is_active:
            EwConfig.objects.exclude(pk=obj.pk).filter(is_active=True).update(is_active=False)
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ScoringFailure)
class ScoringFailureAdmin(admin.ModelAdmin):
    """Reports whose scoring kept failing: the administrator reads the error and re-queues them
    (after the cause is fixed). Rows are written by the scoring path only."""

    list_display = ["kind", "report_id", "engine_version", "status", "attempts", "updated_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in ScoringFailure._meta.fields]
    actions = ["requeue"]

    @admin.action(description=gettext_lazy("Antrekan ulang untuk dinilai"))
    def requeue(self, request, queryset):
        failures = list(queryset.exclude(status=ScoringFailure.Status.RESOLVED))
        for failure in failures:
            score_failure_requeue(failure=failure, by=request.user)
        self.message_user(request, _("%(n)d laporan diantrekan ulang.") % {"n": len(failures)})

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
