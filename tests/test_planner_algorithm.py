"""The deployment planner's pure algorithm (operations/planner.py): no database, no Django.

(The project's conftest still opens the test database through an autouse fixture; these tests
do not use it.)
"""

import json
import math
import random
import time

import pytest

from bench.planner import synthetic_input
from operations.planner import (
    CATEGORIES,
    PIN_REASON,
    PatternRule,
    PlanInput,
    PlanOfficer,
    PlanPost,
    PlanTps,
    plan,
)

CENTRE = (-5.117, 105.30)  # Kota Metro
M_PER_DEG = 111_195.0


def at(east_m: float = 0.0, north_m: float = 0.0) -> tuple[float, float]:
    """(lat, lon) a given number of metres east and north of Kota Metro's centre."""
    lat = CENTRE[0] + north_m / M_PER_DEG
    lon = CENTRE[1] + east_m / (M_PER_DEG * math.cos(math.radians(CENTRE[0])))
    return lat, lon


def tps(
    id: int,
    category: str = "kurang_rawan",
    *,
    kelurahan: str = "Metro",
    kecamatan: str = "Metro Pusat",
    east_m: float = 0.0,
    north_m: float = 0.0,
) -> PlanTps:
    lat, lon = at(east_m, north_m)
    return PlanTps(id, kelurahan, kecamatan, lat, lon, category)


def polsek(id: int, kecamatan: str = "Metro Pusat", rank: int = 8) -> PlanOfficer:
    return PlanOfficer(id, "polsek", kecamatan, f"Polsek {kecamatan}", rank)


def polres(id: int, unit: str = "Sat Samapta", rank: int = 8) -> PlanOfficer:
    return PlanOfficer(id, "polres", None, unit, rank)


def bko(id: int, rank: int = 8) -> PlanOfficer:
    return PlanOfficer(id, "bko", None, "BKO Sat Brimob Polda Lampung", rank)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """An independent great-circle distance to check the planner's projection against."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def tps_clusters(result):
    return [c for c in result.clusters if c.kind == "tps"]


def test_three_sangat_rawan_tps_need_six_officers_and_get_them():
    data = PlanInput(
        tps=[tps(i, "sangat_rawan", east_m=100 * i) for i in (1, 2, 3)],
        officers=[polsek(i) for i in range(1, 7)],
        reserve_share=0,
    )
    result = plan(data)

    clusters = tps_clusters(result)
    assert [c.tps_ids for c in clusters] == [[1], [2], [3]]
    assert all(c.required == 2 and len(c.officers) == 2 for c in clusters)
    cov = result.coverage
    assert (cov.officers_required, cov.officers_assigned, cov.shortfall) == (6, 6, 0)
    assert (cov.tps_covered, cov.tps_uncovered, cov.bko_needed) == (3, 0, 0)


def test_not_enough_officers_yields_the_exact_shortfall():
    data = PlanInput(
        tps=[tps(i, "sangat_rawan", east_m=100 * i) for i in (1, 2, 3)],
        officers=[polsek(i) for i in range(1, 5)],
        reserve_share=0,
    )
    cov = plan(data).coverage

    assert cov.shortfall == 2
    assert cov.tps_uncovered == 1
    assert cov.tps_covered == 2
    assert cov.bko_needed == 2
    assert cov.officers_assigned == 4
    assert cov.shortfall_by_category == {
        "sangat_rawan": 2,
        "khusus": 0,
        "rawan": 0,
        "kurang_rawan": 0,
        "post": 0,
    }


def test_a_cluster_one_officer_short_counts_all_its_tps_as_uncovered():
    data = PlanInput(
        tps=[tps(i, "rawan", east_m=50 * i) for i in (1, 2)],
        officers=[polsek(1)],
        reserve_share=0,
    )
    result = plan(data)

    assert [c.tps_ids for c in tps_clusters(result)] == [[1, 2]]
    assert result.coverage.tps_uncovered == 2
    assert result.coverage.shortfall_by_category["rawan"] == 1


def test_25_kurang_rawan_tps_in_one_kelurahan_make_2_clusters_of_12_and_13_needing_4_officers():
    rng = random.Random(7)  # noqa: S311 - reproducible layout, not security
    data = PlanInput(
        tps=[
            tps(i, east_m=rng.uniform(-500, 500), north_m=rng.uniform(-500, 500))
            for i in range(1, 26)
        ],
        officers=[],
    )
    result = plan(data)

    clusters = tps_clusters(result)
    assert sorted(len(c.tps_ids) for c in clusters) == [12, 13]
    assert result.coverage.officers_required == 4
    assert sorted(i for c in clusters for i in c.tps_ids) == list(range(1, 26))


def test_a_tps_cluster_key_and_name_are_stable_and_readable():
    data = PlanInput(tps=[tps(i, east_m=10 * i) for i in (40, 7, 13)], officers=[])
    (cluster,) = plan(data).clusters

    assert cluster.key == "tps-kurang_rawan-7"
    assert cluster.name == "Metro · kurang rawan · 3 TPS"
    assert cluster.tps_ids == [7, 13, 40]
    assert (cluster.kind, cluster.category, cluster.kelurahan, cluster.kecamatan) == (
        "tps",
        "kurang_rawan",
        "Metro",
        "Metro Pusat",
    )


def test_clusters_never_mix_kelurahan_or_categories_and_every_tps_is_in_exactly_one():
    data = synthetic_input(2_600, 600, seed=11)
    result = plan(data)
    by_id = {t.id: t for t in data.tps}

    seen: list[int] = []
    for cluster in tps_clusters(result):
        members = [by_id[i] for i in cluster.tps_ids]
        assert {(t.kecamatan, t.kelurahan) for t in members} == {
            (cluster.kecamatan, cluster.kelurahan)
        }
        assert {t.category for t in members} == {cluster.category}
        assert len(members) <= data.pattern[cluster.category].max_tps
        assert cluster.tps_ids == sorted(cluster.tps_ids)
        seen.extend(cluster.tps_ids)
    assert sorted(seen) == sorted(by_id)
    assert len(seen) == len(set(seen))


def test_a_cluster_radius_stays_within_max_cluster_radius_m():
    # Ten kurang rawan TPS of one kelurahan strung along 9 km: one pattern group, but far too wide.
    data = PlanInput(tps=[tps(i, east_m=1_000 * i) for i in range(10)], officers=[])
    result = plan(data)

    clusters = tps_clusters(result)
    assert len(clusters) > 1
    for cluster in clusters:
        assert cluster.radius_m <= 1_500
        for tps_id in cluster.tps_ids:
            lat, lon = at(east_m=1_000 * tps_id)
            assert haversine_m(cluster.lat, cluster.lon, lat, lon) <= 1_500 * 1.001


def test_radius_is_checked_on_a_whole_synthetic_region():
    data = synthetic_input(8_000, 0, seed=3)
    result = plan(data)
    by_id = {t.id: t for t in data.tps}

    for cluster in tps_clusters(result):
        assert cluster.radius_m <= data.max_cluster_radius_m
        far = max(
            haversine_m(cluster.lat, cluster.lon, by_id[i].lat, by_id[i].lon)
            for i in cluster.tps_ids
        )
        assert far == pytest.approx(cluster.radius_m, rel=0.005, abs=0.01)


def test_a_far_off_tps_gets_its_own_cluster_instead_of_halving_the_group():
    close = [tps(i, east_m=40 * i) for i in range(1, 13)]
    far = tps(13, east_m=5_000, north_m=3_000)
    result = plan(PlanInput(tps=[*close, far], officers=[]))

    assert sorted(c.tps_ids for c in tps_clusters(result)) == [list(range(1, 13)), [13]]


def test_the_area_polsek_is_preferred_then_other_polres_units_then_other_polsek_then_bko():
    data = PlanInput(
        tps=[tps(1, "sangat_rawan")],
        officers=[bko(1), polsek(2, "Metro Barat"), polres(3), polsek(4, "Metro Pusat")],
        pattern={"sangat_rawan": PatternRule(officers=4, max_tps=1)},
        reserve_share=0,
    )
    (cluster,) = plan(data).clusters

    assert [a.officer_id for a in cluster.officers] == [4, 3, 2, 1]
    assert [a.reason for a in cluster.officers] == [
        "Polsek Metro Pusat: wilayah sendiri; 4 personel per 1 TPS sangat rawan",
        "Sat Samapta: personel Polres; 4 personel per 1 TPS sangat rawan",
        "Polsek Metro Barat: bantuan dari luar wilayah; 4 personel per 1 TPS sangat rawan",
        "BKO Sat Brimob Polda Lampung: tenaga BKO; 4 personel per 1 TPS sangat rawan",
    ]
    assert not any(a.pinned for a in cluster.officers)


def test_within_a_tier_lower_ranks_come_first_then_lower_ids():
    data = PlanInput(
        tps=[tps(1, "sangat_rawan")],
        officers=[polres(10, rank=12), polres(11, rank=3), polres(9, rank=12), polres(12, rank=3)],
        pattern={"sangat_rawan": PatternRule(officers=3, max_tps=1)},
        reserve_share=0,
    )
    (cluster,) = plan(data).clusters

    assert [a.officer_id for a in cluster.officers] == [11, 12, 9]


def test_higher_priority_categories_are_staffed_first():
    data = PlanInput(
        tps=[
            tps(1, "kurang_rawan"),
            tps(2, "rawan", kelurahan="Yosomulyo"),
            tps(3, "khusus", kelurahan="Imopuro"),
            tps(4, "sangat_rawan", kelurahan="Yosomulyo"),
        ],
        officers=[polres(i) for i in range(1, 5)],
        reserve_share=0,
    )
    result = plan(data)

    assert [(c.category, len(c.officers)) for c in result.clusters] == [
        ("sangat_rawan", 2),
        ("khusus", 2),
        ("rawan", 0),
        ("kurang_rawan", 0),
    ]


def test_the_reserve_share_is_kept_back_and_taken_from_bko_first():
    officers = [
        *(polsek(i) for i in range(1, 5)),
        polres(5, rank=8),
        polres(6, rank=12),
        polres(7, rank=10),
        bko(8, rank=2),
        bko(9, rank=14),
        bko(10, rank=5),
    ]
    data = PlanInput(tps=[tps(1, "sangat_rawan")], officers=officers, reserve_share=0.5)
    result = plan(data)

    # 5 of 10: all three BKO, then the two highest-ranked Polres officers.
    assert result.reserve_ids == [6, 7, 8, 9, 10]
    assert result.coverage.reserve == 5
    assigned = {a.officer_id for c in result.clusters for a in c.officers}
    assert assigned.isdisjoint(result.reserve_ids)
    assert result.unassigned_ids == sorted({1, 2, 3, 4, 5} - assigned)


def test_the_reserve_is_rounded_down():
    def reserve(n_officers: int, share: float) -> int:
        data = PlanInput(tps=[], officers=[bko(i) for i in range(n_officers)], reserve_share=share)
        return plan(data).coverage.reserve

    assert reserve(9, 0.1) == 0
    assert reserve(19, 0.1) == 1
    assert reserve(100, 0.29) == 29  # not 28, despite 0.29 * 100 == 28.999999999999996
    assert reserve(825, 0.1) == 82


def test_the_reserve_takes_polsek_officers_only_when_nothing_else_is_left():
    data = PlanInput(
        tps=[], officers=[polsek(1), polsek(2, rank=9), polres(3), bko(4)], reserve_share=0.75
    )

    assert plan(data).reserve_ids == [2, 3, 4]


def test_pinned_officers_are_not_counted_in_the_reserve_base():
    officers = [bko(i) for i in range(1, 11)]
    data = PlanInput(
        tps=[tps(1, "sangat_rawan")],
        officers=officers,
        reserve_share=0.5,
        pins={1: "tps-sangat_rawan-1"},
    )
    result = plan(data)

    assert result.coverage.reserve == 4  # half of the 9 unpinned officers, rounded down
    assert 1 not in result.reserve_ids


def test_fixed_posts_are_staffed_before_tps():
    data = PlanInput(
        tps=[tps(1, "sangat_rawan")],
        officers=[polsek(i) for i in range(1, 5)],
        posts=[
            PlanPost("post-gudang", "Gudang logistik", None, *at(200), required=1, priority=1),
            PlanPost("post-kpu", "Kantor KPU", "Metro Pusat", *at(), required=2, priority=5),
        ],
        reserve_share=0,
    )
    result = plan(data)

    assert [c.key for c in result.clusters] == ["post-kpu", "post-gudang", "tps-sangat_rawan-1"]
    assert [len(c.officers) for c in result.clusters] == [2, 1, 1]
    kpu = result.clusters[0]
    assert kpu.kind == "post" and kpu.category is None and kpu.tps_ids == []
    assert kpu.officers[0].reason == (
        "Polsek Metro Pusat: wilayah sendiri; pos Kantor KPU membutuhkan 2 personel"
    )
    assert result.coverage.shortfall_by_category["sangat_rawan"] == 1
    assert result.coverage.shortfall_by_category["post"] == 0


def test_pins_are_kept_and_count_toward_the_requirement():
    data = PlanInput(
        tps=[tps(1, "sangat_rawan"), tps(2, "sangat_rawan", east_m=300)],
        officers=[polsek(1), polsek(2), polsek(3), bko(9)],
        pins={9: "tps-sangat_rawan-2"},
        reserve_share=0,
    )
    result = plan(data)

    first, second = result.clusters
    assert [a.officer_id for a in first.officers] == [1, 2]
    assert [(a.officer_id, a.pinned, a.reason) for a in second.officers] == [
        (9, True, PIN_REASON),
        (3, False, "Polsek Metro Pusat: wilayah sendiri; 2 personel per 1 TPS sangat rawan"),
    ]
    assert result.coverage.shortfall == 0
    assert result.coverage.assigned_by_tier == {"polsek": 3, "polres": 0, "bko": 1}


def test_a_pin_is_kept_even_when_it_overfills_its_target():
    data = PlanInput(
        tps=[tps(1, "sangat_rawan"), tps(2, "sangat_rawan", east_m=300)],
        officers=[polres(i) for i in range(1, 4)],
        pins={1: "tps-sangat_rawan-2", 2: "tps-sangat_rawan-2", 3: "tps-sangat_rawan-2"},
    )
    result = plan(data)

    first, second = result.clusters
    assert len(second.officers) == 3 and all(a.pinned for a in second.officers)
    assert first.officers == []
    cov = result.coverage
    # The surplus at one TPS does not cover the other.
    assert (cov.officers_required, cov.officers_assigned, cov.shortfall) == (4, 3, 2)
    assert cov.tps_uncovered == 1


def test_a_pin_to_an_unknown_key_or_officer_is_dropped_and_reported():
    data = PlanInput(
        tps=[tps(1, "sangat_rawan")],
        officers=[polsek(1), polsek(2)],
        pins={2: "tps-sangat_rawan-999", 77: "tps-sangat_rawan-1"},
        reserve_share=0,
    )
    result = plan(data)

    assert result.coverage.pins_dropped == [2, 77]
    (cluster,) = result.clusters
    # Officer 2's pin was dropped, so he went back to the pool and was assigned normally.
    assert [(a.officer_id, a.pinned) for a in cluster.officers] == [(1, False), (2, False)]


def test_the_same_input_gives_the_identical_result_twice():
    data = synthetic_input(2_600, 600, seed=5)
    data.pins = {1: "post-kpu", 2: "no-such-key"}

    assert plan(data).as_dict() == plan(data).as_dict()


def test_shuffling_the_input_lists_gives_the_identical_result():
    data = synthetic_input(2_600, 600, seed=5)
    keys = [c.key for c in plan(data).clusters]
    pins = {1: keys[-1], 2: keys[-1], 3: keys[5], 40: keys[0], 41: "no-such-key"}
    data.pins = pins
    expected = plan(data).as_dict()

    rng = random.Random(99)  # noqa: S311 - reproducible shuffles, not security
    for _ in range(3):
        tps_list, officers, posts = list(data.tps), list(data.officers), list(data.posts)
        rng.shuffle(tps_list)
        rng.shuffle(officers)
        rng.shuffle(posts)
        pin_items = list(pins.items())
        rng.shuffle(pin_items)
        shuffled = PlanInput(tps=tps_list, officers=officers, posts=posts, pins=dict(pin_items))
        assert plan(shuffled).as_dict() == expected


def test_the_pattern_is_configuration():
    # Polres Metro, Pilkada 2020: 2 police per 5 TPS.
    metro_2020 = {"kurang_rawan": PatternRule(officers=2, max_tps=5, min_tps=5)}
    group = [tps(i, east_m=30 * i) for i in range(1, 26)]

    polda_2024 = plan(PlanInput(tps=group, officers=[]))
    polres_2020 = plan(PlanInput(tps=group, officers=[], pattern=metro_2020))

    assert polda_2024.coverage.officers_required == 4
    assert polres_2020.coverage.officers_required == 10
    assert [len(c.tps_ids) for c in polres_2020.clusters] == [5, 5, 5, 5, 5]


def test_invalid_input_is_rejected_with_a_clear_message():
    with pytest.raises(ValueError, match="unknown category"):
        plan(PlanInput(tps=[tps(1, "aman")], officers=[]))
    with pytest.raises(ValueError, match="duplicate TPS id 1"):
        plan(PlanInput(tps=[tps(1), tps(1)], officers=[]))
    with pytest.raises(ValueError, match="duplicate officer id 3"):
        plan(PlanInput(tps=[], officers=[bko(3), bko(3)]))
    with pytest.raises(ValueError, match="reserve_share"):
        plan(PlanInput(tps=[], officers=[], reserve_share=1))
    with pytest.raises(ValueError, match="no rule"):
        plan(PlanInput(tps=[tps(1, "rawan")], officers=[], pattern={}))
    with pytest.raises(ValueError, match="min_tps"):
        PatternRule(officers=2, max_tps=5, min_tps=6)


def test_the_result_is_json_serialisable():
    data = synthetic_input(462, 825)
    result = plan(data).as_dict()

    decoded = json.loads(json.dumps(result))
    assert set(decoded) == {"clusters", "reserve_ids", "coverage", "unassigned_ids"}
    assert set(decoded["coverage"]["shortfall_by_category"]) == {*CATEGORIES, "post"}


def test_a_kota_metro_sized_plan_covers_every_tps_and_keeps_a_tenth_in_reserve():
    result = plan(synthetic_input(462, 825))

    assert result.coverage.shortfall == 0
    assert result.coverage.tps_covered == 462
    assert result.coverage.reserve == 82


@pytest.mark.timeout(120)
def test_a_synthetic_province_plan_finishes_in_under_30_seconds():
    data = synthetic_input(26_000, 6_000)
    start = time.perf_counter()
    result = plan(data)
    elapsed = time.perf_counter() - start

    assert elapsed < 30
    assert result.coverage.tps_total == 26_000
    assert result.coverage.officers_assigned + result.coverage.reserve == 6_000


def test_a_fixed_post_takes_polres_then_bko_and_leaves_the_polsek_to_its_tps():
    lat, lon = at()
    post = PlanPost("post-1", "Kantor KPU", "Metro Pusat", lat, lon, required=3, priority=10)
    data = PlanInput(
        tps=[tps(1, "sangat_rawan")],
        officers=[polsek(1), polsek(2), polres(10), bko(20), bko(21)],
        posts=[post],
        reserve_share=0.0,
    )
    result = plan(data)
    by_key = {c.key: sorted(a.officer_id for a in c.officers) for c in result.clusters}
    assert by_key["post-1"] == [10, 20, 21]
    assert by_key[next(k for k in by_key if k.startswith("tps-"))] == [1, 2]
