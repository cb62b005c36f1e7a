"""Writes of the incidents app: filing reports, the response lifecycle, dispatch, escalation,
use of force, Gakkumdu referrals, the overdue sweep, intelligence and tips (photos:
incidents/photos.py; TPS returns: incidents/tps_returns.py).

Every write is one transaction, leaves a timeline event (IncidentEvent) and an audit record, and
publishes to the command post only after commit.
"""

import datetime as dt
import hashlib
import json
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.changes import data_changed_mark
from core.realtime import ALERTS_GROUP, realtime_publish_after_commit
from core.services import audit_record
from incidents.alerts import alert_overdue_raise
from incidents.models import (
    ControlLevel,
    CrowdColour,
    Dispatch,
    EwConfig,
    GakkumduReferral,
    Incident,
    IncidentEvent,
    IncidentStatus,
    IntelReport,
    Tip,
    UseOfForce,
)
from incidents.scoring import score_enqueue_after_commit
from operations.models import validate_in_city
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


class IdempotencyConflict(Exception):
    """The same Idempotency-Key was sent with a different body (answered with 422)."""


def incident_event(incident: Incident, by, kind: str, frm="", to="", note="") -> IncidentEvent:
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
    """File a report. Returns (incident, created); a retry with the same key by the same
    reporter returns the first incident, the same key with another body raises
    IdempotencyConflict (an empty fingerprint on either side compares by key only). Another
    reporter's key is no concern of his: keys are per reporter.

    The unique (reporter, key) makes concurrent retries safe: the loser of the race reads the
    winner's row. Precondition: the key was checked (incidents/idempotency.py).
    """
    # No read before the insert: the unique key decides, and a retry (the rare case) pays for a
    # failed insert instead of every first submission paying for a lookup.
    try:
        with transaction.atomic():
            incident = _incident_insert(by=by, data=data, key=idempotency_key, fp=fingerprint)
    except IntegrityError:
        existing = (
            Incident.objects.filter(reporter=by, idempotency_key=idempotency_key).first()
            if idempotency_key
            else None
        )
        if existing is None:
            raise  # not a retry: a real integrity problem
        existing = _same_or_conflict(existing, fingerprint)
        if existing.request_hash == SMS_COPY and fingerprint != SMS_COPY:
            existing = _sms_copy_complete(existing, by, data.get("description"), fingerprint)
        return existing, False
    return incident, True


# The fingerprint of a report filed from a coded SMS (incidents/sms.py): the data copy with the
# same key is the same report whatever its body (the SMS has no free text), and completes it.
SMS_COPY = "sms"


def _sms_copy_complete(incident, by, description: str | None, fingerprint: str) -> Incident:
    """The data copy of a report that came first by SMS: its description replaces the coded
    one (kept in the timeline), and from now on it is an ordinary report (its fingerprint)."""
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if locked.request_hash != SMS_COPY:
            return locked  # completed already by another retry
        before = locked.description
        locked.description, locked.request_hash = description or before, fingerprint
        locked.save(update_fields=["description", "request_hash"])
        incident_event(locked, by, "sms_completed", note=before)
    return locked


def _same_or_conflict(existing: Incident, fingerprint: str) -> Incident:
    if SMS_COPY in (existing.request_hash, fingerprint):
        return existing
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
    incident_event(incident, by, "created", to=incident.status, note=_("laporan diterima"))
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
    incident_event(incident, by, action, before, target, reason)
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
        incident_event(incident, by, "control", incident.control, control, _("kendali naik"))
        incident.control = control
        fields.append("control")
    incident.save(update_fields=fields)
    incident_event(incident, by, "colour", before, colour, f"{note}\n{_('Saran')}: {force}".strip())
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
    incident_event(incident, by, "control", before, control, note)
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
        incident_event(incident, by, "dispatch", to=officer.nrp, note=str(officer))
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
        incident_event(
            incident, by, "handle", S.DIVERIFIKASI, S.DITANGANI, _("personel dikerahkan")
        )
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
    incident_event(incident, by, step, to=dispatch.officer.nrp)
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
        incident_event(incident, by, "force", to=str(stage), note=entry.justification[:500])
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
        incident_event(
            incident, by, "gakkumdu", to=referral.category, note=referral.handed_over[:500]
        )
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
            incident_event(incident, None, "overdue", note=_("belum diverifikasi tepat waktu"))
            alert_overdue_raise(incident=incident)
            realtime_publish_after_commit(
                group=ALERTS_GROUP, event=incident_payload(incident, "incident.overdue")
            )
            flagged += 1
    return flagged


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
        realtime_publish_after_commit(group=ALERTS_GROUP, event=_intake_event("intel", report.pk))
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
        realtime_publish_after_commit(group=ALERTS_GROUP, event=_intake_event("tip", tip.pk))
    return tip


def _intake_event(kind: str, pk: int) -> dict:
    # For the command post's incoming queue: what arrived, nothing of its content.
    return {"type": "intake.created", "intake": {"kind": kind, "id": pk}}
