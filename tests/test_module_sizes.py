"""No module over 600 lines (issue 14: one place for each kind of code, rooms of a size one can
read), migrations aside: the apps, the tests and the benchmarks."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "sispam",
    "core",
    "personnel",
    "operations",
    "incidents",
    "logistics",
    "command",
    "demo",
)
MAX_LINES = 600


def module_sizes() -> dict[str, int]:
    paths = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    paths += [*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
    return {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
        for p in paths
        if "migrations" not in p.parts
    }


def test_no_module_is_over_600_lines():
    sizes = module_sizes()
    assert len(sizes) > 100  # the walk found the project
    too_long = {path: n for path, n in sizes.items() if n > MAX_LINES}
    assert not too_long, too_long
