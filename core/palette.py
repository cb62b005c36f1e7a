"""Sispam's one colour table: crowd colours and alert levels, TPS vulnerability categories, TPS
polling-day statuses, the exercise mark. The browser reads the same values from the CSS custom
properties of static/css/sispam.css (`--hijau`, `--cat-rawan`, `--st-dibuka`...: the map and the
feed through static/js/sispam-common.js); the PDF situation report reads them from here.
tests/test_palette.py checks the stylesheet and this table agree."""

LEVELS = {"hijau": "#1e7b34", "kuning": "#b98900", "merah": "#b3261e"}
CATEGORIES = {
    "kurang_rawan": "#1e7b34",
    "rawan": "#c77700",
    "sangat_rawan": "#b3261e",
    "khusus": "#6a1b9a",
}
STATUSES = {
    "belum_dibuka": "#8a939e",
    "dibuka": "#3b82c4",
    "pemungutan": "#0b3a6e",
    "penghitungan": "#c77700",
    "selesai": "#1e7b34",
    "dikirim": "#0f5132",
}
BRAND = "#0b3a6e"
MUTED = "#5c6672"
EXERCISE = "#6a1b9a"


def css_properties() -> dict[str, str]:
    """The custom properties the stylesheet must define, name -> colour."""
    return {
        **{f"--{k}": v for k, v in LEVELS.items()},
        **{f"--cat-{k}": v for k, v in CATEGORIES.items()},
        **{f"--st-{k}": v for k, v in STATUSES.items()},
        "--brand": BRAND,
        "--muted": MUTED,
        "--exercise": EXERCISE,
    }
