"""The wall screen of the command post, in Chromium, on the real stack (PostgreSQL, Redis, a
Celery worker, uvicorn): the map, the live feed, acknowledging from the feed, surviving a
dropped WebSocket; and the liaison's view. Screenshots go to test-artifacts/screenshots/."""

import json
import time
import urllib.request
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token

from core.models import AuditEvent
from incidents.models import Alert
from tests.stack import ARTIFACTS, stack_env, start_asgi_server

pytestmark = [pytest.mark.browser, pytest.mark.stack]

SHOTS = ARTIFACTS / "screenshots"
DEMO_PASSWORD = "sispam-demo-2024"
MERAH_TEXT = (
    "Massa ricuh di depan kantor KPU Kota Metro, ratusan orang membakar ban, melempari petugas "
    "dengan batu dan memaksa masuk. Dua petugas luka."
)


def login(browser, url: str, username: str, viewport=(1440, 900)):
    context = browser.new_context(
        locale="id-ID", viewport={"width": viewport[0], "height": viewport[1]}
    )
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state()
    return page


def post_merah_report(base: str, token: str, kelurahan: str = "Metro") -> int:
    body = json.dumps(
        {
            "type": "unjuk_rasa",
            "occurred_at": timezone.now().isoformat(),
            "kelurahan": kelurahan,
            "description": MERAH_TEXT,
            "colour": "merah",
            "crowd_size": 300,
            "casualties": 2,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (our own test server)
        base + "/api/v1/incidents/",
        data=body,
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        assert answer.status == 201
        return json.loads(answer.read())["id"]


def wait_connected(page) -> None:
    page.wait_for_selector('#ws-state[data-state="connected"]', timeout=10_000)


def test_komando_sees_the_city_and_a_merah_report_reaches_two_dashboards_live(
    transactional_db, asgi_server, celery_worker, browser
):
    call_command("seed_demo", "--allow-production", verbosity=0)
    token = Token.objects.create(user=get_user_model().objects.get(username="lapangan")).key
    first = login(browser, asgi_server.url, "komando")
    assert first.url.endswith("/operasi/dasbor/")
    first.wait_for_selector('#dash-map[data-loaded="1"]')
    assert first.locator("#dash-map").get_attribute("data-tps-count") == "462"
    assert first.locator("#dash-map").get_attribute("data-tps-drawn") == "462"
    assert "825" in first.locator("#dash-panel").inner_text()
    wait_connected(first)
    second = login(browser, asgi_server.url, "komando", viewport=(1920, 1080))
    wait_connected(second)

    started = time.monotonic()
    post_merah_report(asgi_server.url, token)
    item = first.locator("#alert-feed li.feed-item.level-merah").first
    item.wait_for(timeout=2_000)
    seen_after = time.monotonic() - started
    assert seen_after < 2.0
    assert "ricuh" in item.inner_text()  # the reasons, in words
    assert first.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload
    first.wait_for_selector('#dash-map[data-alert-count="1"]', timeout=2_000)  # its ring
    second.locator("#alert-feed li.feed-item.level-merah").first.wait_for(timeout=2_000)

    item.locator('button[data-act="acknowledge"]').click()
    acknowledged = '#alert-feed li.feed-item.level-merah[data-status="acknowledged"]'
    second.wait_for_selector(acknowledged, timeout=3_000)
    first.wait_for_selector(acknowledged, timeout=3_000)
    assert Alert.objects.get().acknowledged_by.username == "komando"
    # The counters follow by themselves (a small refresh after the push, no reload).
    first.wait_for_function(
        "() => document.querySelector('[data-k=alerts-open]').textContent.trim() === '1'",
        timeout=5_000,
    )

    SHOTS.mkdir(parents=True, exist_ok=True)
    first.screenshot(path=str(SHOTS / "dashboard-desktop.png"), full_page=True)
    second.click("#wall-toggle")
    second.wait_for_function("document.body.classList.contains('wall')")
    second.wait_for_timeout(300)
    second.screenshot(path=str(SHOTS / "dashboard-wall.png"))

    # Escalating asks why, closing asks what came of it; the closed card leaves both screens.
    item.locator('button[data-act="escalate"]').click()
    item.locator("form.feed-reason input").fill("massa bertambah, perlu Dalmas Lanjut")
    item.locator("form.feed-reason button[type=submit]").click()
    second.wait_for_selector('#alert-feed li.feed-item[data-status="escalated"]', timeout=3_000)
    item.locator('button[data-act="close"]').click()
    item.locator("form.feed-reason input").fill("massa bubar setelah negosiasi")
    first.screenshot(path=str(SHOTS / "dashboard-alert-close.png"))
    item.locator("form.feed-reason button[type=submit]").click()
    for page in (first, second):
        page.wait_for_selector(
            "#alert-feed li.feed-item.level-merah", state="detached", timeout=3_000
        )
    alert = Alert.objects.get()
    assert (alert.status, alert.outcome) == ("closed", "massa bubar setelah negosiasi")
    assert AuditEvent.objects.get(action="alert.escalate").note == (
        "massa bertambah, perlu Dalmas Lanjut"
    )
    assert first.errors == [] and second.errors == []


def test_the_feed_survives_the_server_dropping_the_websocket_and_shows_what_it_missed(
    transactional_db, celery_worker, browser, django_db_blocker
):
    from incidents.services import incident_create

    call_command("seed_demo", "--allow-production", verbosity=0)
    env = stack_env()
    server = start_asgi_server(env)
    port = int(server.url.rsplit(":", 1)[1])
    try:
        page = login(browser, server.url, "komando")
        wait_connected(page)
        server.kill()  # the server goes away with the socket open
        page.wait_for_selector('#ws-state[data-state="offline"]', timeout=10_000)

        reporter = get_user_model().objects.get(username="lapangan")
        from operations.models import Kelurahan

        for name in ("Yosodadi", "Hadimulyo Barat"):
            incident_create(
                by=reporter,
                data={
                    "type": "bentrok",
                    "colour": "merah",
                    "occurred_at": timezone.now(),
                    "kelurahan": Kelurahan.objects.get(name=name),
                    "description": MERAH_TEXT,
                    "crowd_size": 200,
                },
            )
        deadline = time.monotonic() + 20
        while Alert.objects.count() < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert Alert.objects.count() == 2  # raised by the worker while the page was cut off

        server = start_asgi_server(env, port=port)
        wait_connected(page)
        page.wait_for_selector("#alert-feed li.feed-item.missed", timeout=5_000)
        assert page.locator("#alert-feed li.feed-item.missed").count() == 2
        # The note comes after the open list is read again (the catch-up's second request).
        page.wait_for_selector("#feed-missed:not([hidden])", timeout=5_000)
        assert page.locator("#feed-missed").is_visible()
        assert "2" in page.locator("#feed-missed").inner_text()
    finally:
        server.stop()


def test_the_liaison_sees_statuses_and_election_incidents_on_a_map_and_can_print(
    transactional_db, asgi_server, browser
):
    call_command("seed_demo", "--allow-production", verbosity=0)
    call_command("seed_situation", verbosity=0)
    page = login(browser, asgi_server.url, "penghubung_kpu")
    assert page.url.endswith("/kpu/")
    page.wait_for_selector('#dash-map[data-loaded="1"]')
    assert page.locator("#dash-map").get_attribute("data-tps-count") == "462"
    text = page.locator("main").inner_text()
    # The demo's TPS are as far along as the clock allows (closed before 07:00 WIB).
    assert "Metro Pusat" in text
    assert any(s in text for s in ("belum dibuka", "pemungutan berjalan", "penghitungan"))
    assert page.locator("#alert-feed").count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "liaison-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.screenshot(path=str(SHOTS / "liaison-wall.png"))
    page.click("text=Ringkasan untuk dicetak")
    page.wait_for_url("**/kpu/ringkasan/**")
    assert "Ringkasan Pengamanan Pemilu Kota Metro" in page.locator("h1").inner_text()
    page.emulate_media(media="print")
    page.screenshot(path=str(SHOTS / "liaison-print.png"), full_page=True)
    assert page.errors == []


def test_an_alert_whose_push_was_lost_still_shows_on_a_connected_screen(
    transactional_db, browser, django_db_blocker
):
    """The socket stays open but the push never comes (the channel layer lost it): after
    DASHBOARD_QUIET_SECONDS of silence the page asks for alerts above the newest it knows."""
    call_command("seed_demo", "--allow-production", verbosity=0)
    server = start_asgi_server(stack_env(DASHBOARD_QUIET_SECONDS="2"))
    try:
        page = login(browser, server.url, "komando")
        wait_connected(page)
        lost = Alert.objects.create(  # written without a push: as if Redis lost it
            kind="report", level="merah", title="Ancaman di Metro (push hilang)", dedup_key="lost"
        )
        page.wait_for_selector(f'#alert-feed li.feed-item[data-id="{lost.pk}"]', timeout=20_000)
        assert page.locator("#ws-state").get_attribute("data-state") == "connected"
        assert not page.errors, page.errors
    finally:
        server.stop()
