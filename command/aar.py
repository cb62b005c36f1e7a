"""The after-action report of an exercise run: for each inject, what was expected and what
was measured (alert raised and acknowledged, officers dispatched and on scene, the force the
procedure suggested), and a timeline drawn as inline SVG on the server.

Times are compared in scenario time: a real delay times the run's speed. Every window counts
from the moment the inject was played. Outcomes: met (within the window), late (after it),
missed (not at all by the end of the run or of the window), pending (the window is still open),
not_played (the run was stopped first), wrong (an escalation suggested another force).
"""

from django.utils import timezone
from django.utils.html import escape

from incidents.models import Alert, Dispatch, EwScore
from operations.models import ExerciseInject, ExerciseRun

LEVEL_RANK = {"hijau": 0, "kuning": 1, "merah": 2}
CHECKS = [
    ("alert", "alert_within", "alert_at"),
    ("ack", "ack_within", "ack_at"),
    ("dispatch", "dispatch_within", "dispatch_at"),
    ("on_scene", "on_scene_within", "on_scene_at"),
]


def _report_alert(inject: ExerciseInject, level: str | None):
    """The first alert (at or above `level`) that took this inject's report in, and when the
    command post had it: the later of the alert's creation and the report's scoring (a report
    added to an alert already open reached the screen when it was scored)."""
    if inject.kind == "logistics":
        # A stopped leg's alert is about the leg (logistics.services: one per leg and kind).
        leg_id = (inject.result or {}).get("leg_id")
        alerts = Alert.objects.filter(dedup_key=f"leg:{leg_id}:{Alert.Kind.LOG_STOPPED}")
        if level:
            alerts = alerts.filter(
                level__in=[lv for lv, r in LEVEL_RANK.items() if r >= LEVEL_RANK[level]]
            )
        alert = alerts.order_by("created_at").first() if leg_id else None
        return (alert, alert.created_at) if alert else (None, None)
    subject = {"intel": "intel", "tip": "tip", "incident": "incident"}.get(inject.kind)
    if subject is None or getattr(inject, f"{subject}_id") is None:
        return None, None
    scores = EwScore.objects.filter(**{f"{subject}_id": getattr(inject, f"{subject}_id")})
    best = None
    for score in scores:
        for alert in Alert.objects.filter(scores=score).order_by("created_at"):
            if level and LEVEL_RANK.get(alert.level, 0) < LEVEL_RANK[level]:
                continue
            at = max(alert.created_at, score.scored_at)
            if best is None or at < best[1]:
                best = (alert, at)
    return best if best else (None, None)


def _measure(inject: ExerciseInject, expect: dict) -> dict:
    out: dict = {}
    if inject.fired_at is None or inject.error:
        return out
    alert, alert_at = _report_alert(inject, expect.get("alert"))
    if alert is not None:
        out.update(alert_id=alert.pk, alert_level=alert.level, alert_at=alert_at)
        if alert.acknowledged_at is not None:
            # Already acknowledged when this report joined it: the command had it in hand.
            out["ack_at"] = max(alert.acknowledged_at, alert_at)
    if inject.incident_id and inject.kind in ("incident", "escalate"):
        since = inject.fired_at
        dispatches = list(
            Dispatch.objects.filter(incident_id=inject.incident_id, dispatched_at__gte=since)
        )
        if dispatches:
            out["dispatch_at"] = min(d.dispatched_at for d in dispatches)
            arrived = [d.on_scene_at for d in dispatches if d.on_scene_at]
            if arrived:
                out["on_scene_at"] = min(arrived)
    if inject.kind == "escalate":
        out["force"] = inject.result.get("force", "")
        out["control"] = inject.result.get("control", "")
    return out


def _scenario_seconds(run: ExerciseRun, start, end) -> float:
    return round((end - start).total_seconds() * run.speed, 1)


def _object_ref(inject: ExerciseInject) -> dict | None:
    for field in ("incident", "intel", "tip", "tps_return"):
        pk = getattr(inject, f"{field}_id")
        if pk:
            return {"type": field, "id": pk}
    if (inject.result or {}).get("leg_id"):
        return {"type": "leg", "id": inject.result["leg_id"]}
    return None


def exercise_report(*, run: ExerciseRun, now=None) -> dict:
    """The after-action report of a run as one JSON-ready dict."""
    now = now or timezone.now()
    ended = run.status in (ExerciseRun.Status.FINISHED, ExerciseRun.Status.STOPPED)
    rows = []
    missed = []
    tally = {"met": 0, "late": 0, "missed": 0, "pending": 0, "not_played": 0, "wrong": 0}
    for inject in run.injects.order_by("index"):
        expect = inject.spec.get("expect", {})
        measured = _measure(inject, expect)
        checks = []
        for what, window_key, at_key in CHECKS:
            if window_key not in expect:
                continue
            window = expect[window_key]
            after = None
            if inject.fired_at is None:
                outcome = "not_played"
            else:
                at = measured.get(at_key)
                if at is not None:
                    after = _scenario_seconds(run, inject.fired_at, at)
                    outcome = "met" if after <= window else "late"
                else:
                    closes = inject.fired_at.timestamp() + window / run.speed
                    outcome = "missed" if ended or now.timestamp() > closes else "pending"
            checks.append(
                {
                    "what": what,
                    "expected_within": window,
                    "measured_after": after,
                    "outcome": outcome,
                }
            )
        if "force" in expect:
            got = measured.get("force")
            if inject.fired_at is None:
                outcome = "not_played"
            else:
                outcome = "met" if got == expect["force"] else "wrong"
            checks.append(
                {"what": "force", "expected": expect["force"], "measured": got, "outcome": outcome}
            )
        for check in checks:
            tally[check["outcome"]] += 1
            if check["outcome"] in ("late", "missed", "wrong", "not_played"):
                missed.append({"inject": inject.index, "label": _label(inject), **check})
        rows.append(
            {
                "index": inject.index,
                "kind": inject.kind,
                "label": _label(inject),
                "offset": inject.offset_seconds,
                "due_at": inject.due_at.isoformat(),
                "fired_at": inject.fired_at.isoformat() if inject.fired_at else None,
                "fired_offset": _scenario_seconds(run, run.started_at, inject.fired_at)
                if inject.fired_at
                else None,
                "skipped": inject.skipped,
                "error": inject.error,
                "object": _object_ref(inject),
                "expected": expect,
                "measured": {
                    k: (v.isoformat() if hasattr(v, "isoformat") else v)
                    for k, v in measured.items()
                },
                "checks": checks,
            }
        )
    return {
        "run": run.pk,
        "scenario": run.scenario.name,
        "scenario_version": run.scenario_version,
        "title": run.definition.get("title", ""),
        "speed": run.speed,
        "status": run.status,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "ends_at": run.ends_at.isoformat() if run.ends_at else None,
        "stopped_at": run.stopped_at.isoformat() if run.stopped_at else None,
        "time_unit": "scenario seconds (real seconds x speed), counted from each inject",
        "injects": rows,
        "missed": missed,
        "summary": {"expectations": sum(tally.values()), **tally},
    }


def _label(inject: ExerciseInject) -> str:
    if inject.spec.get("label"):
        return inject.spec["label"]
    data = inject.spec.get("data", {})
    if inject.kind == "escalate":
        return f"{inject.get_kind_display()}: {data.get('colour', '')}"
    return (
        str(
            data.get("subject")
            or data.get("type")
            or data.get("status")
            or data.get("colour")
            or ""
        )[:60]
        or inject.get_kind_display()
    )


# --- the timeline -----------------------------------------------------------------------------

OUTCOME_COLOURS = {
    "met": "#2e7d32",
    "late": "#ef6c00",
    "missed": "#c62828",
    "pending": "#607d8b",
    "not_played": "#9e9e9e",
    "wrong": "#c62828",
}
MARKS = {"alert": "diamond", "ack": "circle", "dispatch": "triangle", "on_scene": "square"}


def _mark(shape: str, x: float, y: float, colour: str, title: str) -> str:
    t = f"<title>{escape(title)}</title>"
    if shape == "diamond":
        pts = f"{x},{y - 6} {x + 6},{y} {x},{y + 6} {x - 6},{y}"
        return f'<polygon points="{pts}" fill="{colour}">{t}</polygon>'
    if shape == "triangle":
        pts = f"{x},{y - 6} {x + 6},{y + 5} {x - 6},{y + 5}"
        return f'<polygon points="{pts}" fill="{colour}">{t}</polygon>'
    if shape == "square":
        return f'<rect x="{x - 5}" y="{y - 5}" width="10" height="10" fill="{colour}">{t}</rect>'
    return f'<circle cx="{x}" cy="{y}" r="5" fill="{colour}">{t}</circle>'


def _tick_step(span: float) -> int:
    for step in (10, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if span / step <= 10:
            return step
    return 7200


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def exercise_timeline_svg(report: dict, labels: dict[str, str]) -> str:
    """The run as an SVG timeline in scenario time: one row per inject, the expected windows as
    bars, the measured moments as marks coloured by outcome. Every text is escaped."""
    rows = report["injects"]
    left, right, top, row_h = 230, 20, 30, 30
    width = 960
    span = 60.0
    for row in rows:
        base = row["fired_offset"] if row["fired_offset"] is not None else row["offset"]
        windows = [c.get("expected_within", 0) for c in row["checks"]]
        measured = [c["measured_after"] or 0 for c in row["checks"] if "measured_after" in c]
        span = max(span, base + max(windows + measured + [0]))
    span *= 1.05
    plot_w = width - left - right
    height = top + row_h * len(rows) + 50

    def x(sec: float) -> float:
        return round(left + plot_w * sec / span, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(labels["title"])}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(labels['title'])}</title>",
    ]
    step = _tick_step(span)
    tick = 0
    while tick <= span:
        parts.append(
            f'<line x1="{x(tick)}" y1="{top - 8}" x2="{x(tick)}" '
            f'y2="{top + row_h * len(rows)}" stroke="#ddd"/>'
            f'<text x="{x(tick)}" y="{top - 12}" text-anchor="middle" fill="#555">'
            f"{_clock(tick)}</text>"
        )
        tick += step
    for i, row in enumerate(rows):
        y = top + row_h * i + row_h / 2
        label = f"{row['index'] + 1}. {row['label']}"[:34]
        parts.append(
            f'<text x="{left - 8}" y="{y + 4}" text-anchor="end">{escape(label)}</text>'
            f'<line x1="{left}" y1="{y}" x2="{width - right}" y2="{y}" stroke="#f0f0f0"/>'
        )
        base = row["fired_offset"]
        if base is None:
            parts.append(
                _mark("circle", x(row["offset"]), y, "none", labels["not_played"]).replace(
                    'fill="none"', 'fill="none" stroke="#9e9e9e"'
                )
            )
            continue
        for j, check in enumerate(c for c in row["checks"] if "expected_within" in c):
            bar_y = y - 9 + j * 5
            colour = OUTCOME_COLOURS[check["outcome"]]
            parts.append(
                f'<rect x="{x(base)}" y="{bar_y}" '
                f'width="{max(1.0, x(base + check["expected_within"]) - x(base))}" height="3" '
                f'fill="{colour}" opacity="0.35"><title>'
                f"{escape(labels[check['what']])}: {check['expected_within']} s</title></rect>"
            )
        parts.append(_mark("circle", x(base), y, "#37474f", labels["fired"]))
        for check in row["checks"]:
            if check.get("measured_after") is None:
                continue
            colour = OUTCOME_COLOURS[check["outcome"]]
            sec = base + check["measured_after"]
            title = f"{labels[check['what']]}: {check['measured_after']} s ({check['outcome']})"
            parts.append(_mark(MARKS[check["what"]], x(sec), y, colour, title))
        for check in row["checks"]:
            if check["outcome"] in ("missed", "wrong"):
                end = base + check.get("expected_within", 0)
                # Right-aligned under the window's end, so it never runs off the drawing.
                parts.append(
                    f'<text x="{x(end)}" y="{y + 14}" text-anchor="end" fill="#c62828" '
                    f'font-size="11" font-weight="bold">✗ {escape(labels[check["what"]])}</text>'
                )
    legend_y = top + row_h * len(rows) + 30
    lx = left
    for what, shape in MARKS.items():
        parts.append(_mark(shape, lx, legend_y, "#455a64", labels[what]))
        parts.append(f'<text x="{lx + 10}" y="{legend_y + 4}">{escape(labels[what])}</text>')
        lx += 150
    parts.append("</svg>")
    return "".join(parts)
