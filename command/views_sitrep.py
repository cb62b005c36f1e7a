"""Situation report pages (laporan situasi): the report on screen, as PDF and as CSV."""

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from command.sitrep import (
    sitrep_author_label,
    sitrep_build,
    sitrep_day,
    sitrep_period_check,
    sitrep_period_default,
)
from command.sitrep_render import (
    sitrep_csv,
    sitrep_filename,
    sitrep_header,
    sitrep_pdf,
    sitrep_tables,
)
from core.access import CAN_READ_FULL_SITREP, CAN_READ_SITREP, role_required, user_has_role

DATETIME_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]


class SitrepForm(forms.Form):
    """The period of a situation report (WIB) and the version; `dari` < `sampai`, at most
    MAX_SPAN. The liaison's choice of version is ignored: he always gets the partner one."""

    dari = forms.DateTimeField(
        label=gettext_lazy("Dari"),
        input_formats=DATETIME_INPUT,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT[0]),
    )
    sampai = forms.DateTimeField(
        label=gettext_lazy("Sampai"),
        input_formats=DATETIME_INPUT,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT[0]),
    )
    mitra = forms.BooleanField(
        label=gettext_lazy("Versi mitra (tanpa intelijen dan data pribadi)"), required=False
    )

    def clean(self):

        data = super().clean()
        if data.get("dari") and data.get("sampai"):
            try:
                sitrep_period_check(start=data["dari"], end=data["sampai"])
            except ValidationError as exc:
                for message in exc.message_dict.get("end", []) + exc.message_dict.get("start", []):
                    self.add_error("sampai", message)
        return data


def _sitrep_request(request):
    """(form, report) from the query string; the default period when none is given. The
    report is None when the form is invalid."""

    liaison_only = not user_has_role(request.user, CAN_READ_FULL_SITREP)
    if "dari" in request.GET or "sampai" in request.GET:
        form = SitrepForm(request.GET)
    else:
        start, end = sitrep_period_default()
        form = SitrepForm(
            {
                "dari": start.strftime("%Y-%m-%dT%H:%M"),
                "sampai": end.strftime("%Y-%m-%dT%H:%M"),
                # The default period, in the version asked for (?mitra=on alone).
                "mitra": liaison_only or request.GET.get("mitra", "") not in ("", "0", "off"),
            }
        )
    if not form.is_valid():
        return form, None
    # Enforced here, server-side: the liaison gets the partner version whatever he asks for.
    partner = liaison_only or form.cleaned_data["mitra"]
    report = sitrep_build(
        start=form.cleaned_data["dari"],
        end=form.cleaned_data["sampai"],
        partner=partner,
        author=sitrep_author_label(request.user, partner=partner),
    )
    return form, report


def _sitrep_query(report) -> str:
    params = {
        "dari": timezone.localtime(report.start).strftime("%Y-%m-%dT%H:%M"),
        "sampai": timezone.localtime(report.end).strftime("%Y-%m-%dT%H:%M"),
    }
    if report.partner:
        params["mitra"] = "on"
    return urlencode(params)


@role_required(*CAN_READ_SITREP)
def sitrep_page(request):
    form, report = _sitrep_request(request)
    today = timezone.localdate()
    days = []
    for label, day in ((_("Hari ini"), today), (_("Kemarin"), today - dt.timedelta(days=1))):
        start, end = sitrep_day(day=day)
        days.append(
            {
                "label": label,
                "dari": start.strftime("%Y-%m-%dT%H:%M"),
                "sampai": end.strftime("%Y-%m-%dT%H:%M"),
            }
        )
    context = {
        "form": form,
        "report": report,
        "days": days,
        "can_choose": user_has_role(request.user, CAN_READ_FULL_SITREP),
    }
    if report is not None:
        context.update(
            {
                "header": sitrep_header(report),
                "tables": sitrep_tables(report),
                "query": _sitrep_query(report),
            }
        )
    return render(
        request, "operations/sitrep.html", context, status=200 if report is not None else 400
    )


def _sitrep_bad_request(form) -> HttpResponse:
    lines = [f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()]
    return HttpResponse(
        "\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8"
    )


@role_required(*CAN_READ_SITREP)
def sitrep_pdf_download(request):
    form, report = _sitrep_request(request)
    if report is None:
        return _sitrep_bad_request(form)
    response = HttpResponse(sitrep_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{sitrep_filename(report, "pdf")}"'
    return response


@role_required(*CAN_READ_SITREP)
def sitrep_csv_download(request):
    form, report = _sitrep_request(request)
    if report is None:
        return _sitrep_bad_request(form)
    response = HttpResponse(sitrep_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{sitrep_filename(report, "csv")}"'
    return response
