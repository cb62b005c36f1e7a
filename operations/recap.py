"""Recapitulation sites (rekapitulasi): each PPK's session and the KPU Kota's, with their status,
the crowd at the site and the guard post's strength against plan (docs/logistics.md). The
command post updates them; the dashboard's convoy card and the situation read them; a session
suspended, deadlocked or with a merah crowd weighs on early warning (incidents.scoring)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.realtime import ALERTS_GROUP, realtime_publish_after_commit
from core.services import audit_record
from operations.models import Assignment, RecapSession

# The crowd's colour at the site, as Perkap 16/2006 names them (incidents.models.CrowdColour,
# which this layer cannot import).
CROWD_COLOURS = ("hijau", "kuning", "merah")
# A session in trouble: its weight on early warning for reports from its kecamatan (the KPU
# Kota's: the whole city), as polling day's.
TROUBLE_WEIGHT = 2.0
TROUBLED = (RecapSession.Status.DISKORS, RecapSession.Status.BUNTU)
S = RecapSession.Status


def recap_troubled_q() -> Q:
    """Sessions in trouble: suspended, deadlocked, or with a merah crowd while they sit."""
    return Q(status__in=TROUBLED) | Q(
        status__in=[S.BERJALAN, S.DISKORS, S.BUNTU], crowd_colour="merah"
    )


def recap_rows(*, now: dt.datetime | None = None) -> list[dict]:
    """Every session with its guard: the post's officers on duty now against its plan."""
    now = now or timezone.now()
    sessions = RecapSession.objects.select_related("kecamatan", "post").annotate(
        on_duty=Count(
            "post__assignments",
            filter=Q(
                post__assignments__status=Assignment.Status.ACTIVE,
                post__assignments__starts_at__lte=now,
                post__assignments__ends_at__gt=now,
            ),
        ),
        troubled=Count("pk", filter=recap_troubled_q()),
    )
    return [
        {
            "id": s.pk,
            "name": str(s),
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "status": s.status,
            "status_label": s.get_status_display(),
            "crowd_size": s.crowd_size,
            "crowd_colour": s.crowd_colour,
            "guard": s.on_duty,
            "guard_plan": s.post.required_strength if s.post_id else None,
            "troubled": bool(s.troubled),
            "note": s.note,
        }
        for s in sessions
    ]


@transaction.atomic
def recap_update(
    *, session: RecapSession, by, status: str, crowd_size, crowd_colour: str, note: str = ""
) -> RecapSession:
    """The command post's word on a session: status, crowd and its colour; audited, pushed."""
    session = RecapSession.objects.select_for_update().get(pk=session.pk)
    errors = {}
    if status not in S.values:
        errors["status"] = _("Status rekapitulasi tidak dikenal.")
    if crowd_colour not in CROWD_COLOURS:
        errors["crowd_colour"] = _("Pilih hijau, kuning atau merah.")
    try:
        crowd_size = int(crowd_size)
    except (TypeError, ValueError):
        crowd_size = -1
    if not 0 <= crowd_size <= 1_000_000:
        errors["crowd_size"] = _("Jumlah massa harus bilangan bulat 0 sampai 1.000.000.")
    if errors:
        raise ValidationError(errors)
    before = {"status": session.status, "crowd": [session.crowd_size, session.crowd_colour]}
    session.status, session.crowd_size, session.crowd_colour = status, crowd_size, crowd_colour
    session.note = (note or "").strip()[:255]
    session.save()
    audit_record(
        actor=by,
        action="recap.update",
        obj=session,
        note=session.note,
        changes={
            "status": [before["status"], status],
            "crowd": [before["crowd"], [crowd_size, crowd_colour]],
        },
    )
    realtime_publish_after_commit(
        group=ALERTS_GROUP,
        event={"type": "recap.changed", "recap": {"id": session.pk, "status": status}},
    )
    return session


def recap_weights(*, lo: dt.datetime, hi: dt.datetime) -> list[tuple]:
    """(kecamatan id or None for the city, starts, ends, label) of the sessions in trouble now
    that overlap [lo, hi]: what early warning weighs a report's time and place with."""
    rows = (
        RecapSession.objects.filter(recap_troubled_q(), starts_at__lte=hi, ends_at__gte=lo)
        .select_related("kecamatan")
        .order_by("starts_at")
    )
    return [
        (
            s.kecamatan_id,
            s.starts_at,
            s.ends_at,
            _("rekapitulasi %(s)s %(st)s") % {"s": s, "st": s.get_status_display()},
        )
        for s in rows
    ]
