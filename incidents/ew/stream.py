"""Stream scoring: corroboration and surges over time-ordered reports (pure Python, no Django).

The signals and the surge test are documented in incidents/ew/engine.py's module docstring.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from incidents.ew.engine import Config, Engine, Report, Score, default_engine


@dataclass(frozen=True, slots=True)
class Surge:
    """More reports of concern in a kelurahan than its baseline explains."""

    kelurahan: str
    count: int
    expected: float
    p_value: float
    window_minutes: int
    at: dt.datetime
    first: bool  # the first report of this surge episode (raise); later ones update it

    def reason(self) -> str:
        p = "p<0.0001" if self.p_value < 1e-4 else f"p={self.p_value:.4f}"
        return (
            f"lonjakan laporan di {self.kelurahan}: {self.count} laporan dalam "
            f"{self.window_minutes} menit (biasanya {self.expected:.2f}), {p}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kelurahan": self.kelurahan,
            "count": self.count,
            "expected": round(self.expected, 3),
            "p_value": float(f"{self.p_value:.3g}"),
            "window_minutes": self.window_minutes,
            "at": self.at.isoformat(),
            "first": self.first,
        }


@dataclass(frozen=True, slots=True)
class StreamResult:
    score: Score
    surge: Surge | None = None
    corroborated_by: tuple[Any, ...] = ()
    duplicate_of: Any = None


# --------------------------------------------------------------------------- text analysis


def poisson_sf(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    term = math.exp(-lam)
    cdf = term
    for i in range(1, k):
        term *= lam / i
        cdf += term
        if term < 1e-300 and i > lam:
            break
    return max(0.0, 1.0 - cdf)


def _jaccard(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


@dataclass(slots=True)
class _Item:
    at: dt.datetime
    id: Any
    source: tuple | None
    signature: frozenset
    words: frozenset
    duplicate: bool


@dataclass(slots=True)
class _Place:
    name: str
    items: deque = field(default_factory=deque)
    signal_times: deque = field(default_factory=deque)
    last_surge_at: dt.datetime | None = None


class StreamScorer:
    """Scores reports in time order, with corroboration and surge detection (bounded memory)."""

    def __init__(self, engine: Engine | None = None, *, config: Config | None = None) -> None:
        self.engine = engine or (Engine(config) if config else default_engine())
        c = self.engine.stream_cfg
        self.corr_window = dt.timedelta(minutes=float(c.get("corroboration_window_minutes", 120)))
        self.similarity = float(c.get("corroboration_similarity", 0.25))
        self.duplicate = float(c.get("duplicate_similarity", 0.8))
        self.scan = int(c.get("corroboration_scan", 200))
        self.surge_minutes = int(c.get("surge_window_minutes", 60))
        self.surge_window = dt.timedelta(minutes=self.surge_minutes)
        self.baseline = dt.timedelta(hours=float(c.get("surge_baseline_hours", 24)))
        self.prior_rate = float(c.get("surge_prior_rate_per_hour", 0.25))
        self.prior_hours = float(c.get("surge_prior_hours", 6))
        self.alpha = float(c.get("surge_alpha", 0.01))
        self.min_count = int(c.get("surge_min_count", 4))
        self.min_score = float(c.get("surge_min_score", 10))
        self.max_places = int(c.get("max_places", 2000))
        self.max_items = int(c.get("max_items_per_place", 2000))
        self.places: OrderedDict[str, _Place] = OrderedDict()
        self.city_times: deque[dt.datetime] = deque()
        self.started: dt.datetime | None = None
        self.now: dt.datetime | None = None

    def _place(self, name: str) -> _Place:
        key = " ".join(name.lower().split())
        place = self.places.get(key)
        if place is None:
            place = self.places[key] = _Place(name=name.strip())
            if len(self.places) > self.max_places:
                self.places.popitem(last=False)
        else:
            self.places.move_to_end(key)
        return place

    def push(self, report: Report) -> StreamResult:
        """Score `report` in the context of the reports pushed before it."""
        when = report.reported_at or self.now or dt.datetime.now(dt.UTC)
        # Reports arrive roughly in order; a late one is filed at the stream's clock.
        if self.now is not None and when < self.now:
            when = self.now
        self.now = when
        if self.started is None:
            self.started = when
        engine = self.engine
        a = engine.analyse(report.text)
        if not report.kelurahan or not report.kelurahan.strip():
            return StreamResult(score=engine.score_analysis(report, a))
        place = self._place(report.kelurahan)
        self._evict(place, when)
        source = (report.channel, report.source_id) if report.source_id else None

        duplicate_of = None
        independent: list[_Item] = []
        if a.signature:
            recent = list(place.items)[-self.scan :]
            similar = [item for item in recent if self._similar(a.signature, item.signature)]
            similar_ids = {id(item) for item in similar}
            for item in recent:
                same_source = source is not None and item.source == source
                if _jaccard(a.words, item.words) >= self.duplicate or (
                    same_source and id(item) in similar_ids
                ):
                    duplicate_of = item.id
                    break
            # A near-duplicate adds nothing; otherwise count distinct sources, each once, and
            # never an item that was itself a duplicate.
            if duplicate_of is None:
                for item in similar:
                    if item.duplicate or (source is not None and item.source == source):
                        continue
                    if any(
                        (item.source is not None and item.source == other.source)
                        or _jaccard(item.words, other.words) >= self.duplicate
                        for other in independent
                    ):
                        continue
                    independent.append(item)
        extra = []
        if duplicate_of is not None:
            extra.append("laporan serupa dari sumber yang sama/salinan: tidak menambah bobot")
        score = engine.score_analysis(
            report,
            a,
            corroboration=len(independent),
            place=place.name,
            extra_reasons=extra,
        )
        surge = None
        if duplicate_of is None:
            alone = score.score if not independent else engine.score_analysis(report, a).score
            if alone >= self.min_score:
                place.signal_times.append(when)
                if len(place.signal_times) > self.max_items:
                    place.signal_times.popleft()
                self.city_times.append(when)
                if len(self.city_times) > self.max_items * 50:
                    self.city_times.popleft()
                surge = self._surge(place, when)
        if surge is not None:
            reasons = list(score.reasons)
            reasons.insert(len(reasons) - 1, surge.reason())
            score = Score(
                score=score.score,
                level=score.level,
                reasons=reasons,
                config_version=score.config_version,
                categories=score.categories,
                drill=score.drill,
            )
        place.items.append(
            _Item(when, report.id, source, a.signature, a.words, duplicate_of is not None)
        )
        if len(place.items) > self.max_items:
            place.items.popleft()
        return StreamResult(
            score=score,
            surge=surge,
            corroborated_by=tuple(item.id for item in independent),
            duplicate_of=duplicate_of,
        )

    def _similar(self, a: frozenset, b: frozenset) -> bool:
        shared = a & b
        if not any(s.startswith("#") for s in shared):
            return False
        return len(shared) / len(a | b) >= self.similarity

    def _evict(self, place: _Place, when: dt.datetime) -> None:
        items = place.items
        while items and when - items[0].at > self.corr_window:
            items.popleft()
        for times in (place.signal_times, self.city_times):
            while times and when - times[0] > self.baseline:
                times.popleft()

    def _surge(self, place: _Place, when: dt.datetime) -> Surge | None:
        start = when - self.surge_window
        k = 0
        for t in reversed(place.signal_times):
            if t <= start:
                break
            k += 1
        if k < self.min_count:
            return None
        base_count = len(place.signal_times) - k
        observed_from = max(self.started, when - self.baseline)
        base_hours = max(0.0, (start - observed_from).total_seconds() / 3600)
        # The prior is the configured quiet rate or the rate of the other active kelurahan,
        # whichever is higher: a busy day everywhere is not a surge in one place.
        prior = self.prior_rate
        others = sum(
            1
            for p in self.places.values()
            if p is not place and p.signal_times and when - p.signal_times[-1] <= self.baseline
        )
        if others:
            elapsed = max((when - observed_from).total_seconds() / 3600, self.surge_minutes / 60)
            other_count = len(self.city_times) - len(place.signal_times)
            prior = max(prior, other_count / (others * elapsed))
        rate = (prior * self.prior_hours + base_count) / (self.prior_hours + base_hours)
        expected = rate * self.surge_minutes / 60
        p = poisson_sf(k, expected)
        if p >= self.alpha:
            return None
        first = place.last_surge_at is None or when - place.last_surge_at > self.surge_window
        place.last_surge_at = when
        return Surge(place.name, k, expected, p, self.surge_minutes, when, first)


# --------------------------------------------------------------------------- JSON Lines
