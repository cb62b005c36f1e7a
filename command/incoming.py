"""The command post's incoming queue: what has just come in and still waits for someone.

Three streams in one list (docs/dashboard.md, "Laporan masuk"):
- field reports not yet verified, with the time left to verify them (INCIDENT_VERIFY_MINUTES)
  and, past it, marked late: they stay until someone verifies or rejects them;
- public tips of the last QUEUE_HOURS not yet triaged (docs/intel.md: promote or noise);
- intelligence reports (Laporan Informasi) of the last QUEUE_HOURS.
Each row has its level: the crowd colour the officer gave for a field report, the early-warning
level for a tip or an LI (none while the worker is still scoring it). Late rows first, then
merah, kuning, hijau, then the newest. Real reports only: an exercise shows on its own pages.
"""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from incidents.models import AlertLevel, EwScore, Incident, IncidentStatus, IntelReport, Tip

QUEUE_HOURS = 6
QUEUE_SIZE = 30
LEVEL_ORDER = {"merah": 0, "kuning": 1, "hijau": 2, None: 3}


def _levels(field: str, ids: list[int]) -> dict[int, tuple[str, int]]:
    """The newest early-warning (level, score) of each report of one kind."""
    rows = (
        EwScore.objects.filter(**{f"{field}_id__in": ids})
        .order_by(f"{field}_id", "-scored_at", "-id")
        .values_list(f"{field}_id", "level", "score")
    )
    out: dict[int, tuple[str, int]] = {}
    for pk, level, score in rows:
        out.setdefault(pk, (level, score))
    return out


def _short(text: str, n: int = 110) -> str:
    return Truncator(" ".join((text or "").split())).chars(n)


def incoming_list(*, now=None, limit: int = QUEUE_SIZE) -> list[dict]:
    """The queue's rows, most urgent first (the caller checks the role: komando and intel)."""
    now = now or timezone.now()
    since = now - dt.timedelta(hours=QUEUE_HOURS)
    rows: list[dict] = []
    incidents = list(
        Incident.objects.filter(status=IncidentStatus.BARU, is_exercise=False)
        .select_related("kelurahan")
        .order_by("-reported_at")[:limit]
    )
    for i in incidents:
        rows.append(
            {
                "kind": "incident",
                "id": i.pk,
                "at": i.reported_at,
                "level": i.colour,
                "level_label": i.get_colour_display(),
                "source": _("laporan lapangan"),
                "title": f"{i.get_type_display()} · {i.kelurahan.name if i.kelurahan_id else '–'}",
                "text": _short(i.description),
                "due": i.verify_due_at,
                "late": i.verify_late(now),
                "url": reverse("incident-page-detail", args=[i.pk]),
            }
        )
    tips = list(
        Tip.objects.filter(created_at__gte=since, is_exercise=False, status=Tip.Status.BARU)
        .select_related("kelurahan")
        .order_by("-created_at")[:limit]
    )
    rows += _scored_rows(
        "tip",
        tips,
        source=_("informasi masyarakat"),
        title=lambda t: t.kelurahan.name if t.kelurahan_id else (t.place or "–"),
        text=lambda t: _short(t.text),
        url=lambda t: f"{reverse('tip-triage')}#tip-{t.pk}",
    )
    intel = list(
        IntelReport.objects.filter(created_at__gte=since, is_exercise=False)
        .select_related("kelurahan")
        .order_by("-created_at")[:limit]
    )
    rows += _scored_rows(
        "intel",
        intel,
        source=_("laporan informasi"),
        title=lambda r: r.subject,
        text=lambda r: r.kelurahan.name if r.kelurahan_id else "",
        url=lambda r: reverse("intel-report-page", args=[r.pk]),
    )
    rows.sort(key=lambda r: (not r["late"], LEVEL_ORDER.get(r["level"], 3), -r["at"].timestamp()))
    return rows[:limit]


def _scored_rows(kind: str, objs: list, *, source: str, title, text, url) -> list[dict]:
    """Rows for tips or LIs: their level is the newest early-warning score's."""
    levels = _levels(kind, [o.pk for o in objs])
    rows = []
    for o in objs:
        level, score = levels.get(o.pk, (None, None))
        rows.append(
            {
                "kind": kind,
                "id": o.pk,
                "at": o.created_at,
                "level": level,
                "level_label": _level_label(level, score),
                "source": source,
                "title": title(o),
                "text": text(o),
                "due": None,
                "late": False,
                "url": url(o),
            }
        )
    return rows


def _level_label(level: str | None, score: int | None) -> str:
    if level is None:
        return _("menunggu skor")
    return f"{AlertLevel(level).label} ({score})"
