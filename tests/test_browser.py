"""A person at the command post: Chromium logs in as komando and sees the landing page."""

import pytest
from django.core.management import call_command

from tests.stack import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.stack]


def test_komando_logs_in_and_sees_the_command_post_in_indonesian(
    transactional_db, asgi_server, browser
):
    call_command("seed_demo", "--allow-production", verbosity=0)
    context = browser.new_context(locale="en-US", viewport={"width": 1600, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(asgi_server.url + "/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "komando")
    page.fill("#id_password", "sispam-demo-2024")
    page.click("#login-submit")
    page.wait_for_url("**/operasi/dasbor/")
    assert page.locator("h1").inner_text() == "Pos Komando Pengamanan Pemilu"
    assert page.locator("html").get_attribute("lang") == "id"
    page.wait_for_selector('#dash-map[data-loaded="1"]')
    body = page.locator("main").inner_text()
    assert "825" in body and "462" in body  # officers and TPS from the demo
    assert "Metro Pusat" in body
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "landing-komando.png"), full_page=True)
    assert errors == []  # no CSP violation, no failed asset
    context.close()


def test_a_wrong_password_shows_a_clear_message(transactional_db, asgi_server, browser):
    page = browser.new_page()
    page.goto(asgi_server.url + "/accounts/login/")
    page.fill("#id_username", "komando")
    page.fill("#id_password", "salah")
    with page.expect_navigation():
        page.click("#login-submit")
    assert "Nama pengguna atau kata sandi salah." in page.locator("main").inner_text()
    page.close()
