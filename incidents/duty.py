"""The field officer's duty loop ("Tugas saya"): what his phone reads (his assignments and the
dispatches sent to him) and what he reports from it (each step of a dispatch, his status, a
call for backup). The API is incidents/api_field.py; docs/api.md describes it.

Every write here is the officer's own, in one transaction, audited with the server's time and
the phone's (core/phonetime.py), and pushed to the command post after commit.
"""

import datetime as dt
import math

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import CAN_REPORT_OWN_DISPATCH, user_has_role
from core.changes import data_changed_mark
from core.drf import ID_MAX
from core.phonetime import PhoneTime, phone_time_check
from core.realtime import ALERTS_GROUP, realtime_publish_after_commit
from core.services import audit_record
from incidents.alerts import alert_backup_raise
from incidents.models import OPEN_INCIDENT_STATUSES, Dispatch, Incident
from incidents.selectors import incident_list_for_user
from incidents.services import incident_event
from operations.models import Assignment, CheckIn, Kelurahan, Tps
from personnel.models import Officer, OfficerStatus, OfficerStatusChange
from personnel.services import officer_set_status

# The steps of a dispatch, in order: the column of the server's time, of the phone's time, and
# the timeline kind (the same kinds as the command post's marks, so the timeline reads alike).
STEPS = ["berangkat", "tiba", "selesai"]
STEP_COLUMNS = {
    "berangkat": ("en_route_at", "en_route_phone_at", "en_route"),
    "tiba": ("on_scene_at", "on_scene_phone_at", "on_scene"),
    "selesai": ("cleared_at", "cleared_phone_at", "cleared"),
}
STATE_DISPATCHED = "dikerahkan"  # sent, no step reported yet
# What the phone may set (POST /api/v1/me/status/); each is an OfficerStatus of the same name.
OWN_STATUSES = [
    OfficerStatus.BERTUGAS,
    OfficerStatus.ISTIRAHAT,
    OfficerStatus.LEPAS_DINAS,
    OfficerStatus.BUTUH_BANTUAN,
]
# A check-in's position older than this is not "where he is" for a call for backup.
POSITION_FRESH = dt.timedelta(hours=12)
SUMMARY_CHARS = 160


class StepBackwards(Exception):
    """A step before one already recorded (answered with 409)."""


def officer_for_user(user) -> Officer | None:
    """The officer record of `user`'s account, or None (an account not linked to one)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Officer.objects.select_related("unit").filter(user=user).first()


def dispatch_state(dispatch: Dispatch) -> str:
    """The furthest step recorded: dikerahkan, berangkat, tiba or selesai."""
    for step in reversed(STEPS):
        if getattr(dispatch, STEP_COLUMNS[step][0]) is not None:
            return step
    return STATE_DISPATCHED


def incident_summary(incident: Incident) -> str:
    text = " ".join(incident.description.split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rstrip() + "…"


# --- reads ------------------------------------------------------------------------------------


def duty_assignments(*, officer: Officer, now=None):
    """His active assignments that have not ended (under way or to come), soonest first, with
    their post, its kelurahan and the post's TPS (Post.tps, the relation TPS returns use)."""
    now = now or timezone.now()
    return (
        Assignment.objects.filter(officer=officer, status=Assignment.Status.ACTIVE, ends_at__gt=now)
        .select_related("post__kelurahan")
        .prefetch_related(
            Prefetch(
                "post__tps",
                queryset=Tps.objects.select_related("kelurahan").order_by(
                    "kelurahan__name", "number"
                ),
            )
        )
        .order_by("starts_at", "id")[:20]
    )


def duty_dispatches(*, officer: Officer):
    """The dispatches sent to him still open: no "selesai" yet, on an incident still open."""
    return (
        Dispatch.objects.filter(
            officer=officer,
            cleared_at__isnull=True,
            incident__status__in=OPEN_INCIDENT_STATUSES,
        )
        .select_related("incident__kelurahan", "incident__tps__kelurahan")
        .order_by("dispatched_at", "id")[:50]
    )


def dispatch_get_for_user(*, user, pk: int) -> Dispatch:
    """The dispatch `pk` for `user` to report a step of: only his own (sent to the officer of
    his account). PermissionDenied when his role never reports steps, or when he may see the
    dispatch (on an incident he reported himself) but it is another officer's; Http404 when
    he may not see it at all."""
    if not user_has_role(user, CAN_REPORT_OWN_DISPATCH):
        raise PermissionDenied
    if not 0 < pk <= ID_MAX:
        raise Http404
    dispatch = (
        Dispatch.objects.select_related(
            "officer", "incident__kelurahan", "incident__tps__kelurahan"
        )
        .filter(pk=pk)
        .first()
    )
    if dispatch is None:
        raise Http404
    if dispatch.officer.user_id == user.pk:
        return dispatch
    if incident_list_for_user(user=user).filter(pk=dispatch.incident_id).exists():
        raise PermissionDenied(
            _("Perintah ini untuk personel lain: hanya personel yang dikerahkan yang melapor.")
        )
    raise Http404


# --- writes -----------------------------------------------------------------------------------


def _phone_note(phone_at, suspect: bool) -> str:
    note = _("dilaporkan dari ponsel")
    if phone_at is not None:
        note += "; " + _("jam ponsel %(t)s") % {
            "t": timezone.localtime(phone_at).strftime("%d-%m-%Y %H:%M:%S")
        }
    if suspect:
        note += "; " + _("jam ponsel menyimpang dari jam server")
    return note


def dispatch_payload(dispatch: Dispatch, incident: Incident, step: str, at) -> dict:
    """What the command post's screens receive when an officer reports a step (the officer's
    rank and name, no NRP or phone: the feed is komando's and intel's)."""
    return {
        "type": "dispatch.progress",
        "dispatch": {
            "id": dispatch.pk,
            "incident": incident.pk,
            "officer": str(dispatch.officer),
            "step": step,
            "state": dispatch_state(dispatch),
            "at": at.isoformat(),
            "is_exercise": incident.is_exercise,
        },
    }


@transaction.atomic
def dispatch_progress_report(
    *, dispatch: Dispatch, by, step: str, phone_time: PhoneTime | None
) -> tuple[Dispatch, bool]:
    """Record a step the dispatched officer reports himself (berangkat, tiba, selesai); answers
    (dispatch, whether anything was written). Steps go only forward: one already recorded is a
    no-op, one before a recorded step raises StepBackwards. A step may skip another (he forgot
    to tap "berangkat"). The server's time goes in en_route_at / on_scene_at / cleared_at (the
    response time is built from it), the phone's beside it. Locks the dispatch, then its
    incident (the order dispatch_mark takes them in)."""
    if step not in STEP_COLUMNS:
        raise ValueError(step)
    dispatch = Dispatch.objects.select_for_update().get(pk=dispatch.pk)
    column, phone_column, kind = STEP_COLUMNS[step]
    if getattr(dispatch, column) is not None:
        return dispatch, False
    later = [s for s in STEPS[STEPS.index(step) + 1 :] if getattr(dispatch, STEP_COLUMNS[s][0])]
    if later:
        raise StepBackwards(
            _(
                'Langkah tidak boleh mundur: sudah tercatat "%(done)s", "%(step)s" tidak '
                "dapat dilaporkan lagi."
            )
            % {"done": later[-1], "step": step}
        )
    now = timezone.now()
    phone_at, suspect = phone_time_check(phone_time, now)
    setattr(dispatch, column, now)
    setattr(dispatch, phone_column, phone_at)
    dispatch.save(update_fields=[column, phone_column])
    incident = Incident.objects.select_for_update().get(pk=dispatch.incident_id)
    if step == "tiba" and (incident.first_on_scene_at is None or now < incident.first_on_scene_at):
        incident.first_on_scene_at = now
        incident.save(update_fields=["first_on_scene_at"])
        transaction.on_commit(data_changed_mark, robust=True)  # dashboards' response times
    officer = Officer.objects.get(pk=dispatch.officer_id)
    dispatch.officer = officer
    incident_event(incident, by, kind, to=officer.nrp, note=_phone_note(phone_at, suspect))
    audit_record(
        actor=by,
        action="dispatch.progress",
        obj=incident,
        changes={
            "dispatch": [None, dispatch.pk],
            "officer": [None, officer.pk],
            "step": [None, step],
            "server_at": [None, now],
            "phone_at": [None, phone_time.raw if phone_time else None],
            "phone_time_suspect": [None, suspect],
        },
    )
    realtime_publish_after_commit(
        group=ALERTS_GROUP, event=dispatch_payload(dispatch, incident, step, now)
    )
    return dispatch, True


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return 111_195.0 * math.hypot(lat2 - lat1, (lon2 - lon1) * k)


def _where(officer: Officer, now) -> tuple[list[str], Kelurahan | None]:
    """Where the officer is taken to be for a call for backup: his last check-in with a
    position (if fresh), and his assignment now (or next); the reasons' lines and a kelurahan
    (the nearest centre to his position, else his post's) for the dashboard's map."""
    lines, kelurahan = [], None
    checkin = (
        CheckIn.objects.filter(officer=officer, lat__isnull=False, at__gte=now - POSITION_FRESH)
        .select_related("assignment__post")
        .order_by("-at", "-id")
        .first()
    )
    assignment = (
        Assignment.objects.filter(officer=officer, status=Assignment.Status.ACTIVE, ends_at__gt=now)
        .select_related("post__kelurahan")
        .order_by("starts_at", "id")
        .first()
    )
    if checkin is not None:
        lines.append(
            _(
                "Posisi terakhir: %(lat).5f, %(lon).5f (±%(acc)s m), apel pukul %(t)s WIB di "
                "%(post)s (%(d)s m dari pos)."
            )
            % {
                "lat": checkin.lat,
                "lon": checkin.lon,
                "acc": "?" if checkin.accuracy is None else round(checkin.accuracy),
                "t": timezone.localtime(checkin.at).strftime("%H:%M"),
                "post": checkin.assignment.post.name,
                "d": checkin.distance_m,
            }
        )
        kelurahan = min(
            Kelurahan.objects.only("id", "name", "lat", "lon"),
            key=lambda k: _distance_m(checkin.lat, checkin.lon, k.lat, k.lon),
            default=None,
        )
    else:
        lines.append(_("Posisi dari ponsel belum diketahui (belum ada apel dengan lokasi)."))
    if assignment is not None:
        post = assignment.post
        lines.append(
            _("Penugasan: %(post)s%(kel)s, %(start)s-%(end)s WIB.")
            % {
                "post": post.name,
                "kel": f", {post.kelurahan.name}" if post.kelurahan_id else "",
                "start": timezone.localtime(assignment.starts_at).strftime("%d-%m %H:%M"),
                "end": timezone.localtime(assignment.ends_at).strftime("%d-%m %H:%M"),
            }
        )
        if kelurahan is None:
            kelurahan = post.kelurahan
    else:
        lines.append(_("Tidak ada penugasan aktif."))
    return lines, kelurahan


@transaction.atomic
def officer_status_report(
    *, officer: Officer, by, status: str, phone_time: PhoneTime | None
) -> OfficerStatusChange | None:
    """The officer sets his own status from his phone (one of OWN_STATUSES); answers the change
    made, or None when it already was his status. "butuh_bantuan" (needs backup) raises a merah
    alert at the command post with where he is taken to be, every time it is reported (a second
    call refreshes the open alert)."""
    if status not in OWN_STATUSES:
        raise ValueError(status)
    now = timezone.now()
    phone_at, suspect = phone_time_check(phone_time, now)
    note = _("status dilaporkan sendiri") + "; " + _phone_note(phone_at, suspect)
    # Locked here first, so that "changed" and the write see the same status.
    changed = Officer.objects.select_for_update().get(pk=officer.pk).status != status
    officer = officer_set_status(officer=officer, by=by, status=status, note=note)
    change = None
    if changed:
        change = OfficerStatusChange.objects.filter(officer=officer).order_by("-at", "-id").first()
    if status == OfficerStatus.BUTUH_BANTUAN:
        lines, kelurahan = _where(officer, now)
        who = _("Personel: %(o)s, NRP %(nrp)s, %(unit)s") % {
            "o": officer,
            "nrp": officer.nrp,
            "unit": officer.unit.name,
        }
        if officer.phone:
            who += ", " + _("telepon %(p)s") % {"p": officer.phone}
        reported = _("Dilaporkan pukul %(t)s WIB") % {
            "t": timezone.localtime(now).strftime("%H:%M:%S")
        }
        if suspect:
            reported += " (" + _("jam ponsel menyimpang dari jam server") + ")"
        alert_backup_raise(
            officer=officer, by=by, kelurahan=kelurahan, reasons=[who, *lines, reported + "."]
        )
    return change
