"""Draw the installable app's PNG icons from the brand mark in static/img/favicon.svg.

    .venv/bin/python scripts/make_app_icons.py

The mark is three roofs on a rounded square; it is drawn here with Pillow from the same
coordinates (on the SVG's 32 × 32 grid), four times larger than asked and scaled down, so the
edges are smooth. Writes to static/img/:

- app-icon-192.png, app-icon-512.png: the rounded square as the favicon shows it ("any");
- app-icon-maskable-512.png: the square filled to its edges, the mark inside the safe zone
  (the middle 80 %), which Android cuts into a circle or a rounded shape of its own;
- apple-touch-icon.png (180 px): filled to the edges too, as iOS rounds the corners itself.

Run it again after changing the mark or its colours in favicon.svg.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "img"
PRIMARY = "#1a5b78"
WHITE = "#ffffff"
LIGHT = "#9fd0e4"
SUPERSAMPLE = 4

# favicon.svg's shapes on its 32 × 32 grid.
LEFT_ROOF = [(4, 24), (4, 15.5), (9.5, 10.5), (15, 15.5), (15, 24)]
RIGHT_ROOF = [(17, 24), (17, 13), (22.5, 8), (28, 13), (28, 24)]
MIDDLE_ROOF = [(11, 24), (11, 18.5), (16, 14), (21, 18.5), (21, 24)]
MIDDLE_STROKE = 1.5
DOOR = (14.5, 19.5, 17.5, 24)
CORNER_RADIUS = 7


def draw_icon(size: int, *, full_bleed: bool, mark_share: float = 1.0) -> Image.Image:
    """The mark at ``size`` pixels. ``mark_share``: how much of the width the 32-unit grid takes
    (below 1 for the maskable icon's safe zone); ``full_bleed``: a square without rounded
    corners."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if full_bleed:
        draw.rectangle((0, 0, big, big), fill=PRIMARY)
    else:
        draw.rounded_rectangle(
            (0, 0, big - 1, big - 1), radius=big * CORNER_RADIUS / 32, fill=PRIMARY
        )

    unit = big * mark_share / 32
    offset = (big - 32 * unit) / 2

    def at(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(offset + x * unit, offset + y * unit) for x, y in points]

    draw.polygon(at(LEFT_ROOF), fill=WHITE)
    draw.polygon(at(RIGHT_ROOF), fill=WHITE)
    middle = at(MIDDLE_ROOF)
    draw.polygon(middle, fill=LIGHT)
    # The SVG's stroke is centred on the outline: a closed line of that width does the same.
    draw.line(
        [*middle, middle[0], middle[1]],
        fill=PRIMARY,
        width=round(MIDDLE_STROKE * unit),
        joint="curve",
    )
    left, top, right, bottom = DOOR
    (x0, y0), (x1, y1) = at([(left, top), (right, bottom)])
    draw.rectangle((x0, y0, x1, y1), fill=PRIMARY)
    icon = image.resize((size, size), Image.Resampling.LANCZOS)
    # A full-bleed icon is opaque: iOS would fill transparent corners with black.
    return icon.convert("RGB") if full_bleed else icon


def main() -> None:
    icons = {
        "app-icon-192.png": draw_icon(192, full_bleed=False),
        "app-icon-512.png": draw_icon(512, full_bleed=False),
        # The safe zone is a circle of 80 % of the width around the centre; the roofs' outer
        # corners lie 14.4 units from the grid's centre, so at 80 % they stay inside it
        # (184 of 205 px).
        "app-icon-maskable-512.png": draw_icon(512, full_bleed=True, mark_share=0.8),
        "apple-touch-icon.png": draw_icon(180, full_bleed=True),
    }
    for name, image in icons.items():
        image.save(OUT / name, optimize=True)
        print(f"wrote static/img/{name} ({image.width} × {image.height})")


if __name__ == "__main__":
    main()
