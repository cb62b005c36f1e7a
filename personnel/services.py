"""Writes of the personnel app: officers, their status and satgas, BKO requests and contingents.

Every service validates fully before writing, writes in one transaction and records an audit event.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.services import audit_diff, audit_record, audit_snapshot
from personnel.models import (
    BkoContingent,
    BkoRequest,
    Officer,
    OfficerStatus,
    OfficerStatusChange,
    Satgas,
    Unit,
    UnitKind,
)
from personnel.signals import contingent_released

OFFICER_FIELDS = ["nrp", "name", "rank", "unit", "function", "phone", "status", "satgas"]


@transaction.atomic
def officer_create(*, by, **fields) -> Officer:
    """Add an officer to the roster (validated: NRP unique and 8 digits, known rank and unit)."""
    officer = Officer(**fields)
    officer.full_clean()
    officer.save()
    audit_record(
        actor=by,
        action="officer.create",
        obj=officer,
        changes=audit_diff({}, audit_snapshot(officer, OFFICER_FIELDS)),
    )
    return officer


@transaction.atomic
def officer_update(*, officer: Officer, by, **fields) -> Officer:
    """Change an officer's record; a status change goes through officer_set_status instead."""
    if "status" in fields:
        raise ValidationError({"status": _("Ubah status lewat perubahan status.")})
    officer = Officer.objects.select_for_update().get(pk=officer.pk)
    before = audit_snapshot(officer, OFFICER_FIELDS)
    for name, value in fields.items():
        setattr(officer, name, value)
    officer.full_clean()
    officer.save(update_fields=list(fields))
    audit_record(
        actor=by,
        action="officer.update",
        obj=officer,
        changes=audit_diff(before, audit_snapshot(officer, OFFICER_FIELDS)),
    )
    return officer


@transaction.atomic
def officer_set_status(*, officer: Officer, by, status: str, note: str = "") -> Officer:
    """Set an officer's status (siaga, bertugas, ...) and keep the change in his history."""
    if status not in OfficerStatus.values:
        raise ValidationError({"status": _("Status tidak dikenal: %(s)s") % {"s": status}})
    officer = Officer.objects.select_for_update().get(pk=officer.pk)
    if officer.status == status:
        return officer
    OfficerStatusChange.objects.create(
        officer=officer, from_status=officer.status, to_status=status, by=by, note=note[:200]
    )
    audit_record(
        actor=by,
        action="officer.status",
        obj=officer,
        changes={"status": [officer.status, status]},
        note=note,
    )
    officer.status = status
    officer.save(update_fields=["status"])
    return officer


@transaction.atomic
def officer_set_satgas(*, officer: Officer, by, satgas: Satgas | None) -> Officer:
    """Put an officer in one of the six satgas (or none)."""
    officer = Officer.objects.select_for_update().get(pk=officer.pk)
    before = officer.satgas_id
    officer.satgas = satgas
    officer.save(update_fields=["satgas"])
    audit_record(
        actor=by,
        action="officer.satgas",
        obj=officer,
        changes={"satgas": [before, satgas.pk if satgas else None]},
    )
    return officer


@transaction.atomic
def bko_request_create(
    *, by, kind: str, count: int, location: str, reason: str, needed_from, needed_until
) -> BkoRequest:
    """Ask Polda for reinforcements: how many, what kind, where, why, for when."""
    request = BkoRequest(
        kind=kind,
        count=count,
        location=location,
        reason=reason,
        needed_from=needed_from,
        needed_until=needed_until,
        requested_by=by,
    )
    request.full_clean()
    if count < 1:
        raise ValidationError({"count": _("Jumlah diminta minimal 1.")})
    if needed_until < needed_from:
        raise ValidationError({"needed_until": _("Akhir kebutuhan sebelum awalnya.")})
    request.save()
    audit_record(
        actor=by,
        action="bko.request",
        obj=request,
        changes={"kind": [None, kind], "count": [None, count], "location": [None, location]},
    )
    return request


@transaction.atomic
def bko_request_decide(
    *, request: BkoRequest, by, approved_count: int, note: str = ""
) -> BkoRequest:
    """Record Polda's answer: all, part (partial approval) or none of what was asked."""
    request = BkoRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != BkoRequest.Status.DIAJUKAN:
        raise ValidationError({"status": _("Permintaan ini sudah diputuskan.")})
    if not 0 <= approved_count <= request.count:
        raise ValidationError(
            {
                "approved_count": _("Jumlah disetujui harus antara 0 dan %(n)d.")
                % {"n": request.count}
            }
        )
    if approved_count == 0:
        request.status = BkoRequest.Status.DITOLAK
    elif approved_count < request.count:
        request.status = BkoRequest.Status.SEBAGIAN
    else:
        request.status = BkoRequest.Status.DISETUJUI
    request.approved_count = approved_count
    request.decision_note = note
    request.decided_by = by
    request.decided_at = timezone.now()
    request.save(
        update_fields=["status", "approved_count", "decision_note", "decided_by", "decided_at"]
    )
    audit_record(
        actor=by,
        action="bko.decide",
        obj=request,
        changes={"status": ["diajukan", request.status], "approved_count": [0, approved_count]},
        note=note,
    )
    return request


@transaction.atomic
def bko_contingent_create(
    *, by, name: str, home_unit_name: str, strength: int, request: BkoRequest | None = None
) -> BkoContingent:
    """Announce a contingent on its way (from an approved request, or sent by Polda directly)."""
    if request is not None and request.status not in (
        BkoRequest.Status.DISETUJUI,
        BkoRequest.Status.SEBAGIAN,
    ):
        raise ValidationError({"request": _("Permintaan belum disetujui Polda.")})
    if not _unit_code(home_unit_name) or not _unit_code(f"bko-{name}").removeprefix("bko"):
        # A name of no letter or digit ("\x17\x17") has no code: the long fuzz made one.
        raise ValidationError(
            {"home_unit": _("Nama kontingen dan satuan asal harus berisi huruf atau angka.")}
        )
    home, _created = Unit.objects.get_or_create(
        code=_unit_code(home_unit_name),
        defaults={"name": home_unit_name, "kind": UnitKind.EXTERNAL},
    )
    contingent = BkoContingent(
        code=_unit_code(f"bko-{name}"),
        name=name,
        home_unit=home,
        strength=strength,
        request=request,
    )
    contingent.full_clean()
    contingent.save()
    audit_record(
        actor=by, action="bko.contingent", obj=contingent, changes={"strength": [None, strength]}
    )
    return contingent


def _unit_code(name: str) -> str:
    return slugify(name)[:48]


@transaction.atomic
def bko_contingent_check_in(
    *, contingent: BkoContingent, by, officers: list[dict]
) -> BkoContingent:
    """Count a contingent in: each officer recorded with NRP, name, rank (and phone).

    All or nothing: one bad row (a duplicate NRP, an unknown rank) and nobody is checked in.
    """
    contingent = BkoContingent.objects.select_for_update().get(pk=contingent.pk)
    if contingent.status == BkoContingent.Status.RELEASED:
        raise ValidationError({"status": _("Kontingen sudah dikembalikan.")})
    errors = {}
    created = []
    for index, row in enumerate(officers, start=1):
        officer = Officer(
            nrp=str(row.get("nrp", "")).strip(),
            name=str(row.get("name", "")).strip(),
            rank=row.get("rank"),
            phone=str(row.get("phone", "") or "").strip(),
            function=str(row.get("function", "") or "Anggota BKO").strip(),
            unit=contingent.home_unit,
            contingent=contingent,
        )
        try:
            officer.full_clean()
        except ValidationError as exc:
            errors[f"officers[{index}]"] = exc.messages
            continue
        created.append(officer)
    nrps = [o.nrp for o in created]
    duplicates = {n for n in nrps if nrps.count(n) > 1}
    if duplicates:
        errors["officers"] = [
            _("NRP ganda dalam daftar: %(n)s") % {"n": ", ".join(sorted(duplicates))}
        ]
    if errors:
        raise ValidationError(errors)
    Officer.objects.bulk_create(created)
    contingent.status = BkoContingent.Status.ARRIVED
    contingent.arrived_at = contingent.arrived_at or timezone.now()
    contingent.save(update_fields=["status", "arrived_at"])
    audit_record(
        actor=by,
        action="bko.check_in",
        obj=contingent,
        changes={"officers": [None, len(created)]},
    )
    return contingent


@transaction.atomic
def bko_contingent_release(*, contingent: BkoContingent, by) -> BkoContingent:
    """Send a contingent home: its officers leave every active assignment and stop counting."""
    contingent = BkoContingent.objects.select_for_update().get(pk=contingent.pk)
    if contingent.status == BkoContingent.Status.RELEASED:
        return contingent
    # Operations (above personnel) cancels the officers' assignments: it listens for this.
    answers = contingent_released.send(sender=BkoContingent, contingent=contingent, by=by)
    cancelled = sum(n for _receiver, n in answers if n)
    contingent.status = BkoContingent.Status.RELEASED
    contingent.released_at = timezone.now()
    contingent.save(update_fields=["status", "released_at"])
    audit_record(
        actor=by,
        action="bko.release",
        obj=contingent,
        changes={"status": ["arrived", "released"], "assignments_cancelled": [None, cancelled]},
    )
    return contingent
