"""What the maps draw under the markers, from the app itself (air-gapped: no tile server
outside): base tiles read from a local MBTiles file, and the kecamatan and kelurahan areas.

Tiles (`MAP_TILES_FILE`): an MBTiles file (SQLite, the `tiles` table of the MBTiles 1.3 spec,
rows in TMS order) made once from OpenStreetMap for the city (docs/dashboard.md says how); read
only, one short connection per tile; a tile the file does not hold is blank (transparent), a
file that cannot be read gives no tiles (404). Areas (`MAP_BOUNDARIES_FILE`): a GeoJSON
FeatureCollection of kelurahan polygons with `kelurahan` and `kecamatan` properties, when the
post has the official ones; without it, approximate areas built here from the kelurahan
centroids (each kelurahan the part of the city nearer its centroid than any other: Voronoi cells
cut to the city's box), marked `approximate` so the map says so.
"""

import io
import json
import math
import sqlite3
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from PIL import Image

from operations.reference import KOTA_METRO

TILE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"RIFF": "image/webp"}
BOX_MARGIN_DEG = 0.012  # the city's box: the outermost centroids plus about 1.3 km


def tiles_url() -> str | None:
    """Where the maps take their base tiles: the app's own MBTiles file first, else the post's
    tile server, else none (a plain background under the kelurahan areas)."""
    if settings.MAP_TILES_FILE:
        return "/peta/ubin/{z}/{x}/{y}.png"
    return settings.MAP_TILE_URL or None


def point_map_config() -> dict:
    """The base of every map: tiles and where the areas are (static/js/sispam-map.js)."""
    return {"tiles": tiles_url(), "boundariesUrl": reverse("map-boundaries")}


@lru_cache(maxsize=1)
def blank_tile() -> bytes:
    """A transparent 256x256 PNG: what a tile the file does not hold looks like (the map shows
    its plain background there, never a broken image)."""
    out = io.BytesIO()
    Image.new("RGBA", (256, 256), (0, 0, 0, 0)).save(out, "PNG", optimize=True)
    return out.getvalue()


def tile_read(z: int, x: int, y: int) -> tuple[bytes, str] | None:
    """(bytes, content type) of tile z/x/y (XYZ numbering) from MAP_TILES_FILE; a blank tile
    for one the file does not hold; None without a file or for a tile that cannot exist."""
    path = settings.MAP_TILES_FILE
    if not path or not 0 <= z <= 24 or not (0 <= x < 2**z and 0 <= y < 2**z):
        return None
    try:
        db = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return None
    try:
        row = db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
            (z, x, (2**z - 1) - y),
        ).fetchone()
    except sqlite3.Error:
        return None
    finally:
        db.close()
    if row is None or not row[0]:
        return blank_tile(), "image/png"
    data = bytes(row[0])
    kind = next((t for magic, t in TILE_TYPES.items() if data.startswith(magic)), None)
    return (data, kind) if kind else (blank_tile(), "image/png")


def boundaries() -> dict:
    """The kelurahan areas as GeoJSON (the configured file, or the approximate ones)."""
    path = settings.MAP_BOUNDARIES_FILE
    if path:
        return _file_boundaries(path)
    return _approximate_boundaries()


@lru_cache(maxsize=4)
def _file_boundaries(path: str) -> dict:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    data.setdefault("properties", {})["approximate"] = False
    return data


def _clip(polygon: list[tuple[float, float]], a: tuple, b: tuple) -> list[tuple[float, float]]:
    """The part of a convex polygon nearer point a than point b (Sutherland-Hodgman on the
    bisector's half-plane), in projected coordinates."""
    mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
    nx, ny = b[0] - a[0], b[1] - a[1]

    def inside(p):
        return (p[0] - mx) * nx + (p[1] - my) * ny <= 0

    out = []
    for i, p in enumerate(polygon):
        q = polygon[(i + 1) % len(polygon)]
        if inside(p):
            out.append(p)
        if inside(p) != inside(q):
            dx, dy = q[0] - p[0], q[1] - p[1]
            t = ((mx - p[0]) * nx + (my - p[1]) * ny) / (dx * nx + dy * ny)
            out.append((p[0] + t * dx, p[1] + t * dy))
    return out


@lru_cache(maxsize=1)
def _approximate_boundaries() -> dict:
    points = [
        (kel, kec, lat, lon)
        for kec, ((_klat, _klon), kels) in KOTA_METRO.items()
        for kel, lat, lon in kels
    ]
    lat0 = sum(p[2] for p in points) / len(points)
    scale = math.cos(math.radians(lat0))  # a degree of longitude is shorter by this

    def project(lat, lon):
        return (lon * scale, lat)

    lats, lons = [p[2] for p in points], [p[3] for p in points]
    south, north = min(lats) - BOX_MARGIN_DEG, max(lats) + BOX_MARGIN_DEG
    west, east = min(lons) - BOX_MARGIN_DEG, max(lons) + BOX_MARGIN_DEG
    box = [project(south, west), project(south, east), project(north, east), project(north, west)]
    features = []
    for kel, kec, lat, lon in points:
        here = project(lat, lon)
        cell = box
        for _other, _okec, olat, olon in points:
            if (olat, olon) != (lat, lon):
                cell = _clip(cell, here, project(olat, olon))
        ring = [[round(x / scale, 6), round(y, 6)] for x, y in cell]
        features.append(
            {
                "type": "Feature",
                "properties": {"kelurahan": kel, "kecamatan": kec, "approximate": True},
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
            }
        )
    return {"type": "FeatureCollection", "properties": {"approximate": True}, "features": features}
