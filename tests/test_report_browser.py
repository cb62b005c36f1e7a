"""A field officer files a report from a phone: offline, then back online; and a connection that
drops after the server took the report. Exactly one report each time."""

import pytest

from incidents.models import Incident
from operations.models import Kelurahan, Tps
from operations.reference import reference_load
from tests.conftest import PASSWORD, make_user
from tests.stack import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.stack]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


def login(page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "petugas")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-submit")


def fill(page, description: str) -> None:
    page.select_option("#id_type", "unjuk_rasa")
    page.select_option("#id_tps", label="Metro · TPS 007")
    page.fill("#id_description", description)
    page.fill("#id_crowd_size", "150")
    page.check("input[name=colour][value=kuning]")


def test_a_report_filed_offline_is_sent_once_when_the_network_returns(
    transactional_db, asgi_server, browser
):
    reference_load()
    Tps.objects.create(
        kelurahan=Kelurahan.objects.get(name="Metro"), number=7, lat=-5.1135, lon=105.3065, dpt=250
    )
    make_user("petugas", "lapangan")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    login(page, asgi_server.url)
    page.goto(asgi_server.url + "/lapor/")
    fill(page, "Massa menolak hasil di TPS 007")
    # The draft survives a reload (a phone that locks, a tab that is killed).
    page.reload()
    assert page.input_value("#id_description") == "Massa menolak hasil di TPS 007"
    context.set_offline(True)
    page.click("#report-submit")
    page.wait_for_selector(".send-status.pending")
    assert Incident.objects.count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-phone-offline.png"), full_page=True)
    context.set_offline(False)
    page.wait_for_selector(".send-status.sent", timeout=45_000)
    assert Incident.objects.count() == 1
    incident = Incident.objects.get()
    assert incident.description == "Massa menolak hasil di TPS 007"
    assert incident.colour == "kuning" and incident.crowd_size == 150

    # The server takes the next report but the answer never reaches the phone: the retry
    # carries the same Idempotency-Key and gets the first report back, not a second one.
    dropped = {"n": 0}

    def drop_first_answer(route):
        if route.request.method == "POST" and dropped["n"] == 0:
            dropped["n"] += 1
            route.fetch()  # the server handles it...
            route.abort("connectionreset")  # ...and the phone never hears back
        else:
            route.continue_()

    page.route("**/api/v1/incidents/", drop_first_answer)
    fill(page, "Provokasi di depan TPS 007")
    page.click("#report-submit")
    page.wait_for_selector(".send-status.sent", timeout=45_000)
    assert dropped["n"] == 1
    assert Incident.objects.count() == 2
    assert Incident.objects.filter(description="Provokasi di depan TPS 007").count() == 1
    page.screenshot(path=str(ARTIFACTS / "report-phone-sent.png"), full_page=True)
    context.close()


def test_a_pin_on_the_map_sets_the_reports_location(transactional_db, asgi_server, browser):
    reference_load()
    make_user("petugas", "lapangan")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, asgi_server.url)
    page.goto(asgi_server.url + "/lapor/")
    page.click("#show-map")
    page.wait_for_selector("#pick-map .leaflet-container, #pick-map.leaflet-container")
    page.locator("#pick-map").click(position={"x": 190, "y": 180})
    lat, lon = float(page.input_value("#id_lat")), float(page.input_value("#id_lon"))
    assert -5.2 < lat < -5.0 and 105.2 < lon < 105.4
    assert errors == []
    context.close()
