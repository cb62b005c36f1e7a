"""Personnel pages: the roster, strength (kekuatan) and BKO (the CSV page: operations.views_csv)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.access import CAN_MANAGE_BKO, CAN_READ_PERSONNEL, role_required, user_has_role
from core.dates import OUT_OF_RANGE, datetime_in_range
from personnel import services
from personnel.csv_io import ROSTER_COLUMNS, bko_roster_import
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


def _when(value: str, field: str):
    try:
        moment = parse_datetime(value or "")
    except ValueError:  # well formed, but no such day or hour
        moment = None
    if moment is None:
        raise ValidationError({field: _("Isi tanggal dan jam (YYYY-MM-DD HH:MM).")})
    try:
        moment = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    except (OverflowError, ValueError):
        moment = None
    # The API's bounds (core.dates): the years the system handles.
    if moment is None or not datetime_in_range(moment):
        raise ValidationError({field: OUT_OF_RANGE})
    return moment


def _number(value: str, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Isi dengan angka.")}) from None


def _bko_post(request) -> str:
    """One BKO step from the page's forms (the same services as the API); the message."""
    op, post = request.POST.get("op"), request.POST
    if op == "request":
        made = services.bko_request_create(
            by=request.user,
            kind=post.get("kind", "").strip(),
            count=_number(post.get("count"), "count"),
            location=post.get("location", "").strip(),
            reason=post.get("reason", "").strip(),
            needed_from=_when(post.get("needed_from"), "needed_from"),
            needed_until=_when(post.get("needed_until"), "needed_until"),
        )
        return _("Permintaan BKO #%(n)d diajukan ke Polda.") % {"n": made.pk}
    if op == "decide":
        asked = get_object_or_404(BkoRequest, pk=_number(post.get("request"), "request"))
        decided = services.bko_request_decide(
            request=asked,
            by=request.user,
            approved_count=_number(post.get("approved_count"), "approved_count"),
            note=post.get("note", "").strip(),
        )
        return _("Keputusan Polda dicatat: %(s)s.") % {"s": decided.get_status_display()}
    if op == "contingent":
        asked = get_object_or_404(BkoRequest, pk=_number(post.get("request"), "request"))
        made = services.bko_contingent_create(
            by=request.user,
            name=post.get("name", "").strip(),
            home_unit_name=post.get("home_unit", "").strip(),
            strength=_number(post.get("strength"), "strength"),
            request=asked,
        )
        return _("Kontingen %(c)s dicatat dalam perjalanan.") % {"c": made.name}
    if op not in ("checkin", "release"):
        raise ValidationError({"op": _("Tindakan tidak dikenal.")})
    contingent = get_object_or_404(BkoContingent, pk=_number(post.get("contingent"), "contingent"))
    if op == "checkin":
        result = bko_roster_import(
            contingent=contingent, data=post.get("roster", "").encode(), by=request.user
        )
        if result.errors:
            raise ValidationError(
                [f"{_('baris')} {e.line}: {e.field}: {e.message}" for e in result.errors[:10]]
            )
        return _("%(n)d personel %(c)s dicatat tiba.") % {"n": result.created, "c": contingent.name}
    if post.get("confirm") != "1":  # release
        raise ValidationError({"confirm": _("Centang konfirmasi pengembalian.")})
    services.bko_contingent_release(contingent=contingent, by=request.user)
    return _("Kontingen %(c)s dikembalikan ke satuan asal.") % {"c": contingent.name}


@role_required(*CAN_READ_PERSONNEL)
def bko(request):
    """Requests to Polda and the contingents: ask, record Polda's answer, announce, check in
    (the roster pasted as CSV), release. Reading for every personnel reader; acting for
    CAN_MANAGE_BKO."""
    can_manage = user_has_role(request.user, CAN_MANAGE_BKO)
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        try:
            messages.success(request, _bko_post(request))
            return redirect("bko")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
    contingents = (
        BkoContingent.objects.select_related("home_unit", "request")
        .annotate(checked_in=Count("officers"))
        .order_by("name")
    )
    return render(
        request,
        "personnel/bko.html",
        {
            "requests": BkoRequest.objects.all()[:50],
            "contingents": contingents,
            "can_manage": can_manage,
            "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "roster_header": ",".join(ROSTER_COLUMNS),
        },
        status=status,
    )
