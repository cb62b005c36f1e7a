"""Geometry for the small SVG plots the dashboard draws itself (no chart library, no CDN).

Pure functions: numbers in, rectangles and labels out; the templates only place them.
"""

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    n: int
    label: str
    tick: str  # axis label, "" where it would crowd the axis


def hour_bars(points: list[dict], *, width: int = 480, height: int = 120) -> dict:
    """Vertical bars for counts per hour (`points`: [{"hour": ISO, "n": int}, ...])."""
    count = len(points)
    top = max((p["n"] for p in points), default=0)
    plot_h = height - 18  # room for the hour labels
    step = width / count if count else width
    every = max(1, round(count / 8))  # at most about eight hour labels
    bars = []
    for i, p in enumerate(points):
        h = 0 if not top else plot_h * p["n"] / top
        hour = dt.datetime.fromisoformat(p["hour"])
        bars.append(
            Bar(
                x=round(i * step + step * 0.1, 1),
                y=round(plot_h - h, 1),
                w=round(max(step * 0.8, 1), 1),
                h=round(h, 1),
                n=p["n"],
                label=hour.strftime("%d/%m %H:00"),
                tick=hour.strftime("%H") if i % every == 0 else "",
            )
        )
    return {
        "bars": bars,
        "width": width,
        "height": height,
        "plot_h": plot_h,
        "max": top,
        "total": sum(p["n"] for p in points),
    }


def share_rows(rows: list[dict], *, key: str = "n") -> list[dict]:
    """Horizontal bar lengths (percent of the largest) for labelled counts."""
    top = max((r[key] for r in rows), default=0) or 1
    return [{**r, "pct": round(100 * r[key] / top, 1)} for r in rows]
