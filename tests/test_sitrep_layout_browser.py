"""The situation report reads on a 1440 px screen and on A4 (issue #18): its tables never
overlap, the partner version does not overflow the screen, and printed it fits the page width."""

import pytest
from django.core.management import call_command

from tests.stack import ARTIFACTS
from tests.test_dashboard_browser import login

pytestmark = [pytest.mark.browser, pytest.mark.stack]

SHOTS = ARTIFACTS / "screenshots"

OVERLAPS = """() => {
  const boxes = [...document.querySelectorAll('.sitrep-tables table')]
    .map(e => e.getBoundingClientRect());
  const hits = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach((b, j) => {
    const across = a.left < b.right - 1 && b.left < a.right - 1;
    if (across && a.top < b.bottom - 1 && b.top < a.bottom - 1) {
      hits.push([i, i + 1 + j]);
    }
  }));
  return {hits: hits, count: boxes.length};
}"""
WIDEST = """() => Math.max(document.documentElement.scrollWidth,
  ...[...document.querySelectorAll('.sitrep table')].map(t => t.getBoundingClientRect().right))"""


@pytest.mark.parametrize("partner", [False, True], ids=["internal", "partner"])
def test_the_sitrep_fits_1440_px_and_a4(transactional_db, asgi_server, browser, partner):
    call_command("seed_demo", "--allow-production", verbosity=0)
    call_command("seed_situation", verbosity=0)
    page = login(browser, asgi_server.url, "komando", viewport=(1440, 900))
    page.goto(asgi_server.url + "/operasi/laporan-situasi/" + ("?mitra=on" if partner else ""))
    page.wait_for_selector(".sitrep-tables")
    version = page.locator(".sitrep").first.inner_text()
    assert ("mitra" in version) == partner and ("RAHASIA" in version) != partner
    layout = page.evaluate(OVERLAPS)
    assert layout["count"] >= 3 and layout["hits"] == []
    assert page.evaluate(WIDEST) <= 1440
    name = "sitrep-partner" if partner else "sitrep-internal"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-1440.png"), full_page=True)
    # A4 portrait at 96 dpi, 15 mm margins: 180 mm of text width, about 680 px.
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 680, "height": 1000})
    assert page.evaluate(OVERLAPS)["hits"] == []
    assert page.evaluate(WIDEST) <= 680
    page.pdf(path=str(ARTIFACTS / f"{name}.pdf"), format="A4")
    assert page.errors == []
