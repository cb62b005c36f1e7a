"""The alert lifecycle: raise (or merge into the open one), surge alerts, acknowledge, escalate,
close, and the escalation of alerts nobody acknowledged. Every change is pushed to the command
post's screens after commit (core.realtime); human actions are audited.

Scoring (incidents.scoring) decides that a report or a surge calls for an alert; this module
owns what happens to the alert from then on.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.realtime import ALERTS_GROUP, realtime_publish_after_commit
from core.services import audit_record
from incidents.models import (
    OPEN_ALERT_STATUSES,
    Alert,
    AlertLevel,
    AlertStatus,
    CrowdColour,
    EwScore,
)
from incidents.selectors import score_refs

ESCALATION_CHAIN = ["pos komando", "Kabag Ops", "Kapolres", "Kapolda"]
SURGE_UPDATE_EVERY = dt.timedelta(seconds=60)
REFS_PUSHED = 6  # as many report links as a card shows


def _open_alert_locked(key: str) -> Alert | None:
    """The open alert with this dedup key, locked (its row only), with its kelurahan."""
    return (
        Alert.objects.select_for_update(of=("self",))
        .select_related("kelurahan")
        .filter(dedup_key=key, status__in=OPEN_ALERT_STATUSES)
        .first()
    )


def _alert_event(alert: Alert, kind: str) -> dict:
    new = getattr(alert, "ew_new", None)
    return {
        "type": kind,
        "alert": {
            "id": alert.pk,
            "kind": alert.kind,
            "level": alert.level,
            "status": alert.status,
            "title": alert.title,
            "reasons": alert.reasons,
            "kelurahan": alert.kelurahan.name if alert.kelurahan_id else None,
            # A new alert holds this batch's reports only (ew_new: no count needed); an alert
            # about no report (overdue, backup, logistics: ew_new 0) needs neither query.
            "reports": alert.scores.count() if new is None else new,
            # The links the card shows (a pushed card read "Laporan: 1" until a reload).
            "report_refs": [] if new == 0 else score_refs(alert.scores.all()[:REFS_PUSHED]),
            "escalation": alert.escalation,
            "overdue": alert.ack_overdue_at is not None,
            "is_exercise": alert.is_exercise,
        },
    }


def alert_raise(*, scores: list[EwScore], obj, kind: str) -> Alert:
    """Open an alert for merah reports about one place (`obj` is one of them), or add them to
    the one already open for the place (one open alert per place and kind); pushed to the
    command post after commit. The alert's reasons are the last report's."""
    score = scores[-1]
    place = f"kel:{obj.kelurahan_id}" if obj.kelurahan_id else f"{kind}:{obj.pk}"
    exercise = getattr(obj, "is_exercise", False)
    # An exercise report never joins a real alert (nor a real one an exercise alert).
    key = f"report:{'exercise:' if exercise else ''}{place}"
    alert = _open_alert_locked(key)
    created = alert is None
    if created:
        where = obj.kelurahan.name if obj.kelurahan_id else _("lokasi belum jelas")
        alert = Alert.objects.create(
            kind=Alert.Kind.REPORT,
            level=AlertLevel.MERAH,
            title=_("Ancaman di %(w)s") % {"w": where},
            reasons=score.reasons,
            kelurahan=obj.kelurahan,
            dedup_key=key,
            is_exercise=exercise,
        )
        alert.ew_new = len(scores)
    else:
        alert.reasons = score.reasons
        alert.updated_at = timezone.now()
        alert.save(update_fields=["reasons", "updated_at"])
    alert.scores.add(*scores)
    realtime_publish_after_commit(
        group=ALERTS_GROUP,
        event=_alert_event(alert, "alert.created" if created else "alert.updated"),
    )
    return alert


def alert_surge_raise(
    *, scores: list[EwScore], kelurahan, exercise: bool, reason: str, now
) -> Alert:
    """Open a surge alert for a kelurahan, or add the reports to the open one (its reason
    refreshed and pushed at most every SURGE_UPDATE_EVERY); the caller holds a transaction."""
    key = f"surge:{'exercise:' if exercise else ''}kel:{kelurahan.pk}"
    alert = _open_alert_locked(key)
    created = alert is None
    if created:
        alert = Alert.objects.create(
            kind=Alert.Kind.SURGE,
            level=AlertLevel.KUNING,
            title=_("Lonjakan laporan di %(w)s") % {"w": kelurahan.name},
            reasons=[reason],
            kelurahan=kelurahan,
            dedup_key=key,
            is_exercise=exercise,
        )
        alert.ew_new = len(scores)
    alert.scores.add(*scores)
    if not created:
        alert.kelurahan = kelurahan  # the same row: its name without a query
        if now - alert.updated_at < SURGE_UPDATE_EVERY:
            # A surge goes on report after report: the wall needs to know it continues, not a
            # push for every report (200 screens times every report swamps the server).
            return alert
        alert.reasons = [reason]
        alert.save(update_fields=["reasons", "updated_at"])
    event = _alert_event(alert, "alert.created" if created else "alert.updated")
    realtime_publish_after_commit(group=ALERTS_GROUP, event=event)
    return alert


def alert_overdue_raise(*, incident) -> Alert:
    """An incident nobody verified in time: a merah alert for a merah crowd, kuning otherwise,
    pushed to the command post after commit. The caller holds a transaction."""
    alert = Alert.objects.create(
        kind=Alert.Kind.INCIDENT_OVERDUE,
        level=AlertLevel.MERAH if incident.colour == CrowdColour.MERAH else AlertLevel.KUNING,
        title=_("Kejadian #%(n)d belum diverifikasi") % {"n": incident.pk},
        reasons=[
            _("Batas verifikasi %(m)d menit terlewati.") % {"m": settings.INCIDENT_VERIFY_MINUTES}
        ],
        kelurahan_id=incident.kelurahan_id,
        is_exercise=incident.is_exercise,
    )
    alert.ew_new = 0
    realtime_publish_after_commit(group=ALERTS_GROUP, event=_alert_event(alert, "alert.created"))
    return alert


def alert_place_raise(
    *, kind: str, level: str, title: str, reasons: list[str], kelurahan, key: str, exercise: bool
) -> tuple[Alert, bool]:
    """Open an alert about one thing (`key` names it: a logistics leg, an officer calling for
    backup), or refresh the one open for it (its level raised, never lowered; its title,
    reasons and kelurahan); pushed to the command post after commit. Returns (alert, created).
    The caller holds a transaction."""
    alert = _open_alert_locked(key)
    created = alert is None
    if created:
        alert = Alert.objects.create(
            kind=kind,
            level=level,
            title=title,
            reasons=reasons,
            kelurahan=kelurahan,
            dedup_key=key,
            is_exercise=exercise,
        )
    else:
        if level == AlertLevel.MERAH:
            alert.level = AlertLevel.MERAH
        alert.title = title
        alert.reasons = reasons
        alert.kelurahan = kelurahan
        alert.save(update_fields=["level", "title", "reasons", "kelurahan", "updated_at"])
    alert.ew_new = 0
    realtime_publish_after_commit(
        group=ALERTS_GROUP,
        event=_alert_event(alert, "alert.created" if created else "alert.updated"),
    )
    return alert, created


def alert_backup_raise(*, officer, by, kelurahan, reasons: list[str]) -> Alert:
    """Open a merah alert that `officer` calls for backup (from his phone), or refresh the one
    open for him with where he is now; pushed to the command post after commit and audited.
    The caller holds a transaction."""
    alert, created = alert_place_raise(
        kind=Alert.Kind.BACKUP,
        level=AlertLevel.MERAH,
        title=_("Butuh bantuan: %(o)s") % {"o": officer},
        reasons=reasons,
        kelurahan=kelurahan,
        key=f"backup:officer:{officer.pk}",
        exercise=False,
    )
    audit_record(
        actor=by,
        action="alert.backup",
        obj=alert,
        changes={"officer": [None, officer.pk], "created": [None, created]},
    )
    return alert


def _alert_locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by) -> Alert:
    """The duty officer has seen the alert and takes it on."""
    alert = _alert_locked(alert)
    if alert.status not in (AlertStatus.OPEN, AlertStatus.ESCALATED):
        raise ValidationError({"status": _("Peringatan ini tidak dapat diterima lagi.")})
    before = alert.status
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = by
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at"])
    audit_record(
        actor=by, action="alert.acknowledge", obj=alert, changes={"status": [before, alert.status]}
    )
    realtime_publish_after_commit(group=ALERTS_GROUP, event=_alert_event(alert, "alert.updated"))
    return alert


@transaction.atomic
def alert_escalate(*, alert: Alert, by, note: str = "") -> Alert:
    """Move the alert one step up the chain (pos komando, Kabag Ops, Kapolres, Kapolda)."""
    alert = _alert_locked(alert)
    if alert.status == AlertStatus.CLOSED:
        raise ValidationError({"status": _("Peringatan sudah ditutup.")})
    if alert.escalation >= len(ESCALATION_CHAIN) - 1:
        raise ValidationError({"escalation": _("Sudah di tingkat tertinggi (Kapolda).")})
    alert.escalation += 1
    alert.status = AlertStatus.ESCALATED
    alert.save(update_fields=["escalation", "status", "updated_at"])
    audit_record(
        actor=by,
        action="alert.escalate",
        obj=alert,
        note=note,
        changes={"escalation": [alert.escalation - 1, alert.escalation]},
    )
    realtime_publish_after_commit(group=ALERTS_GROUP, event=_alert_event(alert, "alert.updated"))
    return alert


@transaction.atomic
def alert_close(*, alert: Alert, by, outcome: str) -> Alert:
    """Close the alert with what came of it (false alarm, handled, handed to Gakkumdu, ...)."""
    if not outcome.strip():
        raise ValidationError({"outcome": _("Tuliskan hasil penanganan.")})
    alert = _alert_locked(alert)
    if alert.status == AlertStatus.CLOSED:
        raise ValidationError({"status": _("Peringatan sudah ditutup.")})
    before = alert.status
    alert.status = AlertStatus.CLOSED
    alert.closed_at = timezone.now()
    alert.outcome = outcome.strip()
    alert.save(update_fields=["status", "closed_at", "outcome", "updated_at"])
    audit_record(
        actor=by,
        action="alert.close",
        obj=alert,
        note=outcome,
        changes={"status": [before, alert.status]},
    )
    realtime_publish_after_commit(group=ALERTS_GROUP, event=_alert_event(alert, "alert.updated"))
    return alert


def alerts_escalate_unacknowledged(*, now=None) -> int:
    """Escalate alerts nobody acknowledged within ALERT_ACK_MINUTES (Celery beat, every minute);
    each further period unacknowledged moves it one more step up the chain."""
    now = now or timezone.now()
    limit = dt.timedelta(minutes=settings.ALERT_ACK_MINUTES)
    moved = 0
    for alert in Alert.objects.filter(
        status__in=[AlertStatus.OPEN, AlertStatus.ESCALATED], acknowledged_at__isnull=True
    ).order_by("id")[:500]:
        steps = int((now - alert.created_at) / limit)
        if steps <= alert.escalation or alert.escalation >= len(ESCALATION_CHAIN) - 1:
            continue
        with transaction.atomic():
            locked = _alert_locked(alert)
            locked.escalation = min(steps, len(ESCALATION_CHAIN) - 1)
            locked.status = AlertStatus.ESCALATED
            locked.ack_overdue_at = locked.ack_overdue_at or now
            locked.save(update_fields=["escalation", "status", "ack_overdue_at", "updated_at"])
            realtime_publish_after_commit(
                group=ALERTS_GROUP, event=_alert_event(locked, "alert.updated")
            )
        moved += 1
    return moved
