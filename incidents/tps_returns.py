"""Polling-day returns of the TPS (opened, voting, counting, done, sent): who may file which,
in what order, and the alert for a TPS whose return is late."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
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
    TpsReturn,
)
from incidents.selectors import tps_overdue_list
from operations.models import Assignment, Tps, TpsStatus

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
    if key and TpsReturn.objects.filter(reporter=by, idempotency_key=key).exists():
        return  # a retry of his return already filed: tps_return_create hands it back
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


def tps_return_file(
    *, by, tps_id, status: str, note: str = "", reason: str = "", key: str | None = None
) -> tuple[TpsReturn, bool]:
    """File a return from the field or the command post (the API, the form, an SMS): the TPS
    locked, tps_return_check, then tps_return_create. Returns (record, created): created is
    False for a retry of a key the reporter used already. Raises PermissionDenied or
    ValidationError."""
    with transaction.atomic():
        tps = Tps.objects.select_for_update().filter(pk=tps_id).first() if tps_id else None
        if tps is None:
            raise ValidationError({"tps": _("Pilih TPS.")})
        existed = bool(key) and TpsReturn.objects.filter(reporter=by, idempotency_key=key).exists()
        tps_return_check(by=by, tps=tps, status=status, reason=reason, key=key)
        record = tps_return_create(by=by, tps=tps, status=status, note=note, key=key, reason=reason)
    return record, not existed


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
        # Keys are per reporter: another officer's return with the same key is not this one.
        existing = TpsReturn.objects.filter(reporter=by, idempotency_key=key).first()
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
