"""Triage of public tips (docs/intel.md): an intelligence officer or the command post reads a
tip with its early-warning score and either promotes it (to a field incident the command post
verifies and answers, or to a Laporan Informasi graded F6, an unconfirmed public source) or
marks it noise. Marking noise a tip the engine scored kuning or merah records a correction to
hijau (incidents.learning), which the next training run learns from; promoting a tip the engine
called hijau records the level the officer gives. Each step once, audited, in one transaction.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import audit_record
from incidents import services
from incidents.learning import ew_correction_create
from incidents.models import (
    AlertLevel,
    CrowdColour,
    EwScore,
    IncidentType,
    IntelField,
    Tip,
)

NOTE_MAX = 500


def _tip_locked(tip: Tip) -> Tip:
    tip = Tip.objects.select_for_update().get(pk=tip.pk)
    if tip.status != Tip.Status.BARU:
        raise ValidationError({"status": _("Informasi ini sudah dipilah.")})
    return tip


def _note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and len(note) < 3:
        raise ValidationError({"note": _("Tuliskan alasan (minimal 3 huruf).")})
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("Catatan paling banyak %(n)d huruf.") % {"n": NOTE_MAX}})
    return note


def _latest_score(tip: Tip) -> EwScore | None:
    return tip.scores.first()  # EwScore's ordering: the newest first


def _teach(tip: Tip, *, level: str, reason: str, by) -> None:
    """A correction when the officer's level differs from the engine's (real tips only)."""
    score = _latest_score(tip)
    if score is not None and score.level != level and not tip.is_exercise:
        ew_correction_create(score=score, level=level, reason=reason, by=by)


def _done(tip: Tip, *, by, status: str, note: str, action: str, **links) -> Tip:
    tip.status = status
    tip.triaged_by = by
    tip.triaged_at = timezone.now()
    tip.triage_note = note
    for field, value in links.items():
        setattr(tip, field, value)
    tip.save(update_fields=["status", "triaged_by", "triaged_at", "triage_note", *links.keys()])
    audit_record(actor=by, action=action, obj=tip, changes={"status": ["baru", status]}, note=note)
    return tip


@transaction.atomic
def tip_mark_noise(*, tip: Tip, by, note: str) -> Tip:
    """Not a threat (a rumour checked, a joke, a duplicate): closed, and taught to the engine."""
    tip = _tip_locked(tip)
    note = _note(note, required=True)
    _teach(tip, level=AlertLevel.HIJAU, reason=note, by=by)
    return _done(tip, by=by, status=Tip.Status.NOISE, note=note, action="tip.noise")


@transaction.atomic
def tip_promote_incident(*, tip: Tip, by, type: str, colour: str, kelurahan=None, note: str = ""):
    """Make the tip a field incident (status baru: the command post verifies it as any other)."""
    tip = _tip_locked(tip)
    note = _note(note, required=False)
    errors = {}
    if type not in IncidentType.values:
        errors["type"] = _("Jenis kejadian tidak dikenal.")
    if colour not in CrowdColour.values:
        errors["colour"] = _("Situasi harus hijau, kuning atau merah.")
    kelurahan = kelurahan or tip.kelurahan
    if kelurahan is None:
        errors["kelurahan"] = _("Pilih kelurahan tempat kejadian.")
    if errors:
        raise ValidationError(errors)
    text = _("%(text)s\n\n(Dari informasi masyarakat #%(n)d%(place)s.)") % {
        "text": tip.text,
        "n": tip.pk,
        "place": f", {tip.place}" if tip.place else "",
    }
    incident, _created = services.incident_create(
        by=by,
        data={
            "type": type,
            "colour": colour,
            "occurred_at": tip.created_at,
            "kelurahan": kelurahan,
            "lat": kelurahan.lat,
            "lon": kelurahan.lon,
            "description": text,
            "is_exercise": tip.is_exercise,
        },
    )
    _teach(tip, level=colour, reason=note or _("diangkat jadi kejadian"), by=by)
    _done(
        tip,
        by=by,
        status=Tip.Status.DIANGKAT,
        note=note,
        action="tip.promote",
        promoted_incident=incident,
    )
    return incident


@transaction.atomic
def tip_promote_intel(*, tip: Tip, by, subject: str, field: str = "", note: str = ""):
    """Make the tip a Laporan Informasi for intel to work on: graded F6 (a public source not
    yet judged, information not yet confirmed) until someone learns more."""
    tip = _tip_locked(tip)
    note = _note(note, required=False)
    subject = (subject or "").strip()
    if len(subject) < 3:
        raise ValidationError({"subject": _("Tuliskan perihal (minimal 3 huruf).")})
    report = services.intel_create(
        by=by,
        data={
            "subject": subject[:200],
            "field": field if field in IntelField.values else IntelField.KEAMANAN,
            "source": _("Informasi masyarakat #%(n)d") % {"n": tip.pk},
            "obtained_how": _("formulir informasi masyarakat"),
            "obtained_at": tip.created_at,
            "source_reliability": "F",
            "info_credibility": 6,
            "what": tip.text,
            "where_text": tip.place[:200],
            "kelurahan": tip.kelurahan,
            "is_exercise": tip.is_exercise,
        },
    )
    _done(
        tip,
        by=by,
        status=Tip.Status.DIANGKAT,
        note=note,
        action="tip.promote",
        promoted_intel=report,
    )
    return report
