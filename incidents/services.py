"""Writes of the incidents app: filing reports, the response lifecycle, dispatch, escalation,
use of force, Gakkumdu referrals, photos, TPS returns and the overdue sweep.

Every write is one transaction, leaves a timeline event (IncidentEvent) and an audit record, and
publishes to the command post only after commit.
"""

import datetime as dt
import hashlib
import io
import json
import re
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import CAN_CORRECT_TPS_RETURNS, CAN_FILE_ANY_TPS_RETURN, user_roles
from core.changes import data_changed_mark
from core.realtime import ALERTS_GROUP, realtime_publish_after_commit
from core.services import audit_record
from incidents.models import (
    OPEN_ALERT_STATUSES,
    Alert,
    AlertLevel,
    ControlLevel,
    CrowdColour,
    Dispatch,
    EwConfig,
    GakkumduReferral,
    Incident,
    IncidentEvent,
    IncidentPhoto,
    IncidentStatus,
    IntelReport,
    Tip,
    TpsReturn,
    UseOfForce,
)
from incidents.scoring import score_enqueue_after_commit
from incidents.selectors import tps_overdue_list
from operations.models import Assignment, TpsStatus, validate_in_city
from personnel.models import Officer, OfficerStatus
from personnel.services import officer_set_status

S = IncidentStatus

# Which transition each action makes, from which states; komando makes them all.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "verify": ((S.BARU,), S.DIVERIFIKASI),
    "reject": ((S.BARU, S.DIVERIFIKASI), S.DITOLAK),
    "handle": ((S.DIVERIFIKASI,), S.DITANGANI),
    "close": ((S.DITANGANI, S.DIVERIFIKASI), S.SELESAI),
    "reopen": ((S.SELESAI, S.DITOLAK), S.DIVERIFIKASI),
}

# Perkap 16/2006: the force that takes the crowd over at each colour, and who holds control.
COLOUR_RESPONSE = {
    CrowdColour.HIJAU: (_("Dalmas Awal (tanpa peralatan khusus)"), ControlLevel.KAPOLSEK),
    CrowdColour.KUNING: (
        _("Dalmas Lanjut (water cannon, barikade, pengeras suara): lapis ganti"),
        ControlLevel.KAPOLRES,
    ),
    CrowdColour.MERAH: (
        _("PHH Brimob (lintas ganti); ajukan BKO ke Polda bila kekuatan tidak cukup"),
        ControlLevel.KAPOLDA,
    ),
}
COLOUR_ORDER = [CrowdColour.HIJAU, CrowdColour.KUNING, CrowdColour.MERAH]

PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class IdempotencyConflict(Exception):
    """The same Idempotency-Key was sent with a different body (answered with 422)."""


def _event(incident: Incident, by, kind: str, frm="", to="", note="") -> IncidentEvent:
    return IncidentEvent.objects.create(
        incident=incident,
        by=by if getattr(by, "is_authenticated", False) else None,
        kind=kind,
        from_value=str(frm)[:64],
        to_value=str(to)[:64],
        note=note,
    )


def incident_payload(incident: Incident, kind: str) -> dict:
    """What the command dashboard receives for an incident event (no personal data)."""
    return {
        "type": kind,
        "incident": {
            "id": incident.pk,
            "type": incident.type,
            "status": incident.status,
            "colour": incident.colour,
            "kelurahan": incident.kelurahan.name if incident.kelurahan_id else None,
            "lat": incident.lat,
            "lon": incident.lon,
            "reported_at": incident.reported_at.isoformat() if incident.reported_at else None,
            "is_exercise": incident.is_exercise,
        },
    }


def request_fingerprint(data: dict) -> str:
    """A stable hash of a submission's content, to tell a retry from a different report."""
    canonical = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def incident_create(
    *, by, data: dict, idempotency_key: str | None = None, fingerprint: str = ""
) -> tuple[Incident, bool]:
    """File a report. Returns (incident, created); a retry with the same key returns the first
    incident, the same key with another body raises IdempotencyConflict.

    The unique key makes concurrent retries safe: the loser of the race reads the winner's row.
    """
    # No read before the insert: the unique key decides, and a retry (the rare case) pays for a
    # failed insert instead of every first submission paying for a lookup.
    try:
        with transaction.atomic():
            incident = _incident_insert(by=by, data=data, key=idempotency_key, fp=fingerprint)
    except IntegrityError:
        existing = (
            Incident.objects.filter(idempotency_key=idempotency_key).first()
            if idempotency_key
            else None
        )
        if existing is None:
            raise  # not a retry: a real integrity problem
        return _same_or_conflict(existing, fingerprint), False
    return incident, True


def _same_or_conflict(existing: Incident, fingerprint: str) -> Incident:
    if fingerprint and existing.request_hash and existing.request_hash != fingerprint:
        raise IdempotencyConflict
    return existing


def _incident_insert(*, by, data: dict, key: str | None, fp: str) -> Incident:

    now = timezone.now()
    incident = Incident(**data, reporter=by, idempotency_key=key or None, request_hash=fp)
    if incident.tps_id and not incident.kelurahan_id:
        # The API loads the TPS with its kelurahan (the push names it): no query then.
        incident.kelurahan = incident.tps.kelurahan
    if incident.lat is None and incident.tps_id:
        incident.lat, incident.lon = incident.tps.lat, incident.tps.lon
    if incident.lat is None and incident.post_id:
        incident.lat, incident.lon = incident.post.lat, incident.post.lon
    if incident.lat is not None:
        try:
            validate_in_city(incident.lat, incident.lon)
        except ValidationError:
            incident.outside_city = True
    incident.verify_due_at = now + dt.timedelta(minutes=settings.INCIDENT_VERIFY_MINUTES)
    incident.control = COLOUR_RESPONSE[incident.colour][1]
    # The API serializer (or the form) already checked the related rows exist; re-checking
    # them here would cost a query each on the hottest path of polling day.
    incident.full_clean(exclude=["idempotency_key", "reporter", "kelurahan", "tps", "post"])
    incident.save()
    _event(incident, by, "created", to=incident.status, note=_("laporan diterima"))
    audit_record(
        actor=by,
        action="incident.create",
        obj=incident,
        changes={"type": [None, incident.type], "colour": [None, incident.colour]},
    )
    realtime_publish_after_commit(
        group=ALERTS_GROUP, event=incident_payload(incident, "incident.created")
    )

    score_enqueue_after_commit(kind="incident", pk=incident.pk)
    return incident


@transaction.atomic
def incident_transition(*, incident: Incident, by, action: str, reason: str = "") -> Incident:
    """Move an incident through its lifecycle (verify, reject, handle, close, reopen)."""
    if action not in TRANSITIONS:
        raise ValidationError({"action": _("Tindakan tidak dikenal: %(a)s") % {"a": action}})
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    allowed_from, target = TRANSITIONS[action]
    if incident.status not in allowed_from:
        raise ValidationError(
            {
                "status": _("Tidak dapat %(a)s kejadian berstatus %(s)s.")
                % {"a": action, "s": incident.get_status_display()}
            }
        )
    if action in ("reject", "reopen") and not reason.strip():
        raise ValidationError({"reason": _("Alasan wajib diisi.")})
    before = incident.status
    incident.status = target
    fields = ["status"]
    if action == "reject":
        incident.rejected_reason = reason.strip()[:255]
        fields.append("rejected_reason")
    incident.save(update_fields=fields)
    _event(incident, by, action, before, target, reason)
    audit_record(
        actor=by,
        action=f"incident.{action}",
        obj=incident,
        changes={"status": [before, target]},
        note=reason,
    )
    # The dashboards follow: a closed or rejected incident leaves the map at once.
    realtime_publish_after_commit(
        group=ALERTS_GROUP, event=incident_payload(incident, "incident.updated")
    )
    return incident


@transaction.atomic
def incident_set_colour(*, incident: Incident, by, colour: str, note: str = "") -> dict:
    """Record a change of the crowd situation; returns the procedure's suggested response.

    Escalation (a worse colour) moves control up (Kapolsek, Kapolres, Kapolda) and is pushed to
    the command post at once.
    """
    if colour not in CrowdColour.values:
        raise ValidationError({"colour": _("Warna situasi tidak dikenal.")})
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    before = incident.colour
    if before == colour:
        raise ValidationError({"colour": _("Situasi sudah %(c)s.") % {"c": colour}})
    force, control = COLOUR_RESPONSE[colour]
    incident.colour = colour
    fields = ["colour"]
    escalated = COLOUR_ORDER.index(colour) > COLOUR_ORDER.index(before)
    if escalated and incident.control != control:
        _event(incident, by, "control", incident.control, control, _("kendali naik"))
        incident.control = control
        fields.append("control")
    incident.save(update_fields=fields)
    _event(incident, by, "colour", before, colour, f"{note}\n{_('Saran')}: {force}".strip())
    audit_record(
        actor=by,
        action="incident.colour",
        obj=incident,
        changes={"colour": [before, colour], "control": [None, incident.control]},
        note=note,
    )
    if escalated:
        realtime_publish_after_commit(
            group=ALERTS_GROUP, event=incident_payload(incident, "incident.escalated")
        )
    return {"colour": colour, "suggested_force": str(force), "control": incident.control}


@transaction.atomic
def incident_set_control(*, incident: Incident, by, control: str, note: str = "") -> Incident:
    """Record who holds control of the response (Kapolsek, Kapolres, Kapolda)."""
    if control not in ControlLevel.values:
        raise ValidationError({"control": _("Tingkat kendali tidak dikenal.")})
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    before = incident.control
    incident.control = control
    incident.save(update_fields=["control"])
    _event(incident, by, "control", before, control, note)
    audit_record(
        actor=by,
        action="incident.control",
        obj=incident,
        changes={"control": [before, control]},
        note=note,
    )
    return incident


@transaction.atomic
def dispatch_create(*, incident: Incident, by, officers: list) -> list[Dispatch]:
    """Send officers to an incident (each once); their status becomes bertugas."""

    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.status in (S.SELESAI, S.DITOLAK):
        raise ValidationError({"status": _("Kejadian sudah ditutup.")})
    made = []
    for officer in officers:
        if Dispatch.objects.filter(incident=incident, officer=officer).exists():
            continue
        made.append(Dispatch.objects.create(incident=incident, officer=officer, dispatched_by=by))
        _event(incident, by, "dispatch", to=officer.nrp, note=str(officer))
        # An exercise dispatch leaves the roster as it is: strength figures stay real.
        if officer.status == OfficerStatus.SIAGA and not incident.is_exercise:
            officer_set_status(
                officer=officer,
                by=by,
                status=OfficerStatus.BERTUGAS,
                note=_("dikerahkan ke kejadian #%(n)d") % {"n": incident.pk},
            )
    if made and incident.status == S.DIVERIFIKASI:
        incident.status = S.DITANGANI
        incident.save(update_fields=["status"])
        _event(incident, by, "handle", S.DIVERIFIKASI, S.DITANGANI, _("personel dikerahkan"))
    audit_record(
        actor=by,
        action="incident.dispatch",
        obj=incident,
        changes={"officers": [None, [d.officer_id for d in made]]},
    )
    return made


DISPATCH_STEPS = {"en_route": "en_route_at", "on_scene": "on_scene_at", "cleared": "cleared_at"}


@transaction.atomic
def dispatch_mark(*, dispatch: Dispatch, by, step: str, at=None) -> Dispatch:
    """Record a responder's step (en route, on scene, cleared) at `at` (now by default)."""
    if step not in DISPATCH_STEPS:
        raise ValidationError({"step": _("Langkah tidak dikenal.")})
    dispatch = Dispatch.objects.select_for_update().get(pk=dispatch.pk)
    field = DISPATCH_STEPS[step]
    if getattr(dispatch, field) is not None:
        raise ValidationError({"step": _("Langkah ini sudah dicatat.")})
    # The phone may send when the step happened (it may have been offline); the server's
    # own time is kept beside it in the audit trail, so a claimed time can be checked.
    server_at = timezone.now()
    phone_at = at
    at = at or server_at
    if at < dispatch.dispatched_at:
        raise ValidationError({"at": _("Waktu sebelum personel diberangkatkan.")})
    setattr(dispatch, field, at)
    dispatch.save(update_fields=[field])
    incident = Incident.objects.select_for_update().get(pk=dispatch.incident_id)
    if step == "on_scene" and (
        incident.first_on_scene_at is None or at < incident.first_on_scene_at
    ):
        incident.first_on_scene_at = at
        incident.save(update_fields=["first_on_scene_at"])
        transaction.on_commit(data_changed_mark, robust=True)  # dashboards' response times
    _event(incident, by, step, to=dispatch.officer.nrp)
    audit_record(
        actor=by,
        action="incident.mark",
        obj=incident,
        changes={
            "dispatch": [None, dispatch.pk],
            "officer": [None, dispatch.officer_id],
            "step": [None, step],
            "server_at": [None, server_at],
            "phone_at": [None, phone_at],
        },
    )
    return dispatch


def use_of_force_record(*, incident: Incident, by, data: dict) -> UseOfForce:
    """Append a use of force; stages 5 and 6 need who authorised it, the threat, the injuries
    and a follow-up (Perkap 1/2009)."""
    stage = int(data.get("stage") or 0)
    if stage >= 5:
        missing = [
            f
            for f in ("authorised_by", "threat", "injuries", "follow_up")
            if not str(data.get(f, "")).strip()
        ]
        if missing:
            raise ValidationError({f: _("Wajib diisi untuk tahap 5 dan 6.") for f in missing})
    entry = UseOfForce(incident=incident, recorded_by=by, **data)
    entry.full_clean()
    with transaction.atomic():
        entry.save()
        _event(incident, by, "force", to=str(stage), note=entry.justification[:500])
        audit_record(
            actor=by, action="incident.force", obj=incident, changes={"stage": [None, stage]}
        )
    return entry


def gakkumdu_refer(*, incident: Incident, by, data: dict) -> GakkumduReferral:
    """Hand an election offence to Gakkumdu, recording what was handed over."""
    referral = GakkumduReferral(incident=incident, referred_by=by, **data)
    referral.full_clean()
    with transaction.atomic():
        referral.save()
        _event(incident, by, "gakkumdu", to=referral.category, note=referral.handed_over[:500])
        audit_record(
            actor=by,
            action="incident.gakkumdu",
            obj=incident,
            changes={"category": [None, referral.category]},
        )
    return referral


FORCE_FIELDS = (
    "stage",
    "justification",
    "officers",
    "authorised_by",
    "threat",
    "injuries",
    "follow_up",
)
GAKKUMDU_FIELDS = ("category", "article", "handed_over", "reference")


def incident_act(
    *, incident: Incident, by, op: str, fields: dict, officer_ids: list[str]
) -> str | None:
    """Carry out one action of the incident page (`op` with its form fields); a note or None."""
    if op == "transition":
        incident_transition(
            incident=incident,
            by=by,
            action=fields.get("action", ""),
            reason=fields.get("reason", ""),
        )
    elif op == "colour":
        result = incident_set_colour(
            incident=incident,
            by=by,
            colour=fields.get("colour", ""),
            note=fields.get("note", ""),
        )
        return _("Saran prosedur: %(f)s") % {"f": result["suggested_force"]}
    elif op == "control":
        incident_set_control(
            incident=incident,
            by=by,
            control=fields.get("control", ""),
            note=fields.get("note", ""),
        )
    elif op == "dispatch":
        ids = [int(i) for i in officer_ids if i.isdigit()]
        officers = list(Officer.objects.filter(pk__in=ids))
        if not officers:
            raise ValidationError({"officers": _("Pilih personel.")})
        dispatch_create(incident=incident, by=by, officers=officers)
    elif op == "mark":
        dispatch = Dispatch.objects.filter(pk=fields.get("dispatch"), incident=incident).first()
        if dispatch is None:
            raise Http404
        dispatch_mark(dispatch=dispatch, by=by, step=fields.get("step", ""))
    elif op == "force":
        data = {f: fields.get(f, "") for f in FORCE_FIELDS}
        data["used_at"] = timezone.now()
        use_of_force_record(incident=incident, by=by, data=data)
    elif op == "gakkumdu":
        data = {f: fields.get(f, "") for f in GAKKUMDU_FIELDS}
        gakkumdu_refer(incident=incident, by=by, data=data)
    else:
        raise ValidationError({"op": _("Tindakan tidak dikenal.")})
    return None


@transaction.atomic
def ew_config_create(*, by, **fields) -> EwConfig:
    """Store a new early-warning config version (the active one when is_active), audited."""
    if fields.get("is_active"):
        EwConfig.objects.filter(is_active=True).update(is_active=False)
    config = EwConfig.objects.create(**fields)
    audit_record(
        actor=by,
        action="ew.config",
        obj=config,
        changes={"version": [None, config.version]},
    )
    return config


def photo_check(*, upload) -> bytes:
    """Refuse a photo too large in bytes or pixels, or not a JPEG/PNG/WebP by its content,
    before a single pixel is decoded; its bytes when it may be decoded.

    Only the header is read here (Image.open without load): a PNG of a few KB can declare
    169 megapixels and cost seconds and gigabytes to decode, so the declared size is the check.
    The upload's name and content type are the sender's claims and are ignored."""
    # Pillow is loaded only by the photo path, not by every process that serves the pages.
    from PIL import Image, UnidentifiedImageError

    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError(
            {"photo": _("Foto lebih dari %(n)d MB.") % {"n": PHOTO_MAX_BYTES // (1024 * 1024)}}
        )
    raw = upload.read()
    upload.seek(0)
    try:
        with Image.open(io.BytesIO(raw), formats=list(PHOTO_FORMATS)) as probe:
            width, height = probe.size
    except Image.DecompressionBombError:
        width = height = settings.PHOTO_MAX_PIXELS + 1  # Pillow's own ceiling: far too large
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            {"photo": _("Berkas bukan gambar JPEG, PNG atau WebP yang sah.")}
        ) from None
    if width * height > settings.PHOTO_MAX_PIXELS:
        raise ValidationError(
            {
                "photo": _("Foto lebih dari %(n)d megapiksel.")
                % {"n": settings.PHOTO_MAX_PIXELS // 1_000_000}
            }
        )
    return raw


def photo_add(*, incident: Incident, by, upload) -> IncidentPhoto:
    """Keep a photo as evidence: checked (photo_check) before it is decoded, hashed, and
    copied without its metadata (EXIF, GPS) for everyone but Gakkumdu."""
    # Pillow is loaded only by the photo path (as in photo_check).
    from PIL import Image, ImageOps, UnidentifiedImageError

    raw = photo_check(upload=upload)
    try:
        with Image.open(io.BytesIO(raw), formats=list(PHOTO_FORMATS)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(raw), formats=list(PHOTO_FORMATS))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError({"photo": _("Berkas bukan gambar yang sah.")}) from None
    if image.format not in PHOTO_FORMATS:
        raise ValidationError({"photo": _("Hanya JPEG, PNG atau WebP.")})
    digest = hashlib.sha256(raw).hexdigest()
    save_format = image.format
    # Turn the picture upright first (the orientation lives in the EXIF we are about to drop),
    # then rebuild it from its pixels alone: EXIF (GPS included) and all other metadata go.
    upright = ImageOps.exif_transpose(image)
    clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    if upright.mode == "P":
        clean.putpalette(upright.getpalette())
    out = io.BytesIO()
    if save_format == "JPEG" and clean.mode not in ("RGB", "L"):
        clean = clean.convert("RGB")
    clean.save(out, format=save_format)
    ext = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[save_format]
    photo = IncidentPhoto(
        incident=incident,
        sha256=digest,
        content_type=PHOTO_FORMATS[save_format],
        size=len(raw),
        uploaded_by=by,
    )
    # Random names: nothing about the file (its hash, its time) lets anyone guess a path; the
    # files are served only by the incident-photo views, never from MEDIA_URL.
    name = uuid.uuid4().hex
    photo.original.save(f"{name}.{ext}", ContentFile(raw), save=False)
    photo.display.save(f"{name}-clean.{ext}", ContentFile(out.getvalue()), save=False)
    with transaction.atomic():
        photo.save()
        _event(incident, by, "photo", to=digest[:16])
        audit_record(
            actor=by,
            action="incident.photo",
            obj=incident,
            changes={"photo": [None, photo.pk], "sha256": [None, digest], "size": [None, len(raw)]},
        )
    return photo


TPS_RETURN_ORDER = [
    TpsStatus.DIBUKA,
    TpsStatus.PEMUNGUTAN,
    TpsStatus.PENGHITUNGAN,
    TpsStatus.SELESAI,
    TpsStatus.DIKIRIM,
]


def tps_return_check(*, by, tps, status: str, reason: str = "", key: str | None = None) -> None:
    """May `by` file `status` for `tps` now? Raises PermissionDenied or ValidationError.

    The API calls it before tps_return_create (which trusts its caller: the exercise runner and
    the demo builders file returns without it). A field officer files only a TPS of a post he
    is assigned to now (an active assignment whose window holds this moment), and only forward
    in TPS_RETURN_ORDER (the same status again is not backwards); the command post files any
    TPS, and backwards only with a reason. Precondition: the caller holds the TPS row locked
    (select_for_update), so two returns for one TPS are ordered against each other.
    """
    if key and TpsReturn.objects.filter(idempotency_key=key).exists():
        return  # a retry of a return already filed: tps_return_create hands it back
    order = [s.value for s in TPS_RETURN_ORDER]
    if status not in order:
        raise ValidationError({"status": _("Status TPS tidak dikenal.")})
    roles = user_roles(by)
    if not roles & CAN_FILE_ANY_TPS_RETURN:
        now = timezone.now()
        assigned = Assignment.objects.filter(
            officer__user=by,
            status=Assignment.Status.ACTIVE,
            starts_at__lte=now,
            ends_at__gt=now,
            post__is_active=True,
            post__tps=tps,
        ).exists()
        if not assigned:
            raise PermissionDenied(
                _(
                    "Anda tidak bertugas di %(tps)s: laporan TPS hanya untuk TPS di pos "
                    "penugasan Anda yang sedang berjalan."
                )
                % {"tps": tps}
            )
    if tps.status in order and order.index(status) < order.index(tps.status):
        names = {
            "tps": tps,
            "current": TpsStatus(tps.status).label,
            "status": TpsStatus(status).label,
        }
        if not roles & CAN_CORRECT_TPS_RETURNS:
            raise ValidationError(
                {
                    "status": _(
                        'Status TPS tidak boleh mundur: %(tps)s sudah "%(current)s", tidak bisa '
                        'kembali ke "%(status)s". Koreksi mundur dilakukan pos komando.'
                    )
                    % names
                }
            )
        if not reason.strip():
            raise ValidationError(
                {
                    "reason": _(
                        'Koreksi mundur %(tps)s dari "%(current)s" ke "%(status)s" perlu alasan.'
                    )
                    % names
                }
            )


def tps_return_create(
    *,
    by,
    tps,
    status: str,
    note: str = "",
    key: str | None = None,
    is_exercise: bool = False,
    reason: str = "",
) -> TpsReturn:
    """A field officer reports his TPS's status; the TPS's polling-day status follows it (not
    for an exercise return: the real TPS's status, which the liaison reads, stays as it is).
    Who may file what is tps_return_check's, called first by the API; `reason` (a command-post
    correction backwards) goes to the audit trail."""
    if status not in [s.value for s in TPS_RETURN_ORDER]:
        raise ValidationError({"status": _("Status TPS tidak dikenal.")})
    if key:
        existing = TpsReturn.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
    with transaction.atomic():
        record = TpsReturn.objects.create(
            tps=tps,
            status=status,
            note=note[:500],
            reporter=by,
            idempotency_key=key or None,
            is_exercise=is_exercise,
        )
        if is_exercise:
            return record
        changes = {"status": [tps.status, status]}
        if reason:
            changes["reason"] = reason[:255]
        tps.status = status
        tps.save(update_fields=["status"])
        audit_record(actor=by, action="tps.return", obj=tps, changes=changes)
        transaction.on_commit(data_changed_mark, robust=True)  # dashboards' TPS by status
    return record


def incident_escalate_overdue(*, now=None) -> int:
    """Flag reports not verified in time and raise an alert for each (run by Celery beat)."""
    now = now or timezone.now()
    flagged = 0
    due = Incident.objects.filter(
        status=S.BARU, overdue_at__isnull=True, verify_due_at__lt=now
    ).values_list("pk", flat=True)
    for pk in list(due[:500]):
        with transaction.atomic():
            incident = (
                Incident.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=S.BARU, overdue_at__isnull=True)
                .first()
            )
            if incident is None:
                continue
            incident.overdue_at = now
            incident.save(update_fields=["overdue_at"])
            _event(incident, None, "overdue", note=_("belum diverifikasi tepat waktu"))
            Alert.objects.create(
                kind=Alert.Kind.INCIDENT_OVERDUE,
                level=AlertLevel.MERAH
                if incident.colour == CrowdColour.MERAH
                else AlertLevel.KUNING,
                title=_("Kejadian #%(n)d belum diverifikasi") % {"n": incident.pk},
                reasons=[
                    _("Batas verifikasi %(m)d menit terlewati.")
                    % {"m": settings.INCIDENT_VERIFY_MINUTES}
                ],
                kelurahan_id=incident.kelurahan_id,
                is_exercise=incident.is_exercise,
            )
            realtime_publish_after_commit(
                group=ALERTS_GROUP, event=incident_payload(incident, "incident.overdue")
            )
            flagged += 1
    return flagged


def tps_returns_flag_overdue(*, at=None) -> int:
    """Raise one alert per TPS whose expected return is late (run by Celery beat); an alert
    already open for the same TPS and milestone is left as it is."""

    raised = 0
    for row in tps_overdue_list(at=at):
        key = f"tps_overdue:{row['tps']}:{row['expected']}"
        if Alert.objects.filter(dedup_key=key, status__in=OPEN_ALERT_STATUSES).exists():
            continue
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=Alert.Kind.TPS_OVERDUE,
                level=AlertLevel.KUNING,
                title=_("TPS %(n)03d %(k)s belum melapor: %(s)s")
                % {"n": row["number"], "k": row["kelurahan"], "s": row["expected"]},
                reasons=[
                    _("Laporan TPS '%(s)s' seharusnya masuk sebelum %(t)s WIB.")
                    % {"s": row["expected"], "t": row["due_at"][11:16]}
                ],
                dedup_key=key,
            )
            realtime_publish_after_commit(
                group=ALERTS_GROUP,
                event={
                    "type": "alert.created",
                    "alert": {
                        "id": alert.pk,
                        "kind": alert.kind,
                        "level": alert.level,
                        "title": alert.title,
                    },
                },
            )
        raised += 1
    return raised


INTEL_FIELDS = [
    "subject",
    "field",
    "source",
    "source_relation",
    "obtained_how",
    "obtained_at",
    "source_reliability",
    "info_credibility",
    "what",
    "when_text",
    "where_text",
    "who",
    "how",
    "why",
    "analysis",
    "prediction",
    "action_taken",
    "recommendation",
    "kelurahan",
    "tps",
    "lat",
    "lon",
]
TIP_MAX_CHARS = 4000
TIP_MIN_CHARS = 10


def intel_create(*, by, data: dict):
    """File a Laporan Informasi; it is scored by a worker once saved."""

    report = IntelReport(author=by, **data)
    if report.tps_id and not report.kelurahan_id:
        report.kelurahan_id = report.tps.kelurahan_id
    report.full_clean(exclude=["author", "kelurahan", "tps"])
    with transaction.atomic():
        report.save()
        audit_record(
            actor=by, action="intel.create", obj=report, changes={"subject": [None, report.subject]}
        )
        score_enqueue_after_commit(kind="intel", pk=report.pk)
    return report


def tip_create(*, data: dict, client_hash: str = "", is_exercise: bool = False):
    """Take a tip from the public (size- and spam-checked); it is scored by a worker."""

    text = (data.get("text") or "").strip()
    if len(text) < TIP_MIN_CHARS:
        raise ValidationError(
            {"text": _("Tuliskan informasi minimal %(n)d karakter.") % {"n": TIP_MIN_CHARS}}
        )
    if len(text) > TIP_MAX_CHARS:
        raise ValidationError(
            {"text": _("Informasi paling banyak %(n)d karakter.") % {"n": TIP_MAX_CHARS}}
        )
    # Spam: link farms and a single character repeated; real tips rarely carry several links.
    if len(re.findall(r"https?://", text)) > 2 or re.search(r"(.)\1{30,}", text):
        raise ValidationError({"text": _("Informasi tampak seperti spam.")})
    tip = Tip(
        text=text,
        place=data.get("place", "")[:200],
        kelurahan=data.get("kelurahan"),
        contact=data.get("contact", "")[:120],
        client_hash=client_hash[:64],
        is_exercise=is_exercise,
    )
    with transaction.atomic():
        tip.save()
        score_enqueue_after_commit(kind="tip", pk=tip.pk)
    return tip
