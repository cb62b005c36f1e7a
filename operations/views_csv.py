"""The CSV page: import officers, a BKO contingent's roster or the TPS list, and export the
officers and the TPS (all-or-nothing, per-line errors: core/csv_io.py). It sits in operations
because it serves both apps' lists (operations may read personnel; not the other way)."""

import io

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.access import CAN_IMPORT_EXPORT_CSV, role_required
from core.csv_io import MAX_BYTES
from core.uploads import accepts_uploads
from operations.csv_io import tps_export, tps_import
from personnel.csv_io import bko_roster_import, officers_export, officers_import
from personnel.models import BkoContingent


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
