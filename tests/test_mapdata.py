"""The maps' base served by the app itself (issue #18): tiles from a local MBTiles file the test
makes, the kelurahan areas (approximate ones without a boundaries file); and in Chromium, the
dashboard drawing tiles and areas, and the small map on an incident's page."""

import io
import json
import math
import sqlite3

import pytest
from django.core.management import call_command
from PIL import Image

from operations.mapdata import blank_tile, boundaries, tile_read
from operations.reference import KOTA_METRO
from tests.stack import ARTIFACTS, stack_env, start_asgi_server

SHOTS = ARTIFACTS / "screenshots"
METRO = (-5.1135, 105.3065)


def tile_xy(lat: float, lon: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding a point (Web Mercator)."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _png(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour).save(out, "PNG")
    return out.getvalue()


def make_mbtiles(path, *, zooms=range(12, 16), around=METRO) -> dict:
    """A small MBTiles file: the tiles around Metro at a few zooms (TMS rows, as the spec)."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    db.execute(
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
        "tile_data BLOB)"
    )
    db.executemany("INSERT INTO metadata VALUES (?, ?)", [("name", "uji"), ("format", "png")])
    made = {}
    for z in zooms:
        cx, cy = tile_xy(*around, z)
        for x in range(cx - 3, cx + 4):
            for y in range(cy - 3, cy + 4):
                data = _png((200, 220 - (x % 2) * 20, 200))
                db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (2**z - 1) - y, data))
                made[(z, x, y)] = data
    db.commit()
    db.close()
    return made


@pytest.fixture
def tiles(tmp_path, settings):
    path = tmp_path / "metro.mbtiles"
    made = make_mbtiles(path)
    settings.MAP_TILES_FILE = str(path)
    return made


def test_a_tile_comes_from_the_file_with_its_type(tiles, client_for):
    (z, x, y), data = next(iter(tiles.items()))
    assert tile_read(z, x, y) == (data, "image/png")
    answer = client_for("penghubung_kpu").get(f"/peta/ubin/{z}/{x}/{y}.png")
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert answer.content == data and "max-age" in answer["Cache-Control"]
    outside = client_for("komando").get("/peta/ubin/3/0/0.png")  # not in the file: blank
    assert outside.status_code == 200 and outside.content == blank_tile()
    assert client_for("komando").get(f"/peta/ubin/{z}/{2**z}/0.png").status_code == 404
    assert client_for("lapangan").get(f"/peta/ubin/{z}/{x}/{y}.png").status_code == 403


def test_without_a_file_there_are_no_tiles_and_the_maps_say_so(db, settings, client_for):
    settings.MAP_TILES_FILE = ""
    settings.MAP_TILE_URL = ""
    assert client_for("komando").get("/peta/ubin/13/0/0.png").status_code == 404
    page = client_for("komando").get("/operasi/dasbor/").content.decode()
    config = json.loads(page.split('id="dash-config" type="application/json">')[1].split("<")[0])
    assert config["tiles"] is None and config["boundariesUrl"] == "/peta/wilayah.geojson"


def test_a_broken_file_is_no_tile_not_a_500(db, tmp_path, settings, client_for):
    bad = tmp_path / "rusak.mbtiles"
    bad.write_bytes(b"not a database")
    settings.MAP_TILES_FILE = str(bad)
    assert client_for("komando").get("/peta/ubin/13/0/0.png").status_code == 404


def _inside(lon: float, lat: float, ring: list) -> bool:
    hit = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def test_the_approximate_areas_hold_each_kelurahan_and_no_other(settings):
    settings.MAP_BOUNDARIES_FILE = ""
    data = boundaries()
    assert data["properties"]["approximate"] is True
    centroids = {k: (lat, lon) for _kec, (_c, kels) in KOTA_METRO.items() for k, lat, lon in kels}
    assert len(data["features"]) == len(centroids) == 22
    for feature in data["features"]:
        ring = feature["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and feature["properties"]["approximate"] is True
        for name, (lat, lon) in centroids.items():
            assert _inside(lon, lat, ring) == (name == feature["properties"]["kelurahan"]), name


def test_a_boundaries_file_replaces_the_approximate_areas(db, tmp_path, settings, client_for):
    path = tmp_path / "batas.geojson"
    square = [[105.30, -5.12], [105.31, -5.12], [105.31, -5.11], [105.30, -5.11], [105.30, -5.12]]
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"kelurahan": "Metro", "kecamatan": "Metro Pusat"},
                        "geometry": {"type": "Polygon", "coordinates": [square]},
                    }
                ],
            }
        )
    )
    settings.MAP_BOUNDARIES_FILE = str(path)
    body = client_for("penghubung_kpu").get("/peta/wilayah.geojson").json()
    assert body["properties"]["approximate"] is False and len(body["features"]) == 1


@pytest.mark.browser
@pytest.mark.stack
def test_the_dashboard_and_an_incident_page_draw_tiles_from_the_file_and_the_areas(
    transactional_db, browser, tmp_path
):
    from tests.test_dashboard_browser import login

    call_command("seed_demo", "--allow-production", verbosity=0)
    call_command("seed_situation", verbosity=0)
    path = tmp_path / "metro.mbtiles"
    make_mbtiles(path)
    server = start_asgi_server(stack_env(MAP_TILES_FILE=str(path)))
    try:
        page = login(browser, server.url, "komando", viewport=(1600, 1000))
        page.wait_for_selector('#dash-map[data-loaded="1"]')
        page.wait_for_selector("#dash-map img.leaflet-tile-loaded", timeout=10_000)
        page.wait_for_selector('#dash-map[data-areas="22"]', timeout=10_000)
        assert "perkiraan" in page.locator(".leaflet-control-layers").inner_text()
        # The whole city: kecamatan names only; closer in, the kelurahan names instead.
        assert page.locator(".kec-label:visible").count() == 5
        assert page.locator(".kel-label:visible").count() == 0
        page.click(".leaflet-control-zoom-in")
        page.wait_for_selector("#dash-map.labels-kel")
        assert page.locator(".kec-label:visible").count() == 0
        assert page.locator(".kel-label:visible").count() > 0
        page.click(".leaflet-control-zoom-out")
        page.wait_for_selector("#dash-map.labels-kec")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "dashboard-tiles.png"))
        from incidents.models import OPEN_INCIDENT_STATUSES, Incident

        # An open incident close up (alone, not in a cluster): its popup links to its page.
        shown = Incident.objects.filter(status__in=OPEN_INCIDENT_STATUSES).exclude(lat=None)
        target = shown.order_by("pk").first()
        point = page.evaluate(
            """([lat, lon]) => new Promise(done => {
                 const map = window.sispamDashboard.map();
                 map.once("moveend", () => setTimeout(() => {
                   const p = map.latLngToContainerPoint([lat, lon]);
                   done([p.x, p.y]);
                 }, 300));
                 map.setView([lat, lon], 18, {animate: false});
               })""",
            [target.lat, target.lon],
        )
        box = page.locator("#dash-map").bounding_box()
        page.mouse.click(box["x"] + point[0], box["y"] + point[1])
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5_000)
        links = popup.locator("a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
        assert any(h and h.startswith("/kejadian/") for h in links), popup.inner_text()
        incident = Incident.objects.exclude(lat=None).order_by("pk").first()
        page.goto(f"{server.url}/kejadian/{incident.pk}/")
        page.wait_for_selector('#point-map[data-loaded="1"]')
        page.wait_for_selector("#point-map img.leaflet-tile-loaded", timeout=10_000)
        page.screenshot(path=str(SHOTS / "incident-map.png"))
        assert page.errors == []
    finally:
        server.stop()
