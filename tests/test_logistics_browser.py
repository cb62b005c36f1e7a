"""The escort commander records a handover on his phone (through the field app's outbox) and
the command post's dashboard shows it on the convoy board without a reload (issue #19)."""

import datetime as dt
import time

import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from logistics.models import CustodyEvent, Leg, LegStatus, Site
from personnel.models import Officer
from tests.stack import ARTIFACTS
from tests.test_dashboard_browser import DEMO_PASSWORD, login, wait_connected

pytestmark = [pytest.mark.browser, pytest.mark.stack]

SHOTS = ARTIFACTS / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _phone(browser, base: str):
    context = browser.new_context(locale="id-ID", **PHONE)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "lapangan")
    page.fill("#id_password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("#login-submit")
    return page


def test_the_escort_records_a_handover_and_the_board_shows_it_live(
    transactional_db, asgi_server, celery_worker, browser, tmp_path
):
    call_command("seed_demo", "--allow-production", verbosity=0)
    officer = Officer.objects.get(user__username="lapangan")
    now = timezone.now()
    leg = Leg.objects.create(
        code="uji-kawal-tps",
        stage="pps_tps",
        origin=Site.objects.get(code="pps-purwoasri"),
        destination=Site.objects.get(code="tps-purwoasri-001"),
        planned_departure=now + dt.timedelta(minutes=10),
        planned_arrival=now + dt.timedelta(hours=1),
        vehicle="mobil PPS",
        commander=officer,
        manifest={"kotak_suara": 5, "ss_ppwp": 220},
        seals=["UJI-1", "UJI-2"],
    )
    leg.escorts.add(officer)

    wall = login(browser, asgi_server.url, "komando")
    wall.goto(asgi_server.url + "/operasi/dasbor/")
    wait_connected(wall)
    assert wall.locator('#convoy [data-leg="uji-kawal-tps"]').count() == 1  # loading column

    phone = _phone(browser, asgi_server.url)
    phone.goto(asgi_server.url + "/lapor/kawal/")
    card = phone.locator(f"#leg-{leg.pk}")
    card.locator("button[value=berangkat]").click()
    phone.wait_for_selector("#outbox li.state-sent", timeout=20_000)
    phone.reload()
    card = phone.locator(f"#leg-{leg.pk}")
    assert "dalam perjalanan" in card.locator(".leg-status").inner_text()
    form = card.locator("form.handover")
    form.locator("input[name=receiver_name]").fill("Ketua KPPS 001")
    form.locator("select[name=receiver_role]").select_option("kpps")
    form.locator("input[data-item=kotak_suara]").fill("5")
    form.locator("input[data-item=ss_ppwp]").fill("220")
    form.locator("textarea[name=seals]").fill("uji-1 UJI-2")
    receipt = tmp_path / "tanda-terima.jpg"
    Image.new("RGB", (1200, 900), (220, 220, 200)).save(receipt, format="JPEG")
    form.locator("input[name=photo]").set_input_files(str(receipt))
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOTS / "logistics-escort-phone.png"), full_page=True)
    form.locator("button[type=submit]").click()
    phone.wait_for_function(
        "() => document.querySelectorAll('#outbox li.state-sent').length >= 2", timeout=20_000
    )
    handed = CustodyEvent.objects.get(leg=leg, kind="serah_terima")
    assert handed.differences == [] and handed.receiver_name == "Ketua KPPS 001"
    deadline = time.monotonic() + 20  # the photo follows its step from the outbox
    while not handed.photos.exists() and time.monotonic() < deadline:
        time.sleep(0.3)
    assert handed.photos.count() == 1
    assert Leg.objects.get(pk=leg.pk).status == LegStatus.DISERAHKAN

    # The wall sees it in the handed-over column, pushed: no reload of the page.
    wall.wait_for_selector(
        '#convoy [data-column="diserahkan"] [data-leg="uji-kawal-tps"]', timeout=20_000
    )
    assert wall.evaluate("() => performance.getEntriesByType('navigation').length") == 1
    wall.screenshot(path=str(SHOTS / "logistics-dashboard.png"), full_page=True)
    board = login(browser, asgi_server.url, "komando")
    board.goto(asgi_server.url + "/logistik/")
    board.screenshot(path=str(SHOTS / "logistics-board.png"), full_page=True)
    assert not phone.errors and not wall.errors
