"""The situation report (laporan situasi): one selector gathers every figure once, and the page,
the PDF, the CSV, the API and the `sitrep` command all render what it returns.

Two versions come out of it. The internal one (komando, intel) may carry intelligence counts,
alert titles and the use-of-force log. The partner one (KPU, Bawaslu: the liaison only ever gets
this) is built down a separate path that never reads intelligence reports, tips, alert titles
or reasons, officers or the use-of-force details: what is not read cannot leak, whatever a
template does. Exercise rows (`is_exercise`) are left out of every figure of both.

Periods are half-open, [start, end), and compared with the server's timestamps (reported_at,
created_at), which a client cannot backdate. Choices are written down in docs/sitrep.md.
"""

import datetime as dt
import statistics
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from core.access import primary_role
from core.context_processors import ROLE_LABELS
from incidents.models import (
    OPEN_ALERT_STATUSES,
    OPEN_INCIDENT_STATUSES,
    Alert,
    AlertLevel,
    CrowdColour,
    Incident,
    IncidentStatus,
    IncidentType,
    IntelField,
    IntelReport,
    Tip,
    TpsReturn,
    UseOfForce,
)
from incidents.selectors import ELECTION_TYPES
from logistics.selectors import logistics_summary
from operations.models import ElectionPhase, Kecamatan, Tps, TpsStatus
from operations.selectors import kecamatan_summary_list, phase_current, tps_counts_by_category
from personnel.models import BkoContingent
from personnel.selectors import strength_rollup

MAX_SPAN = dt.timedelta(days=31)
NOTABLE_LIMIT = 10
COLOURS = [CrowdColour.MERAH, CrowdColour.KUNING, CrowdColour.HIJAU]
NO_RETURN = "belum_ada_laporan"


@dataclass
class Sitrep:
    """Everything a situation report shows; plain values only, so it serialises to JSON."""

    start: dt.datetime
    end: dt.datetime
    generated_at: dt.datetime
    author: str
    partner: bool
    marking: str
    phase: dict | None
    strength: dict
    tps: dict
    incidents: dict
    alerts: dict
    force: dict
    intel: dict | None
    # Ballots under escort (logistics.selectors.logistics_summary): no person's name in it.
    logistics: dict = field(default_factory=dict)
    notable: list[str] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)

    @property
    def period_text(self) -> str:
        return f"{when_text(self.start)} – {when_text(self.end)} WIB"

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("start", "end", "generated_at"):
            data[key] = timezone.localtime(data[key]).isoformat()
        return data


def when_text(value: dt.datetime) -> str:
    """A moment in WIB as the report prints it, e.g. 14 Feb 2024 13:05."""
    return dateformat.format(timezone.localtime(value), "j M Y H:i")


def sitrep_period_check(*, start: dt.datetime, end: dt.datetime) -> None:
    """Refuse a period that is empty, reversed, naive or longer than MAX_SPAN (field errors)."""
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValidationError({"start": _("Waktu harus menyertakan zona waktu.")})
    if end <= start:
        raise ValidationError({"end": _("Akhir periode harus sesudah awal periode.")})
    if end - start > MAX_SPAN:
        raise ValidationError({"end": _("Periode paling lama %(d)d hari.") % {"d": MAX_SPAN.days}})


def sitrep_period_default(*, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The last 24 hours ending now, to the minute (WIB)."""
    end = timezone.localtime(now or timezone.now()).replace(second=0, microsecond=0)
    return end - dt.timedelta(days=1), end


def sitrep_day(*, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A calendar day in WIB, 00:00 to 24:00."""
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def sitrep_build(*, start: dt.datetime, end: dt.datetime, partner: bool, author: str) -> Sitrep:
    """Gather the situation report for [start, end). `partner` builds the version for KPU and
    Bawaslu, which never reads intelligence, alert texts, officers or the use-of-force log."""
    sitrep_period_check(start=start, end=end)
    incidents = Incident.objects.filter(
        is_exercise=False, reported_at__gte=start, reported_at__lt=end
    )
    if partner:
        # What touches the election process, as the liaison sees it everywhere else.
        incidents = incidents.filter(type__in=ELECTION_TYPES)
    phase = phase_current(at=end - dt.timedelta(microseconds=1))
    report = Sitrep(
        start=start,
        end=end,
        generated_at=timezone.now(),
        author=author,
        partner=partner,
        marking=_("TERBATAS: untuk mitra") if partner else _("RAHASIA"),
        phase=_phase_dict(phase),
        strength=_strength(partner=partner),
        tps=_tps(end=end),
        incidents=_incidents(incidents, partner=partner),
        alerts=_alerts(start=start, end=end, partner=partner),
        force=_force(start=start, end=end, partner=partner),
        intel=None if partner else _intel(start=start, end=end),
        logistics=logistics_summary(start=start, end=end),
    )
    report.notable = _notable(incidents, start=start, end=end, partner=partner)
    report.risks = _risks(report, phase=phase, partner=partner)
    return report


def _phase_dict(phase: ElectionPhase | None) -> dict | None:
    if phase is None:
        return None
    return {
        "code": phase.code,
        "name": phase.name,
        "starts_at": timezone.localtime(phase.starts_at).isoformat(),
        "ends_at": timezone.localtime(phase.ends_at).isoformat(),
        "risk_weight": phase.risk_weight,
    }


def _strength(*, partner: bool) -> dict:
    """The strength roll-up as it stands now; the partner gets the totals only."""
    rollup = strength_rollup()
    dep = rollup["deployment"]
    contingent_labels = dict(BkoContingent.Status.choices)
    out = {
        "total": rollup["total"],
        "polres": rollup["polres"],
        "bko": rollup["bko"],
        "deployed": dep["deployed"]["polres"] + dep["deployed"]["bko"],
    }
    if partner:
        return out
    out.update(
        {
            "deployment": [
                {"key": key, "label": label, **dep[key], "total": sum(dep[key].values())}
                for key, label in (
                    ("deployed", _("Ditempatkan")),
                    ("reserve", _("Cadangan")),
                    ("unavailable", _("Tidak tersedia")),
                )
            ],
            "by_satgas": rollup["by_satgas"],
            "contingents": [
                {
                    **{k: c[k] for k in ("name", "strength", "checked_in")},
                    "status": str(contingent_labels.get(c["status"], c["status"])),
                }
                for c in rollup["contingents"]
            ],
        }
    )
    return out


def _tps(*, end: dt.datetime) -> dict:
    """TPS by category and kecamatan, and by the status of each TPS's latest real return
    before the end of the period (exercise returns do not move a TPS)."""
    latest: dict[int, str] = {}
    # Newest first per TPS; the first row seen for a TPS is its latest (portable to SQLite,
    # which has no DISTINCT ON; a few thousand rows at most: 462 TPS, five returns each).
    for tps_id, status in (
        TpsReturn.objects.filter(is_exercise=False, reported_at__lt=end)
        .order_by("tps_id", "-reported_at", "-id")
        .values_list("tps_id", "status")
    ):
        latest.setdefault(tps_id, status)
    total = Tps.objects.count()
    labels = dict(TpsStatus.choices)
    counts = dict.fromkeys([s for s in TpsStatus.values if s != TpsStatus.BELUM_DIBUKA], 0)
    for status in latest.values():
        counts[status] = counts.get(status, 0) + 1
    by_status = [{"key": NO_RETURN, "label": _("belum ada laporan"), "count": total - len(latest)}]
    by_status += [{"key": k, "label": str(labels.get(k, k)), "count": n} for k, n in counts.items()]
    by_category = tps_counts_by_category()
    category_labels = {
        "kurang_rawan": _("kurang rawan"),
        "rawan": _("rawan"),
        "sangat_rawan": _("sangat rawan"),
        "khusus": _("khusus"),
    }
    return {
        "total": total,
        "by_status": by_status,
        "by_category": [
            {"key": k, "label": str(category_labels[k]), "count": n} for k, n in by_category.items()
        ],
        "by_kecamatan": kecamatan_summary_list(),
    }


def _counted(rows: dict, choices) -> list[dict]:
    return [{"key": k, "label": str(label), "count": rows.get(k, 0)} for k, label in choices]


def _incidents(qs, *, partner: bool) -> dict:
    """Incidents reported in the period by type, colour, kecamatan and state; response times."""
    by_type = dict(qs.values_list("type").annotate(n=Count("id")).order_by())
    by_colour = dict(qs.values_list("colour").annotate(n=Count("id")).order_by())
    by_status = dict(qs.values_list("status").annotate(n=Count("id")).order_by())
    types = IncidentType.choices
    if partner:
        types = [(k, label) for k, label in types if k in ELECTION_TYPES]
    per_kec: dict = {}
    for row in qs.values("kelurahan__kecamatan__name", "colour").annotate(n=Count("id")).order_by():
        entry = per_kec.setdefault(row["kelurahan__kecamatan__name"], dict.fromkeys(COLOURS, 0))
        entry[row["colour"]] += row["n"]
    by_kecamatan = []
    for name in [*Kecamatan.objects.order_by("name").values_list("name", flat=True), None]:
        entry = per_kec.get(name, dict.fromkeys(COLOURS, 0))
        if name is None and not sum(entry.values()):
            continue
        by_kecamatan.append(
            {
                "kecamatan": name or _("tanpa kecamatan"),
                "total": sum(entry.values()),
                **{str(c): n for c, n in entry.items()},
            }
        )
    times = sorted(
        (on - rep).total_seconds()
        for on, rep in qs.filter(first_on_scene_at__isnull=False).values_list(
            "first_on_scene_at", "reported_at"
        )
    )
    response = {"count": len(times), "median_s": None, "p90_s": None}
    if times:
        # The same percentile rule as /api/v1/incidents/stats/, so the two never disagree.
        response["median_s"] = round(statistics.median(times))
        response["p90_s"] = round(times[min(len(times) - 1, int(0.9 * len(times)))])
    agg = qs.aggregate(n=Count("id"), casualties=Sum("casualties"))
    return {
        "total": agg["n"],
        "casualties": agg["casualties"] or 0,
        "by_type": _counted(by_type, types),
        "by_colour": _counted(by_colour, [(c, c.label) for c in COLOURS]),
        "by_status": _counted(by_status, IncidentStatus.choices),
        "by_kecamatan": by_kecamatan,
        "response": response,
    }


def _alerts(*, start, end, partner: bool) -> dict:
    """Alerts raised in the period and what became of them; counts only, never texts, here."""
    qs = Alert.objects.filter(is_exercise=False, created_at__gte=start, created_at__lt=end)
    agg = qs.aggregate(
        raised=Count("id"),
        acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
        escalated=Count("id", filter=Q(escalation__gt=0)),
        closed=Count("id", filter=Q(closed_at__isnull=False)),
        open=Count("id", filter=Q(status__in=OPEN_ALERT_STATUSES)),
    )
    by_level = dict(qs.values_list("level").annotate(n=Count("id")).order_by())
    out = {
        **agg,
        "by_level": _counted(by_level, [(lv, lv.label) for lv in reversed(AlertLevel)]),
    }
    if not partner:
        by_kind = dict(qs.values_list("kind").annotate(n=Count("id")).order_by())
        kinds = [
            (k, label)
            for k, label in Alert.Kind.choices
            if k not in Alert.OPTIONAL_KINDS or k in by_kind
        ]
        out["by_kind"] = _counted(by_kind, kinds)
    return out


def _force(*, start, end, partner: bool) -> dict:
    """Uses of force in the period by stage; the internal version lists each entry."""
    qs = UseOfForce.objects.filter(incident__is_exercise=False, used_at__gte=start, used_at__lt=end)
    by_stage = dict(qs.values_list("stage").annotate(n=Count("id")).order_by())
    out = {
        "total": sum(by_stage.values()),
        "by_stage": _counted(by_stage, UseOfForce.Stage.choices),
    }
    if partner:
        return out
    out["entries"] = [
        {
            "used_at": when_text(u["used_at"]),
            "incident": u["incident_id"],
            "kelurahan": u["incident__kelurahan__name"] or "-",
            "stage": u["stage"],
            "justification": u["justification"],
            "authorised_by": u["authorised_by"],
        }
        for u in qs.order_by("used_at", "id").values(
            "used_at",
            "incident_id",
            "incident__kelurahan__name",
            "stage",
            "justification",
            "authorised_by",
        )
    ]
    return out


def _intel(*, start, end) -> dict:
    """Intelligence received in the period: counts by grading and field, no content."""
    reports = IntelReport.objects.filter(
        is_exercise=False, created_at__gte=start, created_at__lt=end
    )
    grading: dict[str, int] = {}
    for rel, cred, n in (
        reports.values_list("source_reliability", "info_credibility")
        .annotate(n=Count("id"))
        .order_by("source_reliability", "info_credibility")
    ):
        grading[f"{rel}{cred}"] = n
    by_field = dict(reports.values_list("field").annotate(n=Count("id")).order_by())
    return {
        "reports": sum(grading.values()),
        "tips": Tip.objects.filter(
            is_exercise=False, created_at__gte=start, created_at__lt=end
        ).count(),
        "by_grading": [{"key": k, "label": k, "count": n} for k, n in grading.items()],
        "by_field": _counted(by_field, IntelField.choices),
    }


def _incident_sentence(row: dict, *, partner: bool) -> str:
    place = row["kelurahan__name"] or _("lokasi tanpa kelurahan")
    if row["kelurahan__kecamatan__name"]:
        place = f"{place}, {row['kelurahan__kecamatan__name']}"
    if row["tps__number"] is not None:
        place = _("TPS %(n)03d %(place)s") % {"n": row["tps__number"], "place": place}
    parts = [
        _("%(when)s WIB: %(type)s di %(place)s, situasi %(colour)s")
        % {
            "when": when_text(row["reported_at"]),
            "type": IncidentType(row["type"]).label,
            "place": place,
            "colour": row["colour"],
        }
    ]
    if row["crowd_size"]:
        parts.append(_("massa sekitar %(n)d orang") % {"n": row["crowd_size"]})
    if row["casualties"]:
        parts.append(_("%(n)d korban") % {"n": row["casualties"]})
    parts.append(_("status %(s)s") % {"s": IncidentStatus(row["status"]).label})
    if not partner:
        parts.append(_("kendali %(c)s") % {"c": row["control"]})
    return "; ".join(str(p) for p in parts) + "."


def _notable(qs, *, start, end, partner: bool) -> list[str]:
    """The most serious events of the period in words: merah before kuning, then casualties,
    then crowd size; alerts (internal only) after the incidents."""
    severity = {CrowdColour.MERAH: 0, CrowdColour.KUNING: 1}
    rows = list(
        qs.filter(colour__in=severity).values(
            "id",
            "reported_at",
            "type",
            "colour",
            "status",
            "control",
            "crowd_size",
            "casualties",
            "kelurahan__name",
            "kelurahan__kecamatan__name",
            "tps__number",
        )
    )
    rows.sort(
        key=lambda r: (
            severity[r["colour"]],
            -r["casualties"],
            -(r["crowd_size"] or 0),
            r["reported_at"],
            r["id"],
        )
    )
    lines = [_incident_sentence(r, partner=partner) for r in rows[:NOTABLE_LIMIT]]
    if len(rows) > NOTABLE_LIMIT:
        lines.append(
            _("Dan %(n)d kejadian kuning/merah lainnya.") % {"n": len(rows) - NOTABLE_LIMIT}
        )
    if not partner:
        alerts = (
            Alert.objects.filter(
                is_exercise=False,
                created_at__gte=start,
                created_at__lt=end,
                level__in=[AlertLevel.MERAH, AlertLevel.KUNING],
            ).order_by("-level", "created_at", "id")  # descending: "merah" before "kuning"
        )
        for alert in alerts[:NOTABLE_LIMIT]:
            text = _("%(when)s WIB: peringatan %(level)s, %(title)s; %(status)s") % {
                "when": when_text(alert.created_at),
                "level": alert.level,
                "title": alert.title,
                "status": alert.get_status_display(),
            }
            if alert.outcome:
                text += _("; hasil: %(o)s") % {"o": alert.outcome}
            lines.append(text + ".")
    if not lines:
        lines.append(_("Tidak ada kejadian menonjol (kuning atau merah) pada periode ini."))
    return lines


def _risks(report: Sitrep, *, phase, partner: bool) -> list[str]:
    """What the next period holds, in words: the election phase, vulnerable TPS, where the
    incidents were, what is still open."""
    lines = []
    horizon = report.end + max(report.end - report.start, dt.timedelta(days=1))
    upcoming = (
        ElectionPhase.objects.filter(starts_at__gte=report.end, starts_at__lt=horizon)
        .order_by("starts_at")
        .first()
    )
    if upcoming is not None:
        lines.append(
            _("Tahapan berikutnya: %(name)s mulai %(when)s WIB (bobot risiko %(w).1f).")
            % {
                "name": upcoming.name,
                "when": when_text(upcoming.starts_at),
                "w": upcoming.risk_weight,
            }
        )
    if phase is not None:
        lines.append(
            _("Tahapan %(name)s berlangsung sampai %(when)s WIB (bobot risiko %(w).1f).")
            % {"name": phase.name, "when": when_text(phase.ends_at), "w": phase.risk_weight}
        )
    elif upcoming is None:
        lines.append(
            _("Tidak ada tahapan pemilu yang berlangsung atau dimulai pada periode berikut.")
        )
    cats = {r["key"]: r["count"] for r in report.tps["by_category"]}
    worst = max(report.tps["by_kecamatan"], key=lambda r: r["sangat_rawan"], default=None)
    text = _(
        "%(sr)d TPS sangat rawan, %(r)d TPS rawan dan %(k)d TPS khusus perlu pengamanan ketat"
    ) % {"sr": cats["sangat_rawan"], "r": cats["rawan"], "k": cats["khusus"]}
    if worst and worst["sangat_rawan"]:
        text += _("; TPS sangat rawan terbanyak di %(kec)s (%(n)d)") % {
            "kec": worst["kecamatan"],
            "n": worst["sangat_rawan"],
        }
    lines.append(text + ".")
    busiest = max(report.incidents["by_kecamatan"], key=lambda r: r["total"], default=None)
    if busiest and busiest["total"]:
        lines.append(
            _(
                "Kejadian terbanyak pada periode ini di %(kec)s: %(n)d kejadian, "
                "%(hot)d di antaranya kuning atau merah."
            )
            % {
                "kec": busiest["kecamatan"],
                "n": busiest["total"],
                "hot": busiest["kuning"] + busiest["merah"],
            }
        )
    else:
        lines.append(_("Tidak ada kejadian tercatat pada periode ini."))
    still_open = Incident.objects.filter(is_exercise=False, status__in=OPEN_INCIDENT_STATUSES)
    if partner:
        still_open = still_open.filter(type__in=ELECTION_TYPES)
    n_open = still_open.count()
    if n_open:
        lines.append(_("%(n)d kejadian masih dalam penanganan.") % {"n": n_open})
    if not partner:
        open_alerts = dict(
            Alert.objects.filter(is_exercise=False, status__in=OPEN_ALERT_STATUSES)
            .values_list("level")
            .annotate(n=Count("id"))
            .order_by()
        )
        if open_alerts:
            lines.append(
                _("%(n)d peringatan masih terbuka (%(m)d merah, %(k)d kuning).")
                % {
                    "n": sum(open_alerts.values()),
                    "m": open_alerts.get(AlertLevel.MERAH, 0),
                    "k": open_alerts.get(AlertLevel.KUNING, 0),
                }
            )
    return lines


def sitrep_author_label(user, *, partner: bool) -> str:
    """Who the report names as its author. The partner version names the issuing office, not
    a person: an officer's name is personal data that version must not carry."""
    if partner:
        role = primary_role(user)
        return f"{ROLE_LABELS.get(role, _('Pos Komando'))} Polres Metro"
    return user.get_full_name() or user.get_username()
