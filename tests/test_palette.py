"""One palette (issue #14): the stylesheet's custom properties and core/palette.py agree, and no
script writes a colour of the palette itself (they read it through static/js/sispam-common.js)."""

import re

from core import palette
from tests.stack import ROOT

CSS = ROOT / "static" / "css" / "sispam.css"


def root_properties() -> dict[str, str]:
    block = re.search(r":root\s*\{(.*?)\}", CSS.read_text(encoding="utf-8"), re.S).group(1)
    return dict(re.findall(r"(--[\w-]+):\s*([^;]+);", block))


def test_the_stylesheet_holds_the_palette_of_core_palette():
    css = root_properties()
    for name, value in palette.css_properties().items():
        assert css.get(name, "").strip().lower() == value.lower(), name


def test_no_script_writes_a_palette_colour_itself():
    colours = {v.lower() for v in palette.css_properties().values()}
    found = []
    for path in sorted((ROOT / "static" / "js").glob("*.js")):
        if path.name == "sispam-common.js":  # the reader itself (its fallback grey)
            continue
        for hexa in re.findall(r"#[0-9a-fA-F]{6}\b", path.read_text(encoding="utf-8")):
            if hexa.lower() in colours:
                found.append(f"{path.name}: {hexa}")
    assert found == []


def test_every_page_loads_the_shared_helpers_before_its_own_scripts():
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    assert base.index("js/sispam-common.js") < base.index("{% block scripts %}")
