"""The neighbourhoods drawn as an SVG map on the server: their outlines (NeighbourhoodBoundary,
longitude and latitude) projected onto the picture's own coordinates.

A town is small enough for the plain equirectangular projection: a degree of longitude is
shortened by the cosine of the middle latitude (about 0.63 in Heerlen), so that shapes keep
their proportions, and north is up.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import urlencode

from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.boundaries import Polygon, Ring
from directory.models import (
    Neighbourhood,
    NeighbourhoodBoundary,
    Organisation,
    Professional,
    ServiceTheme,
)
from directory.search import listed

Key = TypeVar("Key", bound=Hashable)

# The picture's width in its own units, and the most height it may take: a tall municipality
# is drawn narrower instead of taller.
WIDTH = 400
MAX_HEIGHT = 360
MARGIN = 6
# Font sizes of a neighbourhood's name and its counts, in the picture's units; a label is drawn
# only where it fits inside the shape (AVERAGE_CHARACTER: a character's width per unit of size).
NAME_SIZE = 16
COUNT_SIZE = 13
AVERAGE_CHARACTER = 0.58


@dataclass
class Shape:
    """One neighbourhood on the picture: its outline as an SVG path, the centre of its largest
    part (where its label goes) and the room around that centre."""

    path: str
    label_x: float
    label_y: float
    width: float
    height: float

    def label(self, lines: list[str]) -> list[LabelLine]:
        """The label's lines placed around the shape's centre: all of them, or only the first
        (the name, in NAME_SIZE; the others in COUNT_SIZE), or none, as the shape has room."""
        sizes = [NAME_SIZE] + [COUNT_SIZE] * (len(lines) - 1)

        def fits(n: int) -> bool:
            wide = max(len(line) * size * AVERAGE_CHARACTER for line, size in zip(
                lines[:n], sizes, strict=False))  # fmt: skip
            return wide + 8 <= self.width and sum(sizes[:n]) * 1.3 <= self.height

        if not lines or not fits(1):
            return []
        shown = len(lines) if fits(len(lines)) else 1
        # baselines one line-height apart, the block of lines centred on the label point
        heights = [size * 1.25 for size in sizes[:shown]]
        top = self.label_y - sum(heights) / 2
        placed = []
        for line, size, height in zip(lines, sizes, heights, strict=False):
            top += height
            placed.append(LabelLine(line, self.label_x, round(top - height * 0.28, 1), size))
        return placed


@dataclass
class LabelLine:
    text: str
    x: float
    y: float
    size: int


@dataclass
class Projection(Generic[Key]):
    width: int
    height: int
    shapes: dict[Key, Shape]


def _ring_area(ring: Ring) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring)) / 2


def _centroid(ring: Ring) -> tuple[float, float]:
    """The centre of mass of a closed ring (of its vertices' mean if it has no area)."""
    area = _ring_area(ring)
    if abs(area) < 1e-9:
        xs, ys = zip(*ring, strict=True)
        return sum(xs) / len(xs), sum(ys) / len(ys)
    cx = cy = 0.0
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        cross = x1 * y2 - x2 * y1
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    return cx / (6 * area), cy / (6 * area)


def _path(polygons: list[list[Ring]]) -> str:
    parts = []
    for polygon in polygons:
        for ring in polygon:
            points = []
            for x, y in ring[:-1]:  # Z closes it
                point = f"{x:.1f} {y:.1f}"
                if not points or points[-1] != point:
                    points.append(point)
            if len(points) >= 3:
                parts.append("M" + " L".join(points) + "Z")
    return "".join(parts)


def project(outlines: Mapping[Key, list[Polygon]]) -> Projection[Key]:
    """``outlines`` (longitude, latitude) scaled into a picture WIDTH wide, at most MAX_HEIGHT
    high, each shape as an SVG path with the centre of its largest part for the label."""
    points = [p for polygons in outlines.values() for polygon in polygons for ring in polygon
              for p in ring]  # fmt: skip
    if not points:
        return Projection(WIDTH, 0, {})
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    shrink = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lons) - min(lons)) * shrink, 1e-9)
    span_y = max(max(lats) - min(lats), 1e-9)
    scale = min((WIDTH - 2 * MARGIN) / span_x, (MAX_HEIGHT - 2 * MARGIN) / span_y)
    height = math.ceil(span_y * scale + 2 * MARGIN)
    left = (WIDTH - span_x * scale) / 2  # centred when the height limits the scale

    def to_picture(ring: Ring) -> list[list[float]]:
        return [
            [left + (lon - min(lons)) * shrink * scale, MARGIN + (max(lats) - lat) * scale]
            for lon, lat, *_ in ring
        ]

    shapes = {}
    for key, polygons in outlines.items():
        drawn = [[to_picture(ring) for ring in polygon] for polygon in polygons]
        largest = max((polygon[0] for polygon in drawn), key=lambda r: abs(_ring_area(r)))
        x, y = _centroid(largest)
        xs, ys = [p[0] for p in largest], [p[1] for p in largest]
        # the room a label has: the shape's extent around its centre, the narrower side doubled
        width = 2 * min(x - min(xs), max(xs) - x)
        shape_height = 2 * min(y - min(ys), max(ys) - y)
        shapes[key] = Shape(_path(drawn), round(x, 1), round(y, 1), width, shape_height)
    return Projection(WIDTH, height, shapes)


@dataclass
class NeighbourhoodFigures:
    """A neighbourhood's row on the social map: in the table and, with a boundary, on the map."""

    neighbourhood: Neighbourhood
    organisations: int
    professionals: int
    # the social map filtered to it (keeping the theme), and its professionals in the directory
    url: str
    directory_url: str
    selected: bool
    shape: Shape | None = None
    # the lines of its label on the map that fit in its shape
    label: list[LabelLine] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """ "Hoensbroek: 12 organisaties, 30 professionals", the name of its link on the map."""
        return _("%(name)s: %(organisations)s, %(professionals)s") % {
            "name": self.neighbourhood.name,
            "organisations": self.organisations_text,
            "professionals": self.professionals_text,
        }

    @property
    def organisations_text(self) -> str:
        return ngettext("%(count)s organisation", "%(count)s organisations", self.organisations) % {
            "count": self.organisations
        }

    @property
    def professionals_text(self) -> str:
        return ngettext("%(count)s professional", "%(count)s professionals", self.professionals) % {
            "count": self.professionals
        }


@dataclass
class NeighbourhoodOverview:
    rows: list[NeighbourhoodFigures]
    width: int
    height: int

    @property
    def drawn(self) -> list[NeighbourhoodFigures]:
        return [row for row in self.rows if row.shape is not None]


def _counts(rows: QuerySet, column: str) -> dict[int, int]:
    counted = rows.values("neighbourhood_id").annotate(n=Count(column, distinct=True))
    return {row["neighbourhood_id"]: row["n"] for row in counted}


def overview(
    neighbourhoods: list[Neighbourhood], theme: ServiceTheme | None, selected: Neighbourhood | None
) -> NeighbourhoodOverview:
    """Per neighbourhood the organisations that serve it (those offering ``theme``, if given:
    what its link on the social map lists) and the professionals the directory lists as working
    there; with the map of those that have a boundary. Three queries."""
    served = Organisation.neighbourhoods.through.objects.all()
    if theme is not None:
        served = served.filter(organisation__services=theme)
    working = Professional.neighbourhoods.through.objects.filter(professional__in=listed())
    organisations = _counts(served, "organisation_id")
    professionals = _counts(working, "professional_id")
    outlines = dict(
        NeighbourhoodBoundary.objects.filter(
            neighbourhood__in=[n.pk for n in neighbourhoods]
        ).values_list("neighbourhood_id", "polygons")
    )
    projection = project(outlines)
    social_map, directory = reverse("directory:social_map"), reverse("directory:index")
    rows = []
    for neighbourhood in neighbourhoods:
        query = {"neighbourhood": neighbourhood.slug} | ({"theme": theme.slug} if theme else {})
        row = NeighbourhoodFigures(
            neighbourhood=neighbourhood,
            organisations=organisations.get(neighbourhood.pk, 0),
            professionals=professionals.get(neighbourhood.pk, 0),
            url=f"{social_map}?{urlencode(query)}#organisations",
            directory_url=f"{directory}?{urlencode({'neighbourhood': neighbourhood.slug})}",
            selected=neighbourhood == selected,
            shape=projection.shapes.get(neighbourhood.pk),
        )
        if row.shape is not None:
            lines = [neighbourhood.name, row.organisations_text, row.professionals_text]
            row.label = row.shape.label(lines)
        rows.append(row)
    return NeighbourhoodOverview(rows, projection.width, projection.height)
