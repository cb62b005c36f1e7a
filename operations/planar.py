"""The planner's geometry (pure Python): TPS projected onto a local plane, split into balanced
chunks along the wider axis, and cut until each chunk fits within a radius."""

import math
from collections.abc import Sequence

# Metres per degree of latitude on a sphere of the mean Earth radius.
M_PER_DEG = 6_371_008.8 * math.pi / 180.0
# Above this many TPS a chunk that is too wide is cut at the median instead of the best cut.
EXACT_CUT_LIMIT = 256

# A point in a group's local projection: (x metres east, y metres north, TPS id).
Point = tuple[float, float, int]


def project(group: Sequence) -> list[Point]:
    # `group`: anything with .lat, .lon and .id (the planner's PlanTps).
    """Equirectangular projection centred on the group (good to well under 0.1 % locally)."""
    n = len(group)
    lat0 = sum(t.lat for t in group) / n
    lon0 = sum(t.lon for t in group) / n
    kx = M_PER_DEG * math.cos(math.radians(lat0))
    return [((t.lon - lon0) * kx, (t.lat - lat0) * M_PER_DEG, t.id) for t in group]


def sorted_on_wider_axis(points: list[Point]) -> tuple[list[Point], int]:
    """Points sorted on the axis with the larger extent (x on a tie), ties by TPS id."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    axis = 0 if max(xs) - min(xs) >= max(ys) - min(ys) else 1
    return sorted(points, key=lambda p: (p[axis], p[2])), axis


def split_balanced(points: list[Point], k: int, out: list[list[Point]]) -> None:
    """Cut points into k spatially contiguous chunks of floor(n/k) or ceil(n/k) points."""
    if k <= 1 or len(points) <= 1:
        out.append(points)
        return
    k_left = k // 2
    base, extra = divmod(len(points), k)
    # The left half takes its share of the "+1" chunks first; both halves stay within ceil(n/k).
    n_left = k_left * base + min(extra, k_left)
    ordered, _ = sorted_on_wider_axis(points)
    split_balanced(ordered[:n_left], k_left, out)
    split_balanced(ordered[n_left:], k - k_left, out)


def chunk_radius(points: Sequence[Point]) -> float:
    """Largest distance (m) of a point from the points' centroid."""
    n = len(points)
    if n == 1:
        return 0.0
    cx = sum(p[0] for p in points) / n
    cy = sum(p[1] for p in points) / n
    return max(math.hypot(p[0] - cx, p[1] - cy) for p in points)


def bisect_tightest(points: list[Point]) -> tuple[list[Point], list[Point]]:
    """Cut in two along the wider axis where the larger of the two radii is smallest.

    Ties go to the most even cut. Scoring every cut costs O(n^2), which is nothing for chunks of
    at most max_tps TPS (20 in the Polda pattern); chunks above EXACT_CUT_LIMIT (only with an
    unusual pattern) are simply cut at the median.
    """
    ordered, _ = sorted_on_wider_axis(points)
    n = len(ordered)
    if n > EXACT_CUT_LIMIT:
        return ordered[: n // 2], ordered[n // 2 :]
    best_cut, best_score = 1, (math.inf, n)
    for cut in range(1, n):
        score = (max(chunk_radius(ordered[:cut]), chunk_radius(ordered[cut:])), abs(2 * cut - n))
        if score < best_score:
            best_cut, best_score = cut, score
    return ordered[:best_cut], ordered[best_cut:]


def fit_radius(points: list[Point], max_radius: float, out: list[list[Point]]) -> None:
    """Cut a chunk again until every piece lies within max_radius of its centroid."""
    stack = [points]
    while stack:
        chunk = stack.pop()
        if len(chunk) == 1 or chunk_radius(chunk) <= max_radius:
            out.append(chunk)
        else:
            left, right = bisect_tightest(chunk)
            stack.append(right)
            stack.append(left)
