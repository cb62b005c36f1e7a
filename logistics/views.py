"""Pages of election logistics (docs/logistics.md): the convoy board with the plan's import and
export, a leg's page with its custody trail and escort, the escort's phone page (its steps go
through the field app's outbox; without JavaScript the forms post here) and the handover
photos. The dashboard's board fragment is command.views_dashboard.dashboard_convoy."""

import io
import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.access import (
    CAN_OPEN_ESCORT_PAGES,
    CAN_PLAN_LOGISTICS,
    CAN_READ_CUSTODY_PHOTOS,
    CAN_READ_LOGISTICS,
    role_required,
    user_has_role,
)
from core.uploads import accepts_uploads
from incidents.idempotency import IdempotencyKeyRefused, idempotency_key_check
from incidents.photos import photo_response
from logistics import services
from logistics.csv_io import legs_export, legs_import
from logistics.models import CustodyEvent, ManifestItem
from logistics.selectors import (
    convoy_board,
    custody_photo_get_for_user,
    custody_trail,
    escort_legs_for,
    leg_get_for_user,
    names_visible,
)
from personnel.models import Officer


class PlanImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Jadwal distribusi KPU (CSV, UTF-8, maks. 10 MB)"))


def _board_page(request, *, form=None, result=None, status: int = 200):
    """The logistics page: the board, the latest custody steps (named for the command post),
    and for the command post the plan's import (with an import's errors) and export."""
    context = {
        "board": convoy_board(),
        "names": names_visible(request.user),
        "trail": custody_trail(user=request.user, limit=30),
        "can_plan": user_has_role(request.user, CAN_PLAN_LOGISTICS),
        "form": form or PlanImportForm(),
        "result": result,
    }
    return render(request, "logistics/board.html", context, status=status)


@role_required(*CAN_READ_LOGISTICS)
def logistics_board(request):
    """The convoy board: legs by phase, problems, progress per kecamatan, the latest custody
    steps; the plan's import and export for the command post."""
    return _board_page(request)


@role_required(*CAN_PLAN_LOGISTICS)
@require_POST
@accepts_uploads("file")
def logistics_import(request):
    form = PlanImportForm(request.POST, request.FILES)
    result = None
    if form.is_valid():
        # The upload itself: csv_read refuses one over its size limit before reading it.
        result = legs_import(data=form.cleaned_data["file"], by=request.user)
        if result.ok:
            messages.success(
                request,
                _("Impor berhasil: %(c)d perjalanan baru, %(u)d diperbarui.")
                % {"c": result.created, "u": result.updated},
            )
            return redirect("logistics-board")
    return _board_page(request, form=form, result=result, status=400)


@role_required(*CAN_PLAN_LOGISTICS)
@require_GET
def logistics_export(request):
    buffer = io.StringIO()
    legs_export(buffer)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="logistik-{stamp}.csv"'
    return response


@role_required(*CAN_READ_LOGISTICS)
def leg_detail(request, pk: int):
    """A leg: route, times, manifest, escort (named for the command post), custody trail; the
    command post sets the escort here."""
    leg = leg_get_for_user(user=request.user, pk=pk)
    can_plan = user_has_role(request.user, CAN_PLAN_LOGISTICS)
    errors = {}
    if request.method == "POST":
        if not can_plan:
            raise PermissionDenied
        try:
            commander, escorts = _team_from(request.POST)
            services.leg_escort_set(leg=leg, by=request.user, commander=commander, escorts=escorts)
        except ValidationError as exc:
            errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
        else:
            messages.success(request, _("Tim pengawal disimpan."))
            return redirect("leg-page", pk=leg.pk)
    context = {
        "leg": leg,
        "names": names_visible(request.user),
        "trail": list(reversed(custody_trail(user=request.user, leg=leg))),
        "can_plan": can_plan,
        "errors": errors,
    }
    return render(request, "logistics/leg_detail.html", context, status=400 if errors else 200)


def _team_from(post) -> tuple[Officer | None, list[Officer]]:
    """The commander and escorts named by NRP in the escort form; an unknown NRP is refused."""
    commander_nrp = post.get("commander_nrp", "").strip()
    nrps = services.nrps_split(post.get("escort_nrps", ""))
    found = {o.nrp: o for o in Officer.objects.filter(nrp__in=[commander_nrp, *nrps])}
    unknown = [n for n in [commander_nrp, *nrps] if n and n not in found]
    if unknown:
        raise ValidationError(
            {"commander": _("NRP tidak dikenal: %(n)s") % {"n": ", ".join(unknown)}}
        )
    return found.get(commander_nrp), [found[n] for n in nrps]


def _counts_from(post) -> dict:
    counts = {}
    for item in ManifestItem.values:
        text = post.get(f"count_{item}", "").strip()
        if text:
            try:
                counts[item] = int(text)
            except ValueError:
                raise ValidationError(
                    {
                        "counts": _("Jumlah %(i)s harus bilangan bulat.")
                        % {"i": ManifestItem(item).label}
                    }
                ) from None
    return counts


@role_required(*CAN_OPEN_ESCORT_PAGES)
@accepts_uploads("photo")
def escort_legs(request):
    """The escort's phone page: the legs he escorts, each with its steps (departed, position,
    stopped, resumed, arrived) and the handover form."""
    errors: dict = {}
    if request.method == "POST":
        try:
            leg = leg_get_for_user(user=request.user, pk=int(request.POST.get("leg", "0") or 0))
            key = idempotency_key_check(request.POST.get("idempotency_key"), required=False)
            event, _created = services.custody_record(
                by=request.user,
                leg=leg,
                kind=request.POST.get("kind", ""),
                key=key,
                lat=request.POST.get("lat") or None,
                lon=request.POST.get("lon") or None,
                receiver_name=request.POST.get("receiver_name", ""),
                receiver_role=request.POST.get("receiver_role", ""),
                counts=_counts_from(request.POST),
                seals=request.POST.get("seals", ""),
                note=request.POST.get("note", ""),
            )
            if request.FILES.get("photo"):
                services.custody_photo_add(
                    event=event, by=request.user, upload=request.FILES["photo"]
                )
        except (ValueError, IdempotencyKeyRefused):
            errors = {"kind": _("Permintaan tidak sah.")}
        except PermissionDenied as exc:
            errors = {"kind": str(exc)}
        except ValidationError as exc:
            errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
        else:
            messages.success(
                request,
                _("Tercatat: %(k)s #%(id)d.") % {"k": event.get_kind_display(), "id": event.pk},
            )
            return redirect("escort-legs")
    legs = list(escort_legs_for(user=request.user))
    return render(
        request,
        "logistics/escort.html",
        {
            "legs": legs,
            "roles": CustodyEvent.ReceiverRole.choices,
            "kinds": CustodyEvent.Kind,
            "key": str(uuid.uuid4()),
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@role_required(*CAN_READ_CUSTODY_PHOTOS)
def custody_photo(request, pk: int):
    """A handover photo, the copy without metadata (MEDIA_ROOT is never served)."""
    photo = custody_photo_get_for_user(user=request.user, pk=pk)
    return photo_response(photo, photo.display)
