"""The social map: filters by theme and neighbourhood, and the neighbourhoods' map and table, from
boundaries each deployment loads from a GeoJSON file (directory.boundaries)."""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.boundaries import BoundaryError, import_boundaries, read_areas, simplify
from directory.models import Neighbourhood, NeighbourhoodBoundary, ServiceTheme
from directory.neighbourhood_map import MARGIN, WIDTH, project
from tests.factories import NeighbourhoodFactory, OrganisationFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db


def square(west: float, south: float, size: float = 0.02) -> list:
    east, north = round(west + size, 6), round(south + size, 6)
    return [[[west, south], [east, south], [east, north], [west, north], [west, south]]]


def feature(name: str, rings: list, kind: str = "Polygon", **properties) -> dict:
    return {
        "type": "Feature",
        "properties": {"wijknaam": name, "gemeentenaam": "Heerlen", **properties},
        "geometry": {"type": kind, "coordinates": rings},
    }


def geojson(*features: dict, **members) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features, **members}).encode()


# ---- reading a GeoJSON file ------------------------------------------------------------------


def test_it_reads_the_named_areas_of_a_cbs_style_file():
    data = geojson(
        feature("Hoensbroek", square(5.90, 50.91), wijkcode="WK091701"),
        feature("Heerlen Noord", [square(5.95, 50.89), square(5.99, 50.89)], "MultiPolygon"),
        feature("Kerkrade-West", square(6.03, 50.86), gemeentenaam="Kerkrade"),
        # a second part of Hoensbroek, as its own feature
        feature("hoensbroek", [[[5.92, 50.93], [5.93, 50.93], [5.93, 50.94]]]),
    )
    areas = read_areas(data, municipality="heerlen")
    assert [(a.name, a.code, a.municipality, len(a.polygons)) for a in areas] == [
        ("Hoensbroek", "WK091701", "Heerlen", 2),
        ("Heerlen Noord", "", "Heerlen", 2),
    ]
    # an open ring is closed
    assert areas[0].polygons[1][0] == [[5.92, 50.93], [5.93, 50.93], [5.93, 50.94], [5.92, 50.93]]


def test_another_name_property_can_be_named():
    data = geojson(feature("ignored", square(5.9, 50.9), buurtnaam="", label="Mariarade"))
    assert [a.name for a in read_areas(data, name_property="label")] == ["Mariarade"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "geen GeoJSON"),
        (b"[]", "geen GeoJSON"),
        (geojson(feature("Hoensbroek", square(190000, 320000, 500))), "WGS 84"),
        (
            geojson(
                feature("Hoensbroek", square(5.9, 50.9)),
                crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}},
            ),
            "RD New",
        ),
        (geojson(feature("Hoensbroek", [5.9, 50.9], "Point")), "Point"),
        (geojson(feature("", square(5.9, 50.9))), "geen naam"),
        (geojson(feature("Hoensbroek", [[[5.9, 50.9], [5.91, 50.9]]])), "drie punten"),
        (geojson(feature("Hoensbroek", [[["a", 50.9], [5.91, 50.9], [5.9, 50.91]]])), "paar"),
        (json.dumps({"type": "Topology"}).encode(), "FeatureCollection"),
        (geojson(), "geen wijk"),
    ],
)
def test_a_file_that_is_not_boundaries_in_wgs84_is_refused_with_the_reason(data, message):
    with pytest.raises(BoundaryError, match=message):
        read_areas(data)


def test_simplifying_leaves_out_points_on_a_straight_line_and_keeps_the_corners():
    edge = [[5.9 + i * 0.001, 50.9] for i in range(11)]  # ten steps along the south side
    ring = [*edge, [5.91, 50.91], [5.9, 50.91], [5.9, 50.9]]
    assert simplify(ring, 0.0001) == [[5.9, 50.9], [5.91, 50.9], [5.91, 50.91], [5.9, 50.91],
                                      [5.9, 50.9]]  # fmt: skip
    assert simplify(ring, 0) == ring


# ---- storing them ------------------------------------------------------------------------------


@pytest.fixture
def neighbourhoods(hoensbroek, heerlen_noord):
    return hoensbroek, heerlen_noord


def test_areas_are_stored_as_the_boundaries_of_the_neighbourhoods_of_that_name(neighbourhoods):
    hoensbroek = neighbourhoods[0]
    data = geojson(
        feature("HOENSBROEK", square(5.90, 50.91), wijkcode="WK091701"),
        feature("Heerlerbaan", square(5.99, 50.87)),
    )
    report = import_boundaries(read_areas(data))
    assert (report.updated, report.unmatched, report.missing) == (
        ["Hoensbroek"], ["Heerlerbaan"], ["Heerlen Noord"]
    )  # fmt: skip
    boundary = NeighbourhoodBoundary.objects.get()
    assert (boundary.neighbourhood, boundary.code) == (hoensbroek, "WK091701")
    assert boundary.polygons == [square(5.90, 50.91)]
    # a second import replaces the outline
    import_boundaries(read_areas(geojson(feature("Hoensbroek", square(5.80, 50.80)))))
    assert NeighbourhoodBoundary.objects.get().polygons == [square(5.80, 50.80)]


def test_missing_neighbourhoods_are_created_when_asked(neighbourhoods):
    data = geojson(feature("Heerlerbaan", square(5.99, 50.87)))
    report = import_boundaries(read_areas(data), create=True)
    assert report.created == ["Heerlerbaan"]
    created = Neighbourhood.objects.get(name="Heerlerbaan")
    assert (created.slug, created.municipality) == ("heerlerbaan", "Heerlen")
    assert created.boundary.polygons == [square(5.99, 50.87)]


def test_a_dry_run_stores_nothing(neighbourhoods):
    data = geojson(
        feature("Hoensbroek", square(5.9, 50.9)), feature("Heerlerbaan", square(6, 50.8))
    )
    report = import_boundaries(read_areas(data), create=True, dry_run=True)
    assert (report.updated, report.created) == (["Hoensbroek"], ["Heerlerbaan"])
    assert not NeighbourhoodBoundary.objects.exists()
    assert not Neighbourhood.objects.filter(name="Heerlerbaan").exists()


def test_the_command_imports_a_file_and_reports(neighbourhoods, tmp_path):
    path = tmp_path / "wijken.geojson"
    path.write_bytes(
        geojson(
            feature("Hoensbroek", square(5.9, 50.91)), feature("Heerlen Noord", square(5.95, 50.89))
        )
    )
    out = StringIO()
    call_command("import_boundaries", str(path), "--municipality", "Heerlen", stdout=out)
    assert "2 boundaries stored." in out.getvalue()
    assert NeighbourhoodBoundary.objects.count() == 2
    path.write_bytes(geojson(feature("Hoensbroek", square(190000, 320000, 500))))
    with pytest.raises(CommandError, match="EPSG:4326"):
        call_command("import_boundaries", str(path), stdout=StringIO())
    with pytest.raises(CommandError, match=r"missing\.geojson"):
        call_command("import_boundaries", str(tmp_path / "missing.geojson"), stdout=StringIO())


def test_areas_of_one_name_in_two_municipalities_stay_apart():
    data = geojson(
        feature("Centrum", square(5.98, 50.88), wijkcode="WK091700"),
        feature("Centrum", square(6.06, 50.86), gemeentenaam="Kerkrade", wijkcode="WK092800"),
        feature("centrum", square(5.96, 50.88)),  # a second part of Heerlen's
    )
    areas = read_areas(data)
    assert [(a.name, a.municipality, a.code, len(a.polygons)) for a in areas] == [
        ("Centrum", "Heerlen", "WK091700", 2),
        ("Centrum", "Kerkrade", "WK092800", 1),
    ]
    # with only Heerlen's Centrum on the platform, Kerkrade's is not taken for it
    heerlen = NeighbourhoodFactory(name="Centrum", slug="centrum", municipality="Heerlen")
    report = import_boundaries(areas)
    assert (report.updated, report.unmatched) == (["Centrum"], ["Centrum"])
    heerlen.boundary.refresh_from_db()
    assert heerlen.boundary.polygons == [square(5.98, 50.88), square(5.96, 50.88)]
    kerkrade = NeighbourhoodFactory(
        name="Centrum", slug="kerkrade-centrum", municipality="Kerkrade"
    )
    import_boundaries(areas)
    heerlen.boundary.refresh_from_db()
    kerkrade.boundary.refresh_from_db()
    assert heerlen.boundary.polygons == [square(5.98, 50.88), square(5.96, 50.88)]
    assert kerkrade.boundary.polygons == [square(6.06, 50.86)]


@pytest.mark.parametrize("properties", [["wijknaam", "Hoensbroek"], "Hoensbroek", 6431])
def test_a_feature_whose_properties_are_not_an_object_is_refused_clearly(tmp_path, properties):
    broken = {**feature("Heerlen Noord", square(5.95, 50.89)), "properties": properties}
    path = tmp_path / "wijken.geojson"
    path.write_bytes(geojson(feature("Hoensbroek", square(5.9, 50.91)), broken))
    with pytest.raises(CommandError) as refused:
        call_command("import_boundaries", str(path), stdout=StringIO())
    assert "2" in str(refused.value) and '"properties"' in str(refused.value)


def test_the_demo_loads_its_boundaries_and_synonyms(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    names = set(NeighbourhoodBoundary.objects.values_list("neighbourhood__name", flat=True))
    assert names == {"Hoensbroek", "Heerlen Noord"}
    from directory.models import SearchSynonym

    assert SearchSynonym.objects.filter(term="jongerenwerker").exists()


# ---- drawing them ------------------------------------------------------------------------------


def test_the_projection_keeps_north_up_and_the_proportions():
    projection = project({"west": [square(5.90, 50.90)], "east": [square(5.92, 50.90)]})
    assert projection.width == WIDTH
    west, east = projection.shapes["west"], projection.shapes["east"]
    assert west.label_x < east.label_x and west.label_y == east.label_y
    # the two squares side by side: twice as wide as high, a degree of longitude shortened
    # by the cosine of the latitude (0.63 at 50.9°)
    assert projection.height == pytest.approx((WIDTH - 2 * MARGIN) / 2 / 0.6307 + 2 * MARGIN, abs=2)
    first = re.match(r"M([\d.]+) ([\d.]+)", west.path)
    assert first is not None
    assert float(first.group(1)) == pytest.approx(MARGIN)  # the south-west corner, on the left
    assert float(first.group(2)) == pytest.approx(projection.height - MARGIN, abs=1)  # bottom
    assert west.path.count("L") == 3 and west.path.endswith("Z")


def test_a_label_is_drawn_only_where_it_fits():
    projection = project(
        {"big": [square(5.90, 50.90, 0.05)], "small": [square(5.96, 50.90, 0.002)]}
    )
    lines = ["Hoensbroek", "12 organisaties", "30 professionals"]
    assert [line.text for line in projection.shapes["big"].label(lines)] == lines
    assert projection.shapes["small"].label(lines) == []


# ---- the page ----------------------------------------------------------------------------------


@pytest.fixture
def kaart(town, hoensbroek, heerlen_noord):
    credit = town["counsellor"].organisations.get()
    practice = town["gp"].organisations.get()
    credit.neighbourhoods.set([hoensbroek, heerlen_noord])
    practice.neighbourhoods.set([hoensbroek])
    debt = ServiceTheme.objects.create(name="Schulden en geld", slug="schulden-en-geld")
    health = ServiceTheme.objects.create(name="Gezondheid en zorg", slug="gezondheid")
    credit.services.add(debt)
    practice.services.add(health)
    NeighbourhoodBoundary.objects.create(neighbourhood=hoensbroek, polygons=[square(5.90, 50.91)])
    NeighbourhoodBoundary.objects.create(
        neighbourhood=heerlen_noord, polygons=[square(5.92, 50.89)]
    )
    return town


@pytest.fixture
def viewer(client, kaart):
    client.force_login(kaart["gp"].user)
    return client


def page(client, **params) -> str:
    response = client.get(reverse("directory:social_map"), params)
    assert response.status_code == HTTPStatus.OK
    return response


def figures(response) -> dict[str, tuple[int, int, bool]]:
    return {
        row.neighbourhood.slug: (row.organisations, row.professionals, row.shape is not None)
        for row in response.context["overview"].rows
    }


def test_the_map_and_table_count_organisations_and_listed_professionals(viewer, kaart):
    response = page(viewer)
    # the unverified counsellor in Hoensbroek is not counted
    assert figures(response) == {"hoensbroek": (2, 2, True), "heerlen-noord": (1, 1, True)}
    html = response.content.decode()
    assert 'aria-label="Hoensbroek: 2 organisaties, 2 professionals"' in html
    assert 'aria-label="Heerlen Noord: 1 organisatie, 1 professional"' in html
    assert 'href="/directory/social-map/?neighbourhood=hoensbroek#organisations"' in html
    assert 'href="/directory/?neighbourhood=hoensbroek"' in html  # its professionals


def test_with_a_theme_the_map_counts_the_organisations_for_it(viewer):
    response = page(viewer, theme="gezondheid")
    assert figures(response) == {"hoensbroek": (1, 2, True), "heerlen-noord": (0, 1, True)}
    assert [t.slug for t in response.context["themes"]] == ["gezondheid"]
    assert (
        "?neighbourhood=hoensbroek&amp;theme=gezondheid#organisations" in response.content.decode()
    )


def test_theme_and_neighbourhood_filter_the_organisations(viewer):
    response = page(viewer, theme="schulden-en-geld", neighbourhood="heerlen-noord")
    listed = {t.slug: [o.name for o in t.listed] for t in response.context["themes"]}
    assert listed == {"schulden-en-geld": ["Schuldhulp Parkstad"]}
    html = response.content.decode()
    assert "Organisaties voor Schulden en geld in Heerlen Noord" in html
    assert re.search(r'<a[^>]*aria-current="true"[^>]*>Heerlen Noord</a>', html)


@pytest.mark.parametrize("params", [{"theme": "nope"}, {"neighbourhood": "nope"}])
def test_an_unknown_filter_value_is_404(viewer, params):
    assert viewer.get(reverse("directory:social_map"), params).status_code == HTTPStatus.NOT_FOUND


def test_a_neighbourhood_without_a_boundary_is_in_the_table_only(viewer):
    NeighbourhoodFactory(name="Heerlerbaan", slug="heerlerbaan")
    response = page(viewer)
    assert figures(response)["heerlerbaan"] == (0, 0, False)
    html = response.content.decode()
    assert "Heerlerbaan</a></th>" in html
    assert 'aria-label="Heerlerbaan' not in html


def test_without_boundaries_there_is_no_map(viewer):
    NeighbourhoodBoundary.objects.all().delete()
    html = page(viewer).content.decode()
    assert "<svg" not in html.split('id="areas-heading"')[1].split("</section>")[0]
    assert "Organisaties en professionals per wijk" in html


def test_the_page_query_count_does_not_grow_with_neighbourhoods(viewer, kaart):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            page(viewer)
        return len(queries)

    few = count()
    for n in range(5):
        extra = NeighbourhoodFactory(name=f"Buurt {n}", slug=f"buurt-{n}")
        NeighbourhoodBoundary.objects.create(
            neighbourhood=extra, polygons=[square(6 + n / 50, 50.8)]
        )
        OrganisationFactory().neighbourhoods.add(extra)
        ProfessionalFactory(neighbourhoods=[extra])
    assert count() == few
