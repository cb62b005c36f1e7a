"""The planner on the database: run, review, accept, re-plan keeping hand-made changes."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F
from django.utils import timezone

from operations.models import Assignment, DeploymentPlan, Kelurahan, Post, Tps
from operations.reference import reference_load
from operations.selectors import operation_window_default, plan_changes
from operations.services import assignment_create, plan_accept, plan_run
from personnel.models import Officer, Unit, UnitKind


def run_json(*args) -> dict:
    out = StringIO()
    call_command("plan_deployment", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_three_sangat_rawan_tps_need_six_officers_and_four_leave_a_shortfall_of_two(db):
    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    for n in range(1, 4):
        Tps.objects.create(
            kelurahan=kel,
            number=n,
            lat=-5.1135 + n / 1000,
            lon=105.3065,
            dpt=250,
            category="sangat_rawan",
        )
    polsek = Unit.objects.create(
        code="polsek-metro-pusat",
        name="Polsek Metro Pusat",
        kind=UnitKind.POLSEK,
        kecamatan=kel.kecamatan,
    )
    for i in range(4):
        Officer.objects.create(nrp=f"9001000{i}", name=f"P{i}", rank=7, unit=polsek)
    report = run_json("--reserve", "0")
    assert report["tps_total"] == 3
    assert report["officers_required"] == 6
    assert report["officers_assigned"] == 4
    assert report["shortfall"] == 2
    assert report["bko_needed"] == 2
    assert report["tps_uncovered"] == 1


@pytest.fixture
def demo(personas):
    call_command("seed_demo", "--allow-production", verbosity=0)


def test_the_demo_plan_covers_every_tps_and_accepting_it_books_no_one_twice(demo, personas):
    start, end = operation_window_default()
    plan = plan_run(by=personas["komando"], reserve_share=0.1, starts_at=start, ends_at=end)
    cov = plan.coverage
    assert cov["tps_total"] == 462 and cov["tps_uncovered"] == 0 and cov["shortfall"] == 0
    assert cov["reserve"] > 0
    plan_accept(plan=plan, by=personas["komando"])
    active = Assignment.objects.filter(status="active")
    assert active.count() == cov["officers_assigned"]
    assert not active.values("officer").annotate(n=Count("id")).filter(n__gt=1).exists()
    clusters = Post.objects.filter(kind="tps", is_active=True)
    assert sum(p.tps.count() for p in clusters) == 462
    # Polsek officers guard the TPS of their own kecamatan first.
    home = active.filter(officer__unit__kind="polsek", post__kind="tps")
    assert home.filter(officer__unit__kecamatan=F("post__kecamatan")).count() > 0


def test_replanning_keeps_manual_changes_unless_asked(demo, personas):
    start, end = operation_window_default()
    first = plan_run(by=None, reserve_share=0.1, starts_at=start, ends_at=end)
    plan_accept(plan=first, by=None)
    kpu = Post.objects.get(name="Kantor KPU Kota Metro")
    mover = Assignment.objects.filter(status="active", post__kind="tps").first()
    officer = mover.officer
    mover.status = "cancelled"
    mover.save(update_fields=["status"])
    manual = assignment_create(
        by=personas["komando"],
        officer=officer,
        post=kpu,
        starts_at=start,
        ends_at=end,
        reason="dipindah Kabag Ops",
    )
    second = plan_run(by=None, reserve_share=0.1, starts_at=start, ends_at=end)
    plan_accept(plan=second, by=None)
    manual.refresh_from_db()
    assert manual.status == "active"
    kept = [a for c in second.result["clusters"] for a in c["officers"] if a["pinned"]]
    assert [a["officer_id"] for a in kept] == [officer.pk]
    assert Assignment.objects.filter(officer=officer, status="active").count() == 1
    assert DeploymentPlan.objects.get(pk=first.pk).status == "superseded"

    third = plan_run(by=None, reserve_share=0.1, starts_at=start, ends_at=end, keep_manual=False)
    plan_accept(plan=third, by=None)
    manual.refresh_from_db()
    assert manual.status == "cancelled"


def test_the_plan_json_report_has_the_documented_keys(demo):
    report = run_json()
    for key in (
        "tps_total",
        "tps_uncovered",
        "officers_required",
        "officers_assigned",
        "shortfall",
        "bko_needed",
    ):
        assert isinstance(report[key], int)
    assert report["tps_total"] == 462


def test_the_api_runs_and_accepts_a_plan_for_komando_only(demo, api_for):
    api = api_for("komando")
    created = api.post("/api/v1/plans/", {"reserve_share": 0.2}, format="json")
    assert created.status_code == 201, created.json()
    plan_id = created.json()["id"]
    assert created.json()["coverage"]["tps_total"] == 462
    detail = api.get(f"/api/v1/plans/{plan_id}/").json()
    reasons = [a["reason"] for c in detail["result"]["clusters"] for a in c["officers"]]
    assert any("wilayah sendiri" in r for r in reasons)
    accepted = api.post(f"/api/v1/plans/{plan_id}/accept/")
    assert accepted.json()["status"] == "accepted"
    assert api.post(f"/api/v1/plans/{plan_id}/accept/").status_code == 400
    assert api_for("intel").post("/api/v1/plans/", {}, format="json").status_code == 403
    bad = api.post("/api/v1/plans/", {"reserve_share": 1.5}, format="json")
    assert bad.status_code == 400 and "reserve_share" in bad.json()
    window = timezone.now()
    backwards = api.post(
        "/api/v1/plans/",
        {"starts_at": window.isoformat(), "ends_at": (window - dt.timedelta(days=1)).isoformat()},
        format="json",
    )
    assert backwards.status_code == 400


def test_the_plan_page_says_what_applying_changes_and_applies_only_when_confirmed(
    demo, personas, client_for
):
    start, end = operation_window_default()
    first = plan_run(by=None, reserve_share=0.1, starts_at=start, ends_at=end)
    fresh = plan_changes(first)["counts"]
    assert fresh == {
        "add": first.coverage["officers_assigned"],
        "move": 0,
        "stay": 0,
        "remove": 0,
        "skip": 0,
    }
    plan_accept(plan=first, by=None)
    # A fixed post stood down, planned again: its officers go elsewhere or back to reserve.
    Post.objects.filter(name="Kantor KPU Kota Metro").update(is_active=False)
    second = plan_run(by=None, reserve_share=0.1, starts_at=start, ends_at=end)
    counts = plan_changes(second)["counts"]
    assert counts["remove"] + counts["move"] > 0 and counts["stay"] > 0
    assert counts["add"] + counts["move"] + counts["stay"] == second.coverage["officers_assigned"]
    before = Assignment.objects.filter(status="active").count()
    assert before - counts["remove"] + counts["add"] == second.coverage["officers_assigned"]

    client = client_for("komando")
    page = client.get(f"/operasi/perencanaan/{second.pk}/").content.decode()
    assert 'id="plan-changes"' in page and "dilepas dari penugasan" in page
    refused = client.post(f"/operasi/perencanaan/{second.pk}/terapkan/", follow=True)
    assert "centang konfirmasi" in refused.content.decode()
    assert DeploymentPlan.objects.get(pk=second.pk).status == "draft"
    client.post(f"/operasi/perencanaan/{second.pk}/terapkan/", {"confirm": "1"})
    assert DeploymentPlan.objects.get(pk=second.pk).status == "accepted"
    assert (
        Assignment.objects.filter(status="active").count() == (second.coverage["officers_assigned"])
    )


def test_a_plan_applied_over_the_demo_polling_day_never_overfills_a_post(demo, personas):
    """Issue #18: after applying a plan the Kantor KPU post had 60 officers against 30. The
    demo's situation plan (now +-12 h) and the planner's default window (then in 2024) did not
    overlap, so both sets of assignments stood; the calendar now lives today, and applying a
    plan replaces the planner's assignments in its window."""
    call_command("seed_situation", verbosity=0)
    now = timezone.now()
    start, end = operation_window_default()
    plan = plan_run(by=personas["komando"], reserve_share=0.1, starts_at=start, ends_at=end)
    plan_accept(plan=plan, by=personas["komando"])
    on_duty = (
        Assignment.objects.filter(status="active", starts_at__lte=now, ends_at__gte=now)
        .values("post")
        .annotate(n=Count("id"))
    )
    required = dict(Post.objects.values_list("pk", "required_strength"))
    over = {row["post"]: row["n"] for row in on_duty if row["n"] > required[row["post"]]}
    assert over == {}
    kpu = Post.objects.get(name="Kantor KPU Kota Metro")
    assert (
        Assignment.objects.filter(
            post=kpu, status="active", starts_at__lte=now, ends_at__gte=now
        ).count()
        == kpu.required_strength
    )


def test_running_a_plan_with_no_default_pattern_is_a_400_naming_the_pattern(db, api_for):
    """Found by the schema fuzz on a database without the migration's default pattern (a
    transactional test had flushed it): POST /api/v1/plans/ answered 500."""
    from operations.models import DeploymentPattern

    DeploymentPattern.objects.all().delete()
    response = api_for("komando").post("/api/v1/plans/", {}, format="json")
    assert response.status_code == 400, response.content
    assert "pattern" in response.json()
    assert not DeploymentPlan.objects.exists()
