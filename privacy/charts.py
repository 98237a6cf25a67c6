"""Geometry for the Positieve Gezondheid radar chart, rendered as SVG by a template.

The chart is drawn on the server (no script, works when printed); the page always shows the
same numbers in a table next to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from privacy.models import DIMENSIONS, HealthRecord

SIZE = 440
CENTRE = SIZE / 2
RADIUS = 150
LABEL_RADIUS = RADIUS + 28


def _point(index: int, value: float, radius: float = RADIUS) -> tuple[float, float]:
    # first axis straight up, then clockwise
    angle = -math.pi / 2 + index * 2 * math.pi / len(DIMENSIONS)
    distance = radius * value / 10
    return (
        round(CENTRE + distance * math.cos(angle), 1),
        round(CENTRE + distance * math.sin(angle), 1),
    )


def _points(values: list[float], radius: float = RADIUS) -> str:
    return " ".join(f"{x},{y}" for x, y in (_point(i, v, radius) for i, v in enumerate(values)))


@dataclass(frozen=True)
class Axis:
    label: str
    x2: float
    y2: float
    label_x: float
    label_y: float
    anchor: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    talk: bool
    label: str
    score: int


@dataclass(frozen=True)
class Radar:
    size: int
    rings: list[str]
    axes: list[Axis]
    shapes: list[dict]
    markers: list[Marker]


def radar(records: list[HealthRecord]) -> Radar:
    """The newest record as the main shape, the one before it dashed for comparison."""
    rings = [_points([level] * len(DIMENSIONS)) for level in (2, 4, 6, 8, 10)]
    axes = []
    for index, (_key, label) in enumerate(DIMENSIONS):
        x2, y2 = _point(index, 10)
        lx, ly = _point(index, 10, LABEL_RADIUS)
        anchor = "middle" if abs(lx - CENTRE) < 5 else ("start" if lx > CENTRE else "end")
        axes.append(Axis(str(label), x2, y2, lx, ly, anchor))
    shapes = []
    markers: list[Marker] = []
    recent = records[-2:]
    for position, record in enumerate(recent):
        values = [getattr(record, key) for key, _label in DIMENSIONS]
        newest = position == len(recent) - 1
        shapes.append({"points": _points(values), "newest": newest, "date": record.conversation_on})
        if newest:
            for index, item in enumerate(record.dimensions()):
                x, y = _point(index, item["score"])
                markers.append(Marker(x, y, item["talk"], str(item["label"]), item["score"]))
    return Radar(SIZE, rings, axes, shapes, markers)


TREND_WIDTH = 640
TREND_HEIGHT = 260
TREND_LEFT = 40
TREND_RIGHT = 190  # room for the dimension names at the end of each line
TREND_TOP = 16
TREND_BOTTOM = 40


@dataclass(frozen=True)
class TrendLine:
    label: str
    points: str
    end_x: float
    end_y: float
    index: int


@dataclass(frozen=True)
class Trend:
    width: int
    height: int
    gridlines: list[dict]
    columns: list[dict]
    lines: list[TrendLine]


def trend(records: list[HealthRecord]) -> Trend | None:
    """Each dimension's score per conversation, oldest left; None with fewer than two."""
    if len(records) < 2:
        return None
    plot_width = TREND_WIDTH - TREND_LEFT - TREND_RIGHT
    plot_height = TREND_HEIGHT - TREND_TOP - TREND_BOTTOM
    step = plot_width / (len(records) - 1)

    def y(score: float) -> float:
        return round(TREND_TOP + plot_height * (1 - score / 10), 1)

    columns = [
        {"x": round(TREND_LEFT + i * step, 1), "date": record.conversation_on}
        for i, record in enumerate(records)
    ]
    gridlines = [{"y": y(level), "level": level} for level in (0, 2, 4, 6, 8, 10)]
    series = []
    for index, (key, label) in enumerate(DIMENSIONS):
        coords = [
            (column["x"], y(getattr(r, key))) for column, r in zip(columns, records, strict=True)
        ]
        series.append((index, str(label), coords))
    # end labels sit beside the last point, pushed apart so that none overlap
    label_y: dict[int, float] = {}
    previous = -math.inf
    for index, _label, coords in sorted(series, key=lambda item: item[2][-1][1]):
        label_y[index] = max(coords[-1][1], previous + 14)
        previous = label_y[index]
    lines = [
        TrendLine(
            label=label,
            points=" ".join(f"{x},{yy}" for x, yy in coords),
            end_x=coords[-1][0] + 8,
            end_y=round(label_y[index], 1),
            index=index,
        )
        for index, label, coords in series
    ]
    return Trend(TREND_WIDTH, TREND_HEIGHT, gridlines, columns, lines)
