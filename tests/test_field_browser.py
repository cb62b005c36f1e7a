"""The field officer's phone without signal, in Chromium: the app opens offline after one visit,
what he files waits in the outbox, and everything arrives exactly once when the network (or the
server) is back. Screenshots at phone size go to test-artifacts/ (docs/field.md shows them)."""

import datetime as dt
import io
import time

import pytest
from django.utils import timezone
from PIL import Image

from incidents.models import Incident, IncidentPhoto, TpsReturn
from operations.models import Assignment
from operations.reference import reference_load
from tests import factories
from tests.conftest import PASSWORD, make_user
from tests.stack import ARTIFACTS, stack_env, start_asgi_server

pytestmark = [pytest.mark.browser, pytest.mark.stack]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


def _photo(path) -> str:
    # A photo as a phone camera makes it (larger than the app sends: it is resized to 1600 px).
    image = Image.new("RGB", (3000, 2000), (90, 120, 160))
    for x in range(0, 3000, 50):
        for y in range(0, 2000, 500):
            image.putpixel((x, y), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    path.write_bytes(out.getvalue())
    return str(path)


def _officer_on_duty():
    reference_load()
    user = make_user("petugas", "lapangan")
    tps = factories.TpsFactory()
    post = factories.PostFactory(kind="tps", name="Pos TPS Uji")
    post.tps.add(tps)
    officer = factories.OfficerFactory(user=user)
    now = timezone.now()
    factories.AssignmentFactory(
        officer=officer,
        post=post,
        status=Assignment.Status.ACTIVE,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=8),
    )
    return user, tps


def _login(page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "petugas")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-submit")


def _ready(page, base: str) -> None:
    """Visit the app once online and wait until its service worker controls the page."""
    page.goto(base + "/lapor/")
    deadline = time.monotonic() + 20
    while not page.evaluate(
        "() => !!(navigator.serviceWorker && navigator.serviceWorker.controller)"
    ):
        assert time.monotonic() < deadline, "the service worker never took control"
        page.wait_for_timeout(200)


def _file_report(page, text: str, photo: str | None = None) -> None:
    page.select_option("#id_type", "unjuk_rasa")
    page.fill("#id_description", text)
    page.fill("#id_crowd_size", "120")
    page.check("input[name=colour][value=kuning]")
    if photo:
        page.set_input_files("#id_photos", photo)
    before = page.locator("#outbox li").count()
    page.click("#report-submit")
    # Wait for this report's own line (one more than before), not any earlier report's: the
    # second report's save, cut short by the next navigation, was the test's one flake in CI.
    page.wait_for_function(
        f"() => document.querySelectorAll('#outbox li').length > {before}", timeout=15_000
    )
    page.wait_for_selector("#outbox li:has-text('Unjuk rasa')")


def _states(page) -> list[str]:
    return page.eval_on_selector_all("#outbox li", "els => els.map(e => e.className)")


def _wait_sent(page, count: int, timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = _states(page)
        if len(states) >= count and all("state-sent" in s or "state-refused" in s for s in states):
            return
        page.wait_for_timeout(500)
    pytest.fail(f"outbox still waiting: {_states(page)}")


def test_offline_the_app_opens_and_keeps_everything_until_the_network_returns(
    transactional_db, asgi_server, browser, tmp_path
):
    _user, tps = _officer_on_duty()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _login(page, asgi_server.url)
    _ready(page, asgi_server.url)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "field-report.png"), full_page=True)

    context.set_offline(True)
    page.reload()  # no network: the service worker opens the page from its cache
    page.wait_for_selector("#report-form")
    # His TPS is first and chosen.
    assert page.eval_on_selector("#id_tps", "s => s.selectedOptions[0].dataset.assigned") == ""
    _file_report(page, "Massa berkumpul menolak hasil", photo=_photo(tmp_path / "a.jpg"))
    _file_report(page, "Provokator membagikan selebaran")
    page.goto(asgi_server.url + "/lapor/tps/")
    page.wait_for_selector("#tps-return-form")
    page.check("input[name=status][value=dibuka]")
    page.click("#tps-return-submit")
    page.wait_for_selector("#outbox li.state-waiting >> nth=2")
    assert len(_states(page)) == 3
    assert all("state-waiting" in s for s in _states(page))
    assert Incident.objects.count() == 0 and TpsReturn.objects.count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "field-outbox-offline.png"), full_page=True)

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    _wait_sent(page, 3)
    assert Incident.objects.count() == 2
    assert TpsReturn.objects.filter(tps=tps, status="dibuka").count() == 1
    with_photo = Incident.objects.get(description="Massa berkumpul menolak hasil")
    photo = IncidentPhoto.objects.get(incident=with_photo)
    with Image.open(photo.original) as image:
        assert max(image.size) <= 1600 and image.format == "JPEG"  # resized on the phone
    page.screenshot(path=str(ARTIFACTS / "field-outbox-sent.png"), full_page=True)
    page.goto(asgi_server.url + "/lapangan/")
    page.wait_for_selector("#my-status button")  # the duty from /api/v1/me/duty/
    page.screenshot(path=str(ARTIFACTS / "field-duty.png"), full_page=True)

    # A refused item shows the server's reason and stays until he removes it.
    page.goto(asgi_server.url + "/lapor/tps/")
    page.check("input[name=status][value=pemungutan]")
    page.click("#tps-return-submit")
    page.wait_for_timeout(300)
    page.check("input[name=status][value=dibuka]")  # backwards: refused by the server
    page.click("#tps-return-submit")
    page.wait_for_selector("#outbox li.state-refused .outbox-reason")
    reason = page.inner_text("#outbox li.state-refused .outbox-reason")
    assert "mundur" in reason
    page.screenshot(path=str(ARTIFACTS / "field-outbox-refused.png"), full_page=True)
    context.close()


def test_a_stopped_server_and_a_lost_answer_never_lose_or_double_a_report(
    transactional_db, browser, django_db_blocker
):
    _officer_on_duty()
    with django_db_blocker.unblock():
        env = stack_env()
    server = start_asgi_server(env)
    port = server.url.rsplit(":", 1)[1]
    try:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        _login(page, server.url)
        _ready(page, server.url)
        server.stop()  # the server is down (the phone has signal)
        page.reload()
        page.wait_for_selector("#report-form")
        _file_report(page, "Server mati saat laporan dikirim")
        page.wait_for_timeout(1500)
        assert "state-waiting" in _states(page)[0]
        server = start_asgi_server(env, port=int(port))
        page.evaluate("window.dispatchEvent(new Event('online'))")
        _wait_sent(page, 1)
        assert Incident.objects.filter(description="Server mati saat laporan dikirim").count() == 1

        # The server stores the report but the answer never reaches the phone: the retry has
        # the same Idempotency-Key and gets the first report back.
        dropped = {"n": 0}

        def drop_first_answer(route):
            if route.request.method == "POST" and dropped["n"] == 0:
                dropped["n"] += 1
                route.fetch()
                route.abort("connectionreset")
            else:
                route.continue_()

        context.route("**/api/v1/incidents/", drop_first_answer)
        _file_report(page, "Jawaban hilang di jalan")
        page.evaluate("window.dispatchEvent(new Event('online'))")
        _wait_sent(page, 2, timeout=60)
        assert dropped["n"] == 1
        assert Incident.objects.filter(description="Jawaban hilang di jalan").count() == 1
        context.close()
    finally:
        server.stop()
