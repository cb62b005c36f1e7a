"""Draw the web app's icons (static/icons/sispam-{192,512}.png): the favicon's shield on the
brand colour, drawn with Pillow so that no image tool is needed. Run after changing the design:
    .venv/bin/python scripts/make_icons.py
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = (11, 58, 110)
GOLD = (242, 194, 48)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def icon(size: int) -> Image.Image:
    scale = size / 32
    image = Image.new("RGB", (size, size), BRAND)
    draw = ImageDraw.Draw(image)
    # The shield of static/favicon.svg (M16 4 l10 4 v7 c0 7 -4.5 11 -10 13 C10.5 26 6 22 6 15 V8z),
    # as a polygon; the maskable safe zone keeps it inside the middle 80 %.
    shield = [
        (16, 4),
        (26, 8),
        (26, 15),
        (24.5, 21),
        (20.5, 25.5),
        (16, 28),
        (11.5, 25.5),
        (7.5, 21),
        (6, 15),
        (6, 8),
    ]
    inset = 0.1 * 32
    points = [((inset + x * 0.8) * scale, (inset + y * 0.8) * scale) for x, y in shield]
    draw.polygon(points, fill=GOLD)
    # The "S" of Sispam, in Pillow's own scalable font (no system font needed).
    font = ImageFont.load_default(size=round(size * 0.34))
    draw.text((size / 2, size * 0.54), "S", font=font, fill=BRAND, anchor="mm")
    return image


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size).save(OUT / f"sispam-{size}.png", optimize=True)
        print(OUT / f"sispam-{size}.png")
