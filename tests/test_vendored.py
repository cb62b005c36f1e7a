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
