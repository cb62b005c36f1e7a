"""Personnel pages: the roster, strength (kekuatan), BKO, and CSV import/export."""

import io

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.access import CAN_IMPORT_EXPORT_CSV, CAN_READ_PERSONNEL, role_required
from core.csv_io import MAX_BYTES
from core.uploads import accepts_uploads
from operations.csv_io import tps_export, tps_import
from personnel.csv_io import bko_roster_import, officers_export, officers_import
from personnel.models import BkoContingent, BkoRequest, OfficerStatus, Unit
from personnel.selectors import officer_list_for_user, strength_rollup


@role_required(*CAN_READ_PERSONNEL)
def roster(request):
    qs = officer_list_for_user(user=request.user)
    unit = request.GET.get("unit", "")
    status = request.GET.get("status", "")
    side = request.GET.get("side", "")
    q = request.GET.get("q", "").strip()
    if unit:
        qs = qs.filter(unit__code=unit)
    if status in OfficerStatus.values:
        qs = qs.filter(status=status)
    if side == "bko":
        qs = qs.filter(contingent__isnull=False)
    elif side == "polres":
        qs = qs.filter(contingent__isnull=True)
    if q:
        qs = qs.filter(nrp__startswith=q) if q.isdigit() else qs.filter(name__icontains=q)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "personnel/roster.html",
        {
            "page": page,
            "units": Unit.objects.order_by("kind", "name"),
            "statuses": OfficerStatus.choices,
            "selected": {"unit": unit, "status": status, "side": side, "q": q},
        },
    )


@role_required(*CAN_READ_PERSONNEL)
def strength(request):
    return render(request, "personnel/strength.html", {"s": strength_rollup()})


@role_required(*CAN_READ_PERSONNEL)
def bko(request):
    return render(
        request,
        "personnel/bko.html",
        {
            "requests": BkoRequest.objects.select_related("requested_by")[:50],
            "contingents": BkoContingent.objects.select_related("home_unit", "request").order_by(
                "name"
            ),
        },
    )


class ImportForm(forms.Form):
    KINDS = [
        ("officers", gettext_lazy("Daftar personel (Polres dan BKO)")),
        ("bko", gettext_lazy("Daftar personel satu kontingen BKO")),
        ("tps", gettext_lazy("Daftar TPS")),
    ]
    kind = forms.ChoiceField(label=gettext_lazy("Jenis data"), choices=KINDS)
    contingent = forms.ModelChoiceField(
        label=gettext_lazy("Kontingen (untuk daftar BKO)"),
        queryset=BkoContingent.objects.exclude(status=BkoContingent.Status.RELEASED),
        required=False,
    )
    file = forms.FileField(label=gettext_lazy("Berkas CSV (UTF-8, maks. 10 MB)"))

    def clean(self):
        data = super().clean()
        if data.get("kind") == "bko" and not data.get("contingent"):
            self.add_error("contingent", _("Pilih kontingen untuk daftar BKO."))
        return data


@role_required(*CAN_IMPORT_EXPORT_CSV)
@accepts_uploads("file")
def csv_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            form.add_error("file", _("Berkas terlalu besar (maks. 10 MB)."))
        else:
            data = upload.read()
            kind = form.cleaned_data["kind"]
            if kind == "officers":
                result = officers_import(data=data, by=request.user)
            elif kind == "bko":
                result = bko_roster_import(
                    contingent=form.cleaned_data["contingent"], data=data, by=request.user
                )
            else:
                result = tps_import(data=data, by=request.user)
            if not result.errors:
                messages.success(
                    request,
                    _("Impor berhasil: %(c)d baru, %(u)d diperbarui.")
                    % {"c": result.created, "u": result.updated},
                )
                return redirect("csv-import")
    status = 400 if result is not None and result.errors else 200
    return render(
        request, "personnel/csv_import.html", {"form": form, "result": result}, status=status
    )


def _csv_response(writer, name: str) -> HttpResponse:
    buffer = io.StringIO()
    writer(buffer)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


@role_required(*CAN_IMPORT_EXPORT_CSV)
def officers_csv(request):
    return _csv_response(officers_export, "personel")


@role_required(*CAN_IMPORT_EXPORT_CSV)
def tps_csv(request):
    return _csv_response(tps_export, "tps")
