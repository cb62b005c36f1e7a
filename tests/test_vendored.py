"""Front-end libraries are vendored from npm with their versions pinned (package.json,
package-lock.json; `make vendor` copies them into static/vendor/), never written by hand, and
the pages load the pinned file from our own origin."""

import json
import re

from tests.stack import ROOT


def test_the_vendored_htmx_is_the_pinned_release():
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["htmx.org"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned)  # an exact version, not a range
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/htmx.org"]["version"] == pinned
    vendored = sorted((ROOT / "static" / "vendor" / "htmx").glob("htmx-*.min.js"))
    assert [p.name for p in vendored] == [f"htmx-{pinned}.min.js"]
    assert f'version:"{pinned}"' in vendored[0].read_text(encoding="utf-8")
    assert (ROOT / "static" / "vendor" / "htmx" / "LICENSE").is_file()
    dashboard = (ROOT / "templates" / "operations" / "dashboard.html").read_text()
    assert f"vendor/htmx/htmx-{pinned}.min.js" in dashboard
    assert "http" not in re.findall(r'<script src="([^"]+)"', dashboard)[0]  # our own origin


def test_the_vendored_idb_and_workbox_are_the_pinned_releases():
    pins = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for name in ("idb", "workbox-core", "workbox-routing", "workbox-strategies"):
        assert re.fullmatch(r"\d+\.\d+\.\d+", pins[name]), name
        assert lock[f"node_modules/{name}"]["version"] == pins[name], name
    idb = ROOT / "static" / "vendor" / "idb"
    assert [p.name for p in idb.glob("idb-*.js")] == [f"idb-{pins['idb']}.umd.js"]
    assert (idb / "LICENSE").is_file()
    workbox = ROOT / "static" / "vendor" / f"workbox-{pins['workbox-core']}"
    assert not (workbox / "workbox-sw.js").exists()  # its loader names a CDN
    for part in ("core", "routing", "strategies"):
        text = (workbox / f"workbox-{part}.prod.js").read_text()
        assert f"workbox:{part}:" in text
    # The worker names exactly these files (core/views_pwa.py, templates/pwa/sw.js).
    sw = (ROOT / "templates" / "pwa" / "sw.js").read_text()
    assert "workbox_urls" in sw and "workbox-sw" not in sw
    assert (
        f'WORKBOX = "vendor/workbox-{pins["workbox-core"]}/"'
        in (ROOT / "core" / "views_pwa.py").read_text()
    )
    assert f"vendor/idb/idb-{pins['idb']}.umd.js" in sw
