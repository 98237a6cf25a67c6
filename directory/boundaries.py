"""Neighbourhood boundaries from a GeoJSON file, for the map on the social map.

Each deployment loads its own (``manage.py import_boundaries``, docs/IMPORT.md): for instance
the wijken or buurten of its municipality from CBS's "Wijk- en buurtkaart", exported as GeoJSON
in WGS 84. A feature is matched to a neighbourhood of the platform by its name (or the slug the
name would have); its polygons are simplified to what a map of a town needs and stored as plain
coordinates (NeighbourhoodBoundary.polygons).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from directory.models import Neighbourhood, NeighbourhoodBoundary

# Properties that name a feature, its code and its municipality, most specific first: CBS's
# files (buurtnaam, wijknaam, gemeentenaam, …), then common generic names.
NAME_PROPERTIES = ["buurtnaam", "wijknaam", "name", "naam"]
CODE_PROPERTIES = ["buurtcode", "wijkcode", "code"]
MUNICIPALITY_PROPERTIES = ["gemeentenaam", "municipality", "gemeente"]
# Points closer than this (in degrees, about 7 m north–south) to the line through their
# neighbours are left out: a town's map needs no more, and the page stays small.
DEFAULT_TOLERANCE = 0.0001
# Coordinates are kept to about 10 cm.
DECIMALS = 6

Ring = list[list[float]]
Polygon = list[Ring]


class BoundaryError(ValueError):
    """The file cannot be read as neighbourhood boundaries; the message says why."""


@dataclass
class Area:
    """One named area of the file, with all the polygons of the features that carry its name."""

    name: str
    code: str = ""
    municipality: str = ""
    polygons: list[Polygon] = field(default_factory=list)


@dataclass
class BoundaryReport:
    updated: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    # areas of the file that are not a neighbourhood of the platform
    unmatched: list[str] = field(default_factory=list)
    # neighbourhoods of the platform that still have no boundary
    missing: list[str] = field(default_factory=list)
    dry_run: bool = False


def _property(properties: dict[str, Any], wanted: str | None, candidates: list[str]) -> str:
    names = [wanted] if wanted else candidates
    for name in names:
        value = properties.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _position(value: Any) -> list[float]:
    if not (isinstance(value, list) and len(value) >= 2):
        raise BoundaryError(
            _("A coordinate is not a pair of numbers: %(value)s") % {"value": value}
        )
    lon, lat = value[0], value[1]
    if not all(isinstance(n, int | float) and math.isfinite(n) for n in (lon, lat)):
        raise BoundaryError(
            _("A coordinate is not a pair of numbers: %(value)s") % {"value": value}
        )
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise BoundaryError(
            _(
                "The coordinate %(value)s is not a longitude and latitude. Export the file in "
                "WGS 84 (EPSG:4326), for example with ogr2ogr -t_srs EPSG:4326; see "
                "docs/IMPORT.md."
            )
            % {"value": value[:2]}
        )
    return [float(lon), float(lat)]


def _distance_to_line(point: list[float], start: list[float], end: list[float]) -> float:
    (x, y), (x1, y1), (x2, y2) = point, start, end
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return math.hypot(x - x1, y - y1)
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / math.hypot(dx, dy)


def simplify(ring: Ring, tolerance: float) -> Ring:
    """``ring`` without the points that lie within ``tolerance`` of the line between the points
    kept around them (Ramer–Douglas–Peucker), still closed; as it was if too little would stay."""
    if tolerance <= 0 or len(ring) <= 4:
        return ring
    keep = [False] * len(ring)
    keep[0] = keep[-1] = True
    # the point farthest from the first splits the closed ring into two open lines
    far = max(range(1, len(ring) - 1), key=lambda i: math.dist(ring[0], ring[i]))
    keep[far] = True
    stack = [(0, far), (far, len(ring) - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        index, distance = max(
            (
                (i, _distance_to_line(ring[i], ring[first], ring[last]))
                for i in range(first + 1, last)
            ),
            key=lambda pair: pair[1],
        )
        if distance > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    kept = [point for point, wanted in zip(ring, keep, strict=True) if wanted]
    return kept if len(kept) >= 4 else ring


def _polygon(rings: Any, tolerance: float) -> Polygon:
    if not (isinstance(rings, list) and rings):
        raise BoundaryError(_("A polygon has no coordinates."))
    polygon = []
    for ring in rings:
        if not isinstance(ring, list):
            raise BoundaryError(_("A polygon has no coordinates."))
        points = [_position(p) for p in ring]
        if len(points) < 3:
            raise BoundaryError(_("A polygon needs at least three points."))
        if points[0] != points[-1]:
            points.append(points[0])
        points = [[round(lon, DECIMALS), round(lat, DECIMALS)] for lon, lat in points]
        polygon.append(simplify(points, tolerance))
    return polygon


def _polygons(geometry: Any, tolerance: float) -> list[Polygon]:
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind == "Polygon":
        return [_polygon(geometry.get("coordinates"), tolerance)]
    if kind == "MultiPolygon":
        return [_polygon(rings, tolerance) for rings in geometry.get("coordinates") or []]
    raise BoundaryError(
        _("A feature's geometry is %(kind)s; only Polygon and MultiPolygon are drawn.")
        % {"kind": kind or _("missing")}
    )


def read_areas(
    data: bytes,
    *,
    name_property: str | None = None,
    code_property: str | None = None,
    municipality: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> list[Area]:
    """The named areas of a GeoJSON FeatureCollection (or single Feature), in file order.
    Features of another municipality than ``municipality`` (when the file names one) are left
    out; features that share a name (in one municipality) become one area."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BoundaryError(_("This is not a GeoJSON file: %(reason)s") % {"reason": exc}) from None
    if not isinstance(document, dict):
        raise BoundaryError(_("This is not a GeoJSON file: %(reason)s") % {"reason": "no object"})
    crs = json.dumps(document.get("crs") or "")
    if "28992" in crs:
        raise BoundaryError(
            _(
                "The file is in the Dutch grid (RD New, EPSG:28992). Export it in WGS 84 "
                "(EPSG:4326), for example with ogr2ogr -t_srs EPSG:4326; see docs/IMPORT.md."
            )
        )
    if document.get("type") == "Feature":
        features = [document]
    elif document.get("type") == "FeatureCollection":
        features = document.get("features") or []
    else:
        raise BoundaryError(_("The file holds no FeatureCollection."))
    # by municipality and name: a regional file has a "Centrum" in more than one town
    areas: dict[tuple[str, str], Area] = {}
    for number, feature in enumerate(features, start=1):
        properties = (feature.get("properties") if isinstance(feature, dict) else None) or {}
        if not isinstance(properties, dict):
            raise BoundaryError(
                _('Feature %(number)s: its "properties" are not an object of names and values.')
                % {"number": number}
            )
        place = _property(properties, None, MUNICIPALITY_PROPERTIES)
        if municipality and place and place.casefold() != municipality.casefold():
            continue
        name = _property(properties, name_property, NAME_PROPERTIES)
        if not name:
            raise BoundaryError(
                _("Feature %(number)s has no name (property %(names)s).")
                % {"number": number, "names": name_property or ", ".join(NAME_PROPERTIES)}
            )
        try:
            polygons = _polygons(feature.get("geometry"), tolerance)
        except BoundaryError as error:
            raise BoundaryError(f"{name}: {error}") from None
        town = place or municipality or ""
        area = areas.setdefault((town.casefold(), name.casefold()), Area(name=name))
        area.code = area.code or _property(properties, code_property, CODE_PROPERTIES)
        area.municipality = area.municipality or town
        area.polygons += polygons
    if not areas:
        raise BoundaryError(_("The file holds no neighbourhood to import."))
    return list(areas.values())


def _neighbourhood_for(
    area: Area, neighbourhoods: list[Neighbourhood], *, same_municipality: bool = False
) -> Neighbourhood | None:
    """The platform's neighbourhood of this name (or with the slug the name would have); of
    several, or with ``same_municipality``, the one in the area's municipality."""
    found = [
        n
        for n in neighbourhoods
        if n.name.casefold() == area.name.casefold() or n.slug == slugify(area.name)
    ]
    if (len(found) > 1 or same_municipality) and area.municipality:
        found = [n for n in found if n.municipality.casefold() == area.municipality.casefold()]
    return found[0] if len(found) == 1 else None


def _new_slug(name: str, municipality: str) -> str:
    slug = slugify(name)[:50] or "wijk"
    if Neighbourhood.objects.filter(slug=slug).exists():
        slug = slugify(f"{municipality} {name}")[:50]
    base, n = slug, 2
    while Neighbourhood.objects.filter(slug=slug).exists():
        slug, n = f"{base[:45]}-{n}", n + 1
    return slug


class _DryRun(Exception):
    pass


def import_boundaries(
    areas: list[Area], *, create: bool = False, dry_run: bool = False
) -> BoundaryReport:
    """Store each area's polygons as its neighbourhood's boundary (replacing what was there).
    An area without a neighbourhood is created as one with ``create``, else reported."""
    report = BoundaryReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            neighbourhoods = list(Neighbourhood.objects.all())
            # a name the file has in more than one municipality matches only in its own
            names = Counter(area.name.casefold() for area in areas)
            for area in areas:
                neighbourhood = _neighbourhood_for(
                    area, neighbourhoods, same_municipality=names[area.name.casefold()] > 1
                )
                if neighbourhood is None and create:
                    if not area.municipality:
                        raise BoundaryError(
                            _("%(name)s: which municipality? Give --municipality.")
                            % {"name": area.name}
                        )
                    neighbourhood = Neighbourhood.objects.create(
                        name=area.name[:100],
                        slug=_new_slug(area.name, area.municipality),
                        municipality=area.municipality[:100],
                    )
                    neighbourhoods.append(neighbourhood)
                    report.created.append(area.name)
                elif neighbourhood is None:
                    report.unmatched.append(area.name)
                    continue
                else:
                    report.updated.append(neighbourhood.name)
                NeighbourhoodBoundary.objects.update_or_create(
                    neighbourhood=neighbourhood,
                    defaults={"code": area.code[:20], "polygons": area.polygons},
                )
            report.missing = list(
                Neighbourhood.objects.filter(boundary__isnull=True).values_list("name", flat=True)
            )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report
