"""A duty officer's polling day in Chromium on the real stack (issue #18): the incoming queue
fills live and counts down, an overdue report rings the alarm the officer switched on and
raises its alert through the chain; a public tip is promoted from the triage page."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token

from core.changes import data_changed_mark
from incidents.models import Alert, Incident, Tip
from incidents.services import incident_escalate_overdue, tip_create
from personnel.models import BkoRequest
from tests.stack import ARTIFACTS
from tests.test_dashboard_browser import login, post_merah_report, wait_connected

pytestmark = [pytest.mark.browser, pytest.mark.stack]

SHOTS = ARTIFACTS / "screenshots"


def test_the_queue_counts_down_and_a_late_report_rings_and_raises_its_alert(
    transactional_db, asgi_server, celery_worker, browser
):
    call_command("seed_demo", "--allow-production", verbosity=0)
    token = Token.objects.create(user=get_user_model().objects.get(username="lapangan")).key
    page = login(browser, asgi_server.url, "komando", viewport=(1920, 1080))
    wait_connected(page)
    assert page.locator("#alarm-toggle").get_attribute("aria-pressed") == "false"
    page.click("#alarm-toggle")
    assert page.locator("#alarm-toggle").get_attribute("aria-pressed") == "true"
    assert "nyala" in page.locator("#alarm-toggle").inner_text()

    pk = post_merah_report(asgi_server.url, token)
    row = page.locator(f'#incoming-list li.in-row[data-kind="incident"][data-id="{pk}"]')
    row.wait_for(timeout=5_000)  # pushed: no reload
    assert "verifikasi dalam" in row.inner_text()
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    # The merah alert of the same report rang once the officer had switched the alarm on.
    page.wait_for_function("Number(document.body.dataset.alarms || 0) >= 1", timeout=5_000)

    # Its verification time runs out: the row turns late and rings.
    Incident.objects.filter(pk=pk).update(verify_due_at=timezone.now() + dt.timedelta(seconds=2))
    data_changed_mark()  # what a service does after a write: the shared answers are rebuilt
    page.evaluate("window.sispamDashboard.refreshIncoming()")
    page.wait_for_selector(f'#incoming-list li.in-row.late[data-id="{pk}"]', timeout=6_000)
    page.wait_for_function("document.body.dataset.lastAlarm === 'late'", timeout=3_000)
    assert "terlambat" in row.inner_text()

    # The sweep (beat, every minute) flags it: an alert in the feed and "terlambat 1" counted.
    assert incident_escalate_overdue() == 1
    overdue = Alert.objects.get(kind="incident_overdue")
    page.locator(f'#alert-feed li.feed-item[data-id="{overdue.pk}"]').wait_for(timeout=5_000)
    late_count = "document.querySelector('[data-k=incidents-overdue]').textContent"
    page.wait_for_function(f"() => /terlambat 1/.test({late_count})", timeout=10_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard-incoming.png"))

    # Wall mode on the 1920x1080 screen: map, counters, alerts and queue on one screen.
    page.click("#wall-toggle")
    page.wait_for_function("document.body.classList.contains('wall')")
    page.wait_for_timeout(300)
    height = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=str(SHOTS / "dashboard-wall-fit.png"))
    assert height <= 1080, f"wall mode is {height} px tall"
    for part in ("#dash-map", "#alert-feed", "#incoming-list", "[data-k=incidents-open]"):
        box = page.locator(part).bounding_box()
        assert box and box["y"] + min(box["height"], 40) <= 1080, part
    page.screenshot(path=str(SHOTS / "dashboard-wall-fit.png"))
    assert page.errors == []


def test_intel_promotes_a_tip_from_the_triage_page(transactional_db, asgi_server, browser):
    call_command("seed_demo", "--allow-production", verbosity=0)
    tip = tip_create(
        data={"text": "Ada orang membagikan amplop berisi uang di dekat TPS 04 Yosodadi malam ini."}
    )
    page = login(browser, asgi_server.url, "intel")
    page.goto(asgi_server.url + "/intel/informasi/")
    card = page.locator(f"#tip-{tip.pk}")
    assert "amplop" in card.inner_text()
    card.locator("summary").click()
    form = card.locator('form[data-op="incident"]')
    form.locator('select[name="type"]').select_option("politik_uang")
    form.locator('select[name="colour"]').select_option("kuning")
    form.locator('select[name="kelurahan"]').select_option("Yosodadi")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "tip-triage.png"), full_page=True)
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()
    assert "menjadi kejadian" in page.locator(".messages").inner_text()
    tip.refresh_from_db()
    assert tip.status == Tip.Status.DIANGKAT
    incident = tip.promoted_incident
    assert (incident.type, incident.colour, incident.kelurahan.name) == (
        "politik_uang",
        "kuning",
        "Yosodadi",
    )
    assert page.errors == []


def test_komando_asks_for_bko_and_records_polda_answer_in_pages(
    transactional_db, asgi_server, browser
):
    call_command("seed_demo", "--allow-production", verbosity=0)
    page = login(browser, asgi_server.url, "komando")
    with page.expect_navigation():
        page.click("nav.mainnav >> text=BKO")
    assert page.url.endswith("/personel/bko/")
    page.click("details.new-request summary")
    form = page.locator("#bko-request-form")
    form.locator('input[name="kind"]').fill("Dalmas Polres Lampung Timur")
    form.locator('input[name="count"]').fill("40")
    form.locator('input[name="location"]').fill("Gudang logistik KPU Kota Metro")
    form.locator('textarea[name="reason"]').fill("Pengawalan distribusi logistik ke PPK")
    form.locator('input[name="needed_until"]').fill("2026-12-31T23:00")
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()
    assert "diajukan ke Polda" in page.locator(".messages").inner_text()
    asked = BkoRequest.objects.get(kind="Dalmas Polres Lampung Timur")
    row = page.locator(f"#bko-request-{asked.pk}")
    row.locator('input[name="approved_count"]').fill("30")
    with page.expect_navigation():
        row.locator("form.bko-decide button").click()
    asked.refresh_from_db()
    assert (asked.status, asked.approved_count) == ("sebagian", 30)
    assert "disetujui sebagian" in page.locator(f"#bko-request-{asked.pk}").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "bko-page.png"), full_page=True)
    # An officer of the roster opens on his own page.
    page.goto(asgi_server.url + "/personel/")
    with page.expect_navigation():
        page.locator("table.grid tbody tr td a").first.click()
    assert "/personel/" in page.url and page.locator("#officer-history").count() == 1
    assert page.errors == []
