"""Personnel pages: the roster, strength (kekuatan) and BKO (the CSV page: operations.views_csv)."""

from django.core.paginator import Paginator
from django.shortcuts import render

from core.access import CAN_READ_PERSONNEL, role_required
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
