"""Line charts as plain SVG geometry, drawn by a template: no JavaScript, no images.

Suppressed values arrive as ``None``: the line breaks there and the gap is labelled "<5" low
on the scale, where every such value lies, so a reader sees that a value is hidden rather than
missing, and the chart reveals no more than its table. A provisional quarter (still running)
is drawn on a shaded band with hollow markers, so that a partial count does not read as a drop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.functional import Promise

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 40, 16, 40
TICKS = 5

# Dark enough for 3:1 against white (WCAG 1.4.11); told apart by dash and marker as well.
STYLES = (
    ("#1d1d1b", "", "circle"),
    ("#0b5cad", "8 4", "square"),
    ("#b34700", "2 4", "triangle"),
    ("#1b7a3a", "10 4 2 4", "diamond"),
    ("#7b2d8e", "4 4", "circle"),
    ("#8a6d00", "12 4", "square"),
    ("#a1124f", "2 2", "triangle"),
)


#: the label of a suppressed value's gap (``insights.report.SUPPRESSED``)
GAP_LABEL = "<5"
GAP_MARKER = 10  # px per series' marker in a gap's row
GAP_TEXT = 20  # px for the "<5" after them


@dataclass
class Gap:
    """The suppressed values of one quarter, at the foot of the scale where every such value
    lies: one marker per series in the series' colour and shape, then "<5"."""

    markers: list[tuple[str, str]]  # (path, colour)
    text_x: str
    y: str


@dataclass
class Series:
    label: str | Promise
    color: str
    dash: str
    marker: str
    segments: list[str] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    #: markers of provisional values, drawn hollow
    provisional_markers: list[str] = field(default_factory=list)
    #: how many of its values are suppressed (each shown in its quarter's ``Gap``)
    suppressed: int = 0
    swatch: str = ""


@dataclass
class Band:
    """The shaded column of a provisional quarter, with its label at the top."""

    x: str
    width: str
    label_x: str


@dataclass
class LineChart:
    """Coordinates are strings, formatted here: templates would localise a float's point."""

    width: int
    height: int
    grid: list[tuple[str, str]]
    x_labels: list[tuple[str, str]]
    series: list[Series]
    bands: list[Band] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    gap_label: str = GAP_LABEL
    top: int = TOP
    plot_height: int = HEIGHT - TOP - BOTTOM
    band_label_y: int = TOP + 14
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    y_label_x: int = LEFT - 8
    x_label_y: int = HEIGHT - BOTTOM + 24
    has_data: bool = True


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value``."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def marker_path(kind: str, x: float, y: float, size: float = 4.5) -> str:
    if kind == "square":
        return f"M{x - size:.1f},{y - size:.1f}h{2 * size:.1f}v{2 * size:.1f}h{-2 * size:.1f}z"
    if kind == "triangle":
        return (
            f"M{x:.1f},{y - size - 1:.1f}L{x + size + 1:.1f},{y + size:.1f}"
            f"L{x - size - 1:.1f},{y + size:.1f}z"
        )
    if kind == "diamond":
        big = size + 1
        return (
            f"M{x:.1f},{y - big:.1f}L{x + big:.1f},{y:.1f}L{x:.1f},{y + big:.1f}"
            f"L{x - big:.1f},{y:.1f}z"
        )
    # a circle as two arcs
    arc = f"a{size},{size} 0 1,0"
    return f"M{x - size:.1f},{y:.1f}{arc} {2 * size},0{arc} {-2 * size},0z"


def line_chart(
    x_labels: Sequence[str],
    rows: Sequence[tuple[str | Promise, Sequence[int | None]]],
    provisional: Sequence[bool] = (),
) -> LineChart:
    """``rows``: a label and a value per x label, ``None`` where the value is suppressed;
    ``provisional``: per x label, whether its values are provisional."""
    provisional = list(provisional) + [False] * (len(x_labels) - len(provisional))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    known = [value for _label, values in rows for value in values if value is not None]
    top = nice_ceiling(max(known, default=0))
    if top < TICKS:
        top = TICKS  # whole numbers on the axis

    def x_of(index: int) -> float:
        if len(x_labels) == 1:
            return LEFT + plot_width / 2
        return LEFT + index * plot_width / (len(x_labels) - 1)

    def y_of(value: float) -> float:
        return TOP + plot_height * (1 - value / top)

    grid = [
        (f"{y_of(top * step / TICKS):.1f}", number_format(top * step / TICKS, decimal_pos=0))
        for step in range(TICKS + 1)
    ]
    series = []
    hidden: dict[int, list[tuple[str, str]]] = {}  # position → (marker shape, colour)
    for index, (label, values) in enumerate(rows):
        color, dash, marker = STYLES[index % len(STYLES)]
        item = Series(label, color, dash, marker, swatch=marker_path(marker, 20, 8, 4))
        run: list[str] = []
        for position, value in enumerate(values):
            x = x_of(position)
            if value is None:
                if len(run) > 1:
                    item.segments.append(" ".join(run))
                run = []
                item.suppressed += 1
                hidden.setdefault(position, []).append((marker, color))
                continue
            y = y_of(value)
            run.append(f"{x:.1f},{y:.1f}")
            drawn = item.provisional_markers if provisional[position] else item.markers
            drawn.append(marker_path(marker, x, y))
        if len(run) > 1:
            item.segments.append(" ".join(run))
        series.append(item)
    gaps = []
    foot = y_of(0) - 9
    for position, shapes in sorted(hidden.items()):
        # a row centred on the quarter, kept inside the plot and its right margin
        width = GAP_MARKER * len(shapes) + GAP_TEXT
        start = min(max(x_of(position) - width / 2, LEFT + 4), WIDTH - 2 - width)
        markers = [
            (marker_path(shape, start + GAP_MARKER * (i + 0.5), foot, 3.5), color)
            for i, (shape, color) in enumerate(shapes)
        ]
        gaps.append(Gap(markers, f"{start + GAP_MARKER * len(shapes) + 2:.1f}", f"{foot:.1f}"))
    step = plot_width / (len(x_labels) - 1) if len(x_labels) > 1 else plot_width
    bands = []
    for position, running in enumerate(provisional[: len(x_labels)]):
        if running:
            x = x_of(position)
            start, end = max(x - step / 2, LEFT), min(x + step / 2, WIDTH - RIGHT + 16)
            bands.append(Band(f"{start:.1f}", f"{end - start:.1f}", f"{(start + end) / 2:.1f}"))
    return LineChart(
        width=WIDTH,
        height=HEIGHT,
        grid=grid,
        x_labels=[(f"{x_of(i):.1f}", label) for i, label in enumerate(x_labels)],
        series=series,
        bands=bands,
        gaps=gaps,
        has_data=bool(known),
    )
