"""Operations pages: TPS and their vulnerability; the deployment planner (run, review, accept)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.access import (
    CAN_IMPORT_EXPORT_CSV,
    CAN_OPEN_TPS_PAGES,
    CAN_PLAN_DEPLOYMENT,
    CAN_READ_OVERRIDE_REASON,
    CAN_READ_RECAP,
    CAN_SET_TPS_VULNERABILITY,
    CAN_UPDATE_RECAP,
    role_required,
    user_has_role,
)
from operations import services
from operations.mapdata import point_map_config
from operations.models import (
    DeploymentPattern,
    DeploymentPlan,
    Indicator,
    Kecamatan,
    RecapSession,
    Tps,
    TpsCategory,
)
from operations.recap import CROWD_COLOURS, recap_rows, recap_update
from operations.selectors import operation_window_default, plan_changes, tps_counts_by_category
from operations.vulnerability import WEIGHTS
from personnel.models import Officer


@role_required(*CAN_OPEN_TPS_PAGES)
def tps_list(request):
    qs = Tps.objects.select_related("kelurahan__kecamatan").order_by("kelurahan__name", "number")
    kec = request.GET.get("kecamatan", "")
    cat = request.GET.get("category", "")
    if kec:
        qs = qs.filter(kelurahan__kecamatan__code=kec)
    if cat == "khusus":
        qs = qs.filter(is_khusus=True)
    elif cat in TpsCategory.values:
        qs = qs.filter(category=cat, is_khusus=False)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "operations/tps_list.html",
        {
            "page": page,
            "kecamatan": Kecamatan.objects.order_by("name"),
            "categories": [*TpsCategory.choices, ("khusus", _("khusus"))],
            "selected": {"kecamatan": kec, "category": cat},
            "counts": tps_counts_by_category(qs),
            "can_export": user_has_role(request.user, CAN_IMPORT_EXPORT_CSV),
        },
    )


class IndicatorsForm(forms.Form):
    indicators = forms.MultipleChoiceField(
        label=gettext_lazy("Indikator kerawanan"),
        choices=Indicator.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class OverrideForm(forms.Form):
    category = forms.ChoiceField(
        label=gettext_lazy("Kategori ditetapkan"),
        choices=[("", gettext_lazy("— ikuti indikator —")), *TpsCategory.choices],
        required=False,
    )
    reason = forms.CharField(label=gettext_lazy("Alasan"), max_length=255, required=False)


@role_required(*CAN_OPEN_TPS_PAGES)
def tps_detail(request, pk: int):
    tps = get_object_or_404(Tps.objects.select_related("kelurahan__kecamatan"), pk=pk)
    can_edit = user_has_role(request.user, CAN_SET_TPS_VULNERABILITY)
    # The reason for a category set by hand may rest on intelligence: not for the liaison.
    show_reason = user_has_role(request.user, CAN_READ_OVERRIDE_REASON)
    ind_form = IndicatorsForm(initial={"indicators": tps.indicators})
    ovr_form = OverrideForm(
        initial={"category": tps.category_override, "reason": tps.override_reason}
    )
    if request.method == "POST":
        if not can_edit:
            return HttpResponse(status=403)
        try:
            if "indicators-submit" in request.POST:
                ind_form = IndicatorsForm(request.POST)
                if ind_form.is_valid():
                    services.tps_set_indicators(
                        tps=tps, by=request.user, indicators=ind_form.cleaned_data["indicators"]
                    )
                    messages.success(request, _("Indikator disimpan."))
                    return redirect("tps-page-detail", pk=tps.pk)
            else:
                ovr_form = OverrideForm(request.POST)
                if ovr_form.is_valid():
                    services.tps_override_category(
                        tps=tps,
                        by=request.user,
                        category=ovr_form.cleaned_data["category"],
                        reason=ovr_form.cleaned_data["reason"],
                    )
                    messages.success(request, _("Kategori disimpan."))
                    return redirect("tps-page-detail", pk=tps.pk)
        except ValidationError as exc:
            form = ind_form if "indicators-submit" in request.POST else ovr_form
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
    labels = dict(Indicator.choices)
    return render(
        request,
        "operations/tps_detail.html",
        {
            "tps": tps,
            "indicators": [
                (code, labels.get(code, code), WEIGHTS.get(code, 0)) for code in tps.indicators
            ],
            "ind_form": ind_form,
            "ovr_form": ovr_form,
            "can_edit": can_edit,
            "show_reason": show_reason,
            "posts": tps.posts.filter(is_active=True),
            "point_map": point_map_config(),
        },
    )


class PlanForm(forms.Form):
    pattern = forms.ModelChoiceField(
        label=gettext_lazy("Pola pengamanan"),
        queryset=DeploymentPattern.objects.all(),
        empty_label=None,
    )
    reserve_percent = forms.IntegerField(
        label=gettext_lazy("Cadangan (%)"), min_value=0, max_value=90, initial=10
    )
    starts_at = forms.DateTimeField(label=gettext_lazy("Mulai tugas"))
    ends_at = forms.DateTimeField(label=gettext_lazy("Selesai tugas"))
    keep_manual = forms.BooleanField(
        label=gettext_lazy("Pertahankan penugasan manual"), required=False, initial=True
    )

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("Waktu selesai harus sesudah waktu mulai."))
        return data


@role_required(*CAN_PLAN_DEPLOYMENT)
def planner_page(request):
    start, end = operation_window_default()
    form = PlanForm(
        request.POST or None,
        initial={
            "pattern": DeploymentPattern.objects.filter(is_default=True).first(),
            "starts_at": start.strftime("%Y-%m-%d %H:%M"),
            "ends_at": end.strftime("%Y-%m-%d %H:%M"),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        plan = services.plan_run(
            by=request.user,
            pattern=data["pattern"],
            reserve_share=data["reserve_percent"] / 100,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            keep_manual=data["keep_manual"],
        )
        return redirect("plan-page", pk=plan.pk)
    plans = DeploymentPlan.objects.select_related("pattern", "created_by")[:20]
    return render(request, "operations/planner.html", {"form": form, "plans": plans})


@role_required(*CAN_PLAN_DEPLOYMENT)
def plan_detail(request, pk: int):
    plan = get_object_or_404(DeploymentPlan.objects.select_related("pattern"), pk=pk)
    clusters = plan.result.get("clusters", [])
    short = [c for c in clusters if len(c["officers"]) < c["required"]]
    ids = {a["officer_id"] for c in clusters[:200] for a in c["officers"]}
    names = {o.pk: str(o) for o in Officer.objects.filter(pk__in=ids)}
    shown = []
    for c in clusters[:200]:
        shown.append(
            {
                **c,
                "officer_rows": [
                    {**a, "name": names.get(a["officer_id"], a["officer_id"])}
                    for a in c["officers"]
                ],
            }
        )
    return render(
        request,
        "operations/plan_detail.html",
        {
            "plan": plan,
            "cov": plan.coverage,
            "clusters": shown,
            "clusters_total": len(clusters),
            "short": short[:50],
            "changes": plan_changes(plan) if plan.status == DeploymentPlan.Status.DRAFT else None,
        },
    )


@role_required(*CAN_PLAN_DEPLOYMENT)
@require_POST
def plan_accept_view(request, pk: int):
    plan = get_object_or_404(DeploymentPlan, pk=pk)
    if request.POST.get("confirm") != "1":
        # Applying moves officers between posts: it happens only once the changes were read.
        messages.error(request, _("Periksa perubahan lalu centang konfirmasi sebelum menerapkan."))
        return redirect("plan-page", pk=plan.pk)
    try:
        services.plan_accept(plan=plan, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("plan-page", pk=plan.pk)
    messages.success(request, _("Rencana diterapkan: pos dan penugasan dibuat."))
    return redirect("plan-page", pk=plan.pk)


@role_required(*CAN_READ_RECAP)
def recap_page(request):
    """The recapitulation sessions (each PPK's and the KPU Kota's): schedule, status, crowd,
    guard against plan; the command post records a session's status here."""
    can_update = user_has_role(request.user, CAN_UPDATE_RECAP)
    status = 200
    if request.method == "POST":
        if not can_update:
            raise PermissionDenied
        session = get_object_or_404(RecapSession, pk=request.POST.get("session") or 0)
        try:
            recap_update(
                session=session,
                by=request.user,
                status=request.POST.get("status", ""),
                crowd_size=request.POST.get("crowd_size", ""),
                crowd_colour=request.POST.get("crowd_colour", ""),
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
        else:
            messages.success(request, _("Rekapitulasi %(s)s diperbarui.") % {"s": session})
            return redirect("recap-page")
    return render(
        request,
        "operations/recap.html",
        {
            "rows": recap_rows(),
            "can_update": can_update,
            "statuses": RecapSession.Status.choices,
            "colours": CROWD_COLOURS,
        },
        status=status,
    )
