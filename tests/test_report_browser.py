"""The report form on a phone: a draft kept across a reload, a pin on the map."""

import pytest

from incidents.models import Incident
from operations.models import Kelurahan, Tps
from operations.reference import reference_load
from tests.conftest import PASSWORD, make_user

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


def test_a_draft_survives_a_reload(transactional_db, asgi_server, browser):
    # A phone that locks, a tab the browser kills: what he typed is there when he comes back.
    # Filing offline, the outbox and a lost answer: tests/test_field_browser.py.
    reference_load()
    Tps.objects.create(
        kelurahan=Kelurahan.objects.get(name="Metro"), number=7, lat=-5.1135, lon=105.3065, dpt=250
    )
    make_user("petugas", "lapangan")
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        login(page, asgi_server.url)
        page.goto(asgi_server.url + "/lapor/")
        fill(page, "Massa menolak hasil di TPS 007")
        page.wait_for_timeout(200)  # the draft is written as he types
        page.reload()
        page.wait_for_selector("#report-form")
        assert page.input_value("#id_description") == "Massa menolak hasil di TPS 007"
        assert page.input_value("#id_crowd_size") == "150"
        assert Incident.objects.count() == 0
    finally:
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
