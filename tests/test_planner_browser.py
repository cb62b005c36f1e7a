"""A person at the command post runs the deployment planner from its page and accepts it."""

import pytest
from django.core.management import call_command

from operations.models import Assignment, DeploymentPlan
from tests.stack import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.stack]


def test_komando_runs_reviews_and_accepts_a_plan_in_the_browser(
    transactional_db, asgi_server, browser
):
    call_command("seed_demo", "--allow-production", verbosity=0)
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.goto(asgi_server.url + "/accounts/login/")
    page.fill("#id_username", "komando")
    page.fill("#id_password", "sispam-demo-2024")
    with page.expect_navigation():
        page.click("#login-submit")
    page.goto(asgi_server.url + "/operasi/perencanaan/")
    page.fill("#id_reserve_percent", "15")
    with page.expect_navigation():
        page.click("#plan-run")
    assert "/operasi/perencanaan/" in page.url
    coverage = page.locator("#coverage").inner_text()
    assert "462" in coverage
    assert page.locator("#shortfall").inner_text() == "0"
    assert "wilayah sendiri" in page.locator("main").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "planner-review.png"))
    changes = page.locator("#plan-changes").inner_text()
    assert "personel ditambahkan" in changes and "dipindah" in changes
    page.click("#plan-accept")  # not confirmed yet: the browser keeps the form
    assert DeploymentPlan.objects.get().status == "draft"
    page.check("#plan-confirm")
    with page.expect_navigation():
        page.click("#plan-accept")
    assert "Rencana diterapkan" in page.locator(".messages").inner_text()
    plan = DeploymentPlan.objects.get()
    assert plan.status == "accepted"
    assert Assignment.objects.filter(plan=plan).count() == plan.coverage["officers_assigned"]
    context.close()
