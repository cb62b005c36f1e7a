"""Deployment planner: group TPS into security posts and assign officers to them.

Pure Python (stdlib only, no Django) so it can be unit-tested and benchmarked alone; the service
layer maps database rows to the input dataclasses and the result back to assignments.

The planner is deterministic (the same input, in any list order, gives the identical result: all
work happens on lists sorted by id or by explicit keys, never on dict or set iteration order),
explainable (every assignment carries a reason in Bahasa Indonesia) and O(n log n) in the number
of TPS and officers (plus O(m^2) for each over-wide chunk of at most m = max_tps TPS).

Rules
-----
Clustering
    TPS are grouped per (kecamatan, kelurahan, category); a cluster never mixes kelurahan or
    categories. Kecamatan is part of the key because kelurahan names repeat across a province.
    A group of n TPS whose rule allows at most m TPS per cluster starts as k = ceil(n / m)
    clusters, made by recursive bisection: sort on the wider (in metres) of the east-west and
    north-south extents, ties broken by TPS id, and cut so that every chunk holds floor(n / k)
    or ceil(n / k) TPS. A chunk whose radius (the largest distance of a member from the centroid)
    exceeds ``max_cluster_radius_m`` is cut again in two, at the point along its wider axis where
    the larger of the two halves' radii is smallest (ties: the most even cut), until every chunk
    fits or holds a single TPS. That cut puts a far-off TPS in its own cluster instead of halving
    a compact group, so fewer clusters (and officers) are needed than with a blind halving.
    ``min_tps`` is advisory: chunks are as even as ceil(n / m) allows and the radius rule may
    make smaller ones; the planner never merges across kelurahan to reach it.
    Distances use an equirectangular projection centred on the kelurahan group (metres, mean
    Earth radius), accurate to well under 0.1 % at the scale of a kelurahan.

Requirement
    Each TPS cluster requires ``rule.officers``; each fixed post its ``required``.

Pins
    A pin (officer id -> target key) whose officer and key both exist is kept first
    (``pinned=True``), even if it over-fills the target; the officer leaves the pool and counts
    toward that target's requirement. Any other pin is reported in ``pins_dropped`` and that
    officer (if he exists) returns to the pool.

Reserve
    reserve = floor(len(pool) * reserve_share), where the pool is every officer not kept by a
    valid pin (a 1e-9 tolerance absorbs binary rounding, so 0.29 of 100 is 29). The reserve is
    the tail of the global preference order below, i.e. the officers the planner would reach
    last: BKO first (highest rank, then highest id, first), then Polres units, and Polsek
    officers only when nothing else is left. So no officer in reserve would have been picked
    before an officer on duty, and the reserve is the mobile BKO force (Brimob-style PHH).

Order and preference
    Targets are filled in this order: fixed posts by priority (highest first) then key; then TPS
    clusters by category (sangat rawan, khusus, rawan, kurang rawan), kecamatan, kelurahan and
    lowest TPS id. Each TPS cluster's remaining requirement is filled from (a) Polsek officers
    of the target's own kecamatan, (b) other Polres units, (c) Polsek officers of other
    kecamatan, (d) BKO. A fixed post takes (b) Polres units, then (d) BKO, then (a) and (c):
    guarding the KPU office or escorting logistics is Samapta's and the BKO's work, and the
    Polsek officers are kept for the TPS of their own area. Within a tier the lowest rank (TPS
    duty is for bintara and tamtama) then the lowest id comes first. A post without a kecamatan
    skips (a), and its Polsek help reads "bantuan Polsek" rather than "bantuan dari luar
    wilayah". The global order used for the reserve is Polsek, Polres, BKO, each by rank then
    id. Officers neither assigned nor in reserve (more than the targets need) are listed in
    ``PlanResult.unassigned_ids``.

Coverage
    A cluster short of officers counts all its TPS as uncovered. ``shortfall`` is the sum over
    targets of ``max(0, required - assigned)``: it equals ``officers_required -
    officers_assigned`` unless a pin over-fills a target (surplus at one target does not cover
    another). ``bko_needed`` equals ``shortfall``: the reserve is deliberately kept back, so every
    missing officer would have to come from Polda as BKO.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from operations.planar import Point, chunk_radius, fit_radius, project, split_balanced

CATEGORIES = ("sangat_rawan", "khusus", "rawan", "kurang_rawan")  # priority order, highest first
CATEGORY_LABELS = {
    "sangat_rawan": "sangat rawan",
    "khusus": "khusus",
    "rawan": "rawan",
    "kurang_rawan": "kurang rawan",
}
TIERS = ("polsek", "polres", "bko")

PIN_REASON = "penugasan manual dipertahankan"
REASON_HOME = "wilayah sendiri"
REASON_POLRES = "personel Polres"
REASON_OTHER_POLSEK = "bantuan dari luar wilayah"
REASON_POLSEK_FOR_CITY_POST = "bantuan Polsek"
REASON_BKO = "tenaga BKO"

# Absorbs binary rounding in n * share (0.29 * 100 == 28.999999999999996).
_RESERVE_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class PatternRule:
    """How many officers guard one group of TPS of a category, and how large a group may be."""

    officers: int  # Polri officers per group
    max_tps: int  # at most this many TPS in one group
    min_tps: int = 1  # groups aim for at least this many (soft)

    def __post_init__(self) -> None:
        if self.officers < 0:
            raise ValueError("PatternRule.officers must be >= 0")
        if self.max_tps < 1:
            raise ValueError("PatternRule.max_tps must be >= 1")
        if not 1 <= self.min_tps <= self.max_tps:
            raise ValueError("PatternRule.min_tps must be between 1 and max_tps")


DEFAULT_PATTERN: dict[str, PatternRule] = {  # Polda Lampung, Pemilu 2024
    "kurang_rawan": PatternRule(officers=2, max_tps=20, min_tps=12),
    "rawan": PatternRule(officers=2, max_tps=2, min_tps=1),
    "sangat_rawan": PatternRule(officers=2, max_tps=1, min_tps=1),
    "khusus": PatternRule(officers=2, max_tps=1, min_tps=1),
}


@dataclass(frozen=True, slots=True)
class PlanTps:
    """A polling station; category is "khusus" for a TPS khusus whatever its vulnerability."""

    id: int
    kelurahan: str
    kecamatan: str
    lat: float
    lon: float
    category: str


@dataclass(frozen=True, slots=True)
class PlanPost:
    """A fixed post that is not a TPS cluster (KPU office, Bawaslu office, warehouse, ...)."""

    key: str
    name: str
    kecamatan: str | None
    lat: float
    lon: float
    required: int
    priority: int = 0  # higher first; every fixed post is staffed before any TPS cluster


@dataclass(frozen=True, slots=True)
class PlanOfficer:
    """An officer available for the operation."""

    id: int
    tier: str  # "polsek", "polres" (other Polres units) or "bko"
    kecamatan: str | None  # a Polsek officer's kecamatan; None otherwise
    unit: str  # shown in reasons: "Polsek Metro Pusat", "Sat Samapta", ...
    rank: int  # 1 (Bharada) .. 22; lower ranks are preferred for TPS duty


@dataclass
class PlanInput:
    """Everything the planner needs; the pattern is configuration, not code."""

    tps: list[PlanTps]
    officers: list[PlanOfficer]
    posts: list[PlanPost] = field(default_factory=list)
    pattern: dict[str, PatternRule] = field(default_factory=lambda: dict(DEFAULT_PATTERN))
    reserve_share: float = 0.1  # 0 <= share < 1
    max_cluster_radius_m: float = 1500.0
    pins: dict[int, str] = field(default_factory=dict)  # officer id -> cluster/post key


@dataclass(frozen=True, slots=True)
class Assignment:
    """One officer at one target, with the reason in Bahasa Indonesia."""

    officer_id: int
    target_key: str
    reason: str
    pinned: bool


@dataclass(slots=True)
class Cluster:
    """A security post: a cluster of TPS (kind "tps") or a fixed post (kind "post")."""

    key: str
    kind: str
    name: str
    category: str | None
    kelurahan: str | None
    kecamatan: str | None
    tps_ids: list[int]
    lat: float
    lon: float
    radius_m: float
    required: int
    officers: list[Assignment]

    @property
    def shortfall(self) -> int:
        """Officers still missing at this target (0 when fully staffed or over-filled)."""
        return max(0, self.required - len(self.officers))


@dataclass(slots=True)
class Coverage:
    """How far the officers go; see the module docstring for the exact definitions."""

    tps_total: int
    tps_covered: int
    tps_uncovered: int
    officers_available: int
    reserve: int
    officers_required: int
    officers_assigned: int
    shortfall: int
    shortfall_by_category: dict[str, int]
    bko_needed: int
    assigned_by_tier: dict[str, int]
    pins_dropped: list[int]


@dataclass(slots=True)
class PlanResult:
    """The plan: targets with their officers, the reserve, officers left over, and coverage."""

    clusters: list[Cluster]
    reserve_ids: list[int]
    coverage: Coverage
    # Officers neither assigned nor in reserve (there were more than the targets need), by id.
    unassigned_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        """A JSON-serialisable copy (dataclasses.asdict semantics)."""
        return dataclasses.asdict(self)


# --------------------------------------------------------------------------------------------
# Validation


def _validate(data: PlanInput) -> None:
    """Reject input that would make the plan silently wrong; messages name the bad value."""
    unknown = sorted(set(data.pattern) - set(CATEGORIES))
    if unknown:
        raise ValueError(f"unknown category in pattern: {unknown}")
    if not 0 <= data.reserve_share < 1:
        raise ValueError("reserve_share must be >= 0 and < 1")
    if not data.max_cluster_radius_m > 0:
        raise ValueError("max_cluster_radius_m must be > 0")
    seen_tps: set[int] = set()
    for t in data.tps:
        if t.id in seen_tps:
            raise ValueError(f"duplicate TPS id {t.id}")
        seen_tps.add(t.id)
        if t.category not in CATEGORIES:
            raise ValueError(f"TPS {t.id}: unknown category {t.category!r}")
        if t.category not in data.pattern:
            raise ValueError(f"pattern has no rule for category {t.category!r}")
        _check_coordinates(f"TPS {t.id}", t.lat, t.lon)
    seen_officers: set[int] = set()
    for o in data.officers:
        if o.id in seen_officers:
            raise ValueError(f"duplicate officer id {o.id}")
        seen_officers.add(o.id)
        if o.tier not in TIERS:
            raise ValueError(f"officer {o.id}: unknown tier {o.tier!r}")
    seen_posts: set[str] = set()
    for p in data.posts:
        if p.key in seen_posts:
            raise ValueError(f"duplicate post key {p.key!r}")
        seen_posts.add(p.key)
        if p.required < 0:
            raise ValueError(f"post {p.key!r}: required must be >= 0")
        _check_coordinates(f"post {p.key!r}", p.lat, p.lon)


def _check_coordinates(what: str, lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"{what}: invalid coordinates ({lat}, {lon})")


# --------------------------------------------------------------------------------------------
# Clustering (the geometry: operations/planar.py)


def _cluster_group(
    group: list[PlanTps], rule: PatternRule, max_radius: float
) -> list[tuple[list[int], float]]:
    """(sorted TPS ids, radius in m) of each cluster of one (kecamatan, kelurahan, category).

    The radius reported is the one checked against max_radius (same projection), so a reported
    radius never exceeds the limit through rounding.
    """
    if rule.max_tps == 1:
        return [([t.id], 0.0) for t in group]
    points = project(group)
    k = -(-len(points) // rule.max_tps)
    chunks: list[list[Point]] = []
    split_balanced(points, k, chunks)
    fitted: list[list[Point]] = []
    for chunk in chunks:
        fit_radius(chunk, max_radius, fitted)
    return sorted((sorted(p[2] for p in chunk), chunk_radius(chunk)) for chunk in fitted)


def _tps_clusters(data: PlanInput) -> list[Cluster]:
    """All TPS clusters in assignment order (category, kecamatan, kelurahan, lowest TPS id)."""
    by_id = {t.id: t for t in data.tps}
    groups: dict[tuple[int, str, str], list[PlanTps]] = {}
    for t in sorted(data.tps, key=lambda t: t.id):
        key = (CATEGORIES.index(t.category), t.kecamatan, t.kelurahan)
        groups.setdefault(key, []).append(t)
    clusters: list[Cluster] = []
    for (cat_index, kecamatan, kelurahan), group in sorted(groups.items()):
        category = CATEGORIES[cat_index]
        rule = data.pattern[category]
        for ids, radius in _cluster_group(group, rule, data.max_cluster_radius_m):
            members = [by_id[i] for i in ids]
            clusters.append(
                Cluster(
                    key=f"tps-{category}-{ids[0]}",
                    kind="tps",
                    name=f"{kelurahan} · {CATEGORY_LABELS[category]} · {len(ids)} TPS",
                    category=category,
                    kelurahan=kelurahan,
                    kecamatan=kecamatan,
                    tps_ids=ids,
                    lat=sum(t.lat for t in members) / len(members),
                    lon=sum(t.lon for t in members) / len(members),
                    radius_m=radius,
                    required=rule.officers,
                    officers=[],
                )
            )
    return clusters


def _post_clusters(posts: Iterable[PlanPost]) -> list[Cluster]:
    """Fixed posts as targets, by priority (highest first) then key."""
    return [
        Cluster(
            key=p.key,
            kind="post",
            name=p.name,
            category=None,
            kelurahan=None,
            kecamatan=p.kecamatan,
            tps_ids=[],
            lat=p.lat,
            lon=p.lon,
            radius_m=0.0,
            required=p.required,
            officers=[],
        )
        for p in sorted(posts, key=lambda p: (-p.priority, p.key))
    ]


# --------------------------------------------------------------------------------------------
# Assignment


class _Queue:
    """Officers in preference order; skips officers already taken through another queue."""

    __slots__ = ("items", "pos")

    def __init__(self, items: list[PlanOfficer]) -> None:
        self.items = items
        self.pos = 0

    def pop(self, taken: set[int]) -> PlanOfficer | None:
        items, pos = self.items, self.pos
        while pos < len(items) and items[pos].id in taken:
            pos += 1
        if pos == len(items):
            self.pos = pos
            return None
        officer = items[pos]
        self.pos = pos + 1
        taken.add(officer.id)
        return officer


def _preference_key(o: PlanOfficer) -> tuple[int, int, int]:
    """Global order: Polsek, Polres, BKO; lower rank first; then id. The reserve is its tail."""
    return (TIERS.index(o.tier), o.rank, o.id)


def _requirement_text(target: Cluster) -> str:
    if target.kind == "tps":
        label = CATEGORY_LABELS[target.category or ""]
        return f"{target.required} personel per {len(target.tps_ids)} TPS {label}"
    return f"pos {target.name} membutuhkan {target.required} personel"


def plan(data: PlanInput) -> PlanResult:
    """Cluster the TPS, keep valid pins, set the reserve aside, then fill targets in order."""
    _validate(data)
    tps_clusters = _tps_clusters(data)
    post_clusters = _post_clusters(data.posts)
    keys = {c.key for c in tps_clusters}
    for c in post_clusters:
        if c.key in keys:
            raise ValueError(f"post key {c.key!r} collides with a TPS cluster key")
    targets = post_clusters + tps_clusters  # exactly the assignment order
    by_key = {c.key: c for c in targets}
    officers = sorted(data.officers, key=_preference_key)
    officer_ids = {o.id for o in officers}

    # 1. Pins: kept first, even over the requirement.
    pinned: set[int] = set()
    pins_dropped: list[int] = []
    for officer_id, key in sorted(data.pins.items()):
        target = by_key.get(key)
        if target is None or officer_id not in officer_ids:
            pins_dropped.append(officer_id)
            continue
        target.officers.append(Assignment(officer_id, key, PIN_REASON, pinned=True))
        pinned.add(officer_id)

    # 2. Reserve: the tail of the global preference order (BKO, highest rank first).
    pool = [o for o in officers if o.id not in pinned]
    reserve_count = math.floor(len(pool) * data.reserve_share + _RESERVE_EPSILON)
    cut = len(pool) - reserve_count
    reserve_ids = sorted(o.id for o in pool[cut:])
    pool = pool[:cut]

    # 3. Queues per tier (pool is already in rank, id order within each tier).
    home: dict[str, list[PlanOfficer]] = {}
    polsek_all: list[PlanOfficer] = []
    polres: list[PlanOfficer] = []
    bko: list[PlanOfficer] = []
    for o in pool:
        if o.tier == "polsek":
            polsek_all.append(o)
            if o.kecamatan is not None:
                home.setdefault(o.kecamatan, []).append(o)
        elif o.tier == "polres":
            polres.append(o)
        else:
            bko.append(o)
    home_queues = {kecamatan: _Queue(items) for kecamatan, items in home.items()}
    polres_queue, polsek_queue, bko_queue = _Queue(polres), _Queue(polsek_all), _Queue(bko)
    taken: set[int] = set()

    # 4. Fill each target in order from the preference tiers.
    for target in targets:
        need = target.required - len(target.officers)
        if need <= 0:
            continue
        requirement = _requirement_text(target)
        own = home_queues.get(target.kecamatan) if target.kecamatan is not None else None
        other_polsek = REASON_OTHER_POLSEK if target.kecamatan else REASON_POLSEK_FOR_CITY_POST
        if target.kind == "post":
            # Fixed posts (KPU, Bawaslu, warehouse, escorts) are the Polres units' and the BKO's
            # work; Polsek officers are kept for the TPS of their own area.
            tiers = (
                (polres_queue, REASON_POLRES),
                (bko_queue, REASON_BKO),
                (own, REASON_HOME),
                (polsek_queue, other_polsek),
            )
        else:
            tiers = (
                (own, REASON_HOME),
                (polres_queue, REASON_POLRES),
                (polsek_queue, other_polsek),
                (bko_queue, REASON_BKO),
            )
        for queue, why in tiers:
            while need > 0 and queue is not None:
                officer = queue.pop(taken)
                if officer is None:
                    break
                reason = f"{officer.unit}: {why}; {requirement}"
                target.officers.append(Assignment(officer.id, target.key, reason, pinned=False))
                need -= 1
            if need == 0:
                break

    unassigned_ids = sorted(o.id for o in pool if o.id not in taken)
    coverage = _coverage(data, targets, officers, reserve_ids, pins_dropped)
    return PlanResult(
        clusters=targets,
        reserve_ids=reserve_ids,
        coverage=coverage,
        unassigned_ids=unassigned_ids,
    )


def _coverage(
    data: PlanInput,
    targets: list[Cluster],
    officers: list[PlanOfficer],
    reserve_ids: list[int],
    pins_dropped: list[int],
) -> Coverage:
    tier_of = {o.id: o.tier for o in officers}
    shortfall_by_category = dict.fromkeys((*CATEGORIES, "post"), 0)
    assigned_by_tier = dict.fromkeys(TIERS, 0)
    tps_uncovered = required = assigned = 0
    for target in targets:
        required += target.required
        assigned += len(target.officers)
        for a in target.officers:
            assigned_by_tier[tier_of[a.officer_id]] += 1
        missing = target.shortfall
        if missing:
            shortfall_by_category[target.category or "post"] += missing
            tps_uncovered += len(target.tps_ids)
    shortfall = sum(shortfall_by_category.values())
    return Coverage(
        tps_total=len(data.tps),
        tps_covered=len(data.tps) - tps_uncovered,
        tps_uncovered=tps_uncovered,
        officers_available=len(officers),
        reserve=len(reserve_ids),
        officers_required=required,
        officers_assigned=assigned,
        shortfall=shortfall,
        shortfall_by_category=shortfall_by_category,
        bko_needed=shortfall,
        assigned_by_tier=assigned_by_tier,
        pins_dropped=pins_dropped,
    )
