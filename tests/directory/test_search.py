from __future__ import annotations

from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.models import Domain
from tests.factories import (
    DisciplineFactory,
    NeighbourhoodFactory,
    ProfessionalFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [p.user.display_name for p in response.context["page"].object_list]


@pytest.fixture
def searcher(client, town):
    client.force_login(town["gp"].user)
    return client


def search(client, **params):
    response = client.get(reverse("directory:index"), params)
    assert response.status_code == HTTPStatus.OK, response.content.decode()[:2000]
    return response


def test_dutch_stemming_finds_a_debt_counsellor_for_schulden(searcher):
    assert names(search(searcher, q="schulden")) == ["Sanne Claessens"]


def test_a_misspelt_surname_still_finds_the_person(searcher):
    assert names(search(searcher, q="Klaessens")) == ["Sanne Claessens"]
    assert names(search(searcher, q="Hermanns")) == ["Bram Hermans"]


def test_a_misspelt_profession_still_finds_its_professionals(searcher):
    assert names(search(searcher, q="schuldhulpverlner")) == ["Sanne Claessens"]
    assert names(search(searcher, q="Schuldhulpverleener")) == ["Sanne Claessens"]


def test_a_word_in_the_job_title_finds_people(searcher):
    assert names(search(searcher, q="wijkverpleegkundige")) == ["Roos Wetzels"]


@pytest.mark.parametrize("postcode", ["6432", "6432 AB", "6432ab"])
def test_postcode_6432_finds_the_hoensbroek_professionals(searcher, postcode):
    response = search(searcher, postcode=postcode)
    assert sorted(names(response)) == ["Bram Hermans", "Sanne Claessens"]
    assert [n.name for n in response.context["result"].postcode_neighbourhoods] == ["Hoensbroek"]


@pytest.mark.parametrize("typed", ["6432", "6432 ab"])
def test_a_postcode_typed_in_the_search_box_searches_by_postcode(searcher, typed):
    response = searcher.get(reverse("directory:index"), {"q": typed, "domain": "debt"})
    assert response.status_code == HTTPStatus.FOUND
    assert parse_qs(urlsplit(response["Location"]).query) == {
        "postcode": [typed],
        "domain": ["debt"],
    }
    followed = searcher.get(response["Location"])
    assert names(followed) == ["Sanne Claessens"]
    assert followed.context["form"]["postcode"].value() == typed


def test_four_digits_outside_the_platform_stay_a_text_search(searcher):
    response = search(searcher, q="1234")
    assert names(response) == []
    assert response.context["form"]["q"].value() == "1234"


@pytest.mark.parametrize("postcode", ["6432  AB", "6432 A B", " 6432\tab "])
def test_a_postcode_with_extra_spaces_is_read_as_one(searcher, postcode):
    response = search(searcher, postcode=postcode)
    assert sorted(names(response)) == ["Bram Hermans", "Sanne Claessens"]


@pytest.fixture
def mariarade(town):
    """A neighbourhood within Hoensbroek's postcodes: 6432 is partly one, partly the other."""
    mariarade = NeighbourhoodFactory(name="Mariarade", slug="mariarade", postcodes=[(6432, 6432)])
    ProfessionalFactory(
        user=UserFactory(display_name="Lotte Mariarade"), neighbourhoods=[mariarade]
    )
    return mariarade


def test_a_postcode_in_two_neighbourhoods_finds_the_professionals_of_both(searcher, mariarade):
    response = search(searcher, postcode="6432")
    assert sorted(names(response)) == ["Bram Hermans", "Lotte Mariarade", "Sanne Claessens"]
    result = response.context["result"]
    assert [n.name for n in result.postcode_neighbourhoods] == ["Hoensbroek", "Mariarade"]
    assert {(f.value, f.selected) for f in result.facets["neighbourhood"]} == {
        ("hoensbroek", True),
        ("mariarade", True),
    }
    html = response.content.decode()
    heading = html[html.index('id="results-heading"') :].split("</h2>")[0]
    chip = html[html.index('class="wijk-chip"') :].split("</a>")[0]
    for text in (heading, chip):
        assert "Hoensbroek" in text and "Mariarade" in text
    # a postcode of Hoensbroek alone still finds only Hoensbroek
    assert sorted(names(search(searcher, postcode="6431"))) == ["Bram Hermans", "Sanne Claessens"]


def test_the_neighbourhood_of_a_postcode_is_unselected_by_removing_the_postcode(searcher, town):
    response = search(searcher, postcode="6432", domain=Domain.MEDICAL)
    [hoensbroek] = response.context["result"].facets["neighbourhood"]
    assert hoensbroek.selected
    assert hoensbroek.url == f"?domain={Domain.MEDICAL}"
    assert sorted(names(searcher.get(reverse("directory:index") + hoensbroek.url))) == [
        "Bram Hermans",
        "Roos Wetzels",
    ]
    # a neighbourhood chosen in the facet is unselected by itself
    response = search(searcher, postcode="6432", neighbourhood="hoensbroek")
    [hoensbroek] = response.context["result"].facets["neighbourhood"]
    assert hoensbroek.url == "?postcode=6432"


def test_an_unknown_postcode_is_a_clear_field_error(searcher):
    response = searcher.get(reverse("directory:index"), {"postcode": "1011"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "1011" in response.context["form"].errors["postcode"][0]
    response = searcher.get(reverse("directory:index"), {"postcode": "abc"})
    assert "postcode" in response.context["form"].errors


def test_an_unknown_filter_value_is_a_clear_error(searcher):
    response = searcher.get(reverse("directory:index"), {"discipline": "astronaut"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["discipline"]


def test_filters_narrow_and_facets_count(searcher, town):
    response = search(searcher, neighbourhood="hoensbroek")
    assert sorted(names(response)) == ["Bram Hermans", "Sanne Claessens"]
    facets = response.context["result"].facets
    assert {(f.value, f.count) for f in facets["domain"]} == {("debt", 1), ("medical", 1)}
    assert {(f.value, f.count, f.selected) for f in facets["neighbourhood"]} == {
        ("hoensbroek", 2, True)
    }
    response = search(searcher, domain=Domain.MEDICAL)
    assert sorted(names(response)) == ["Bram Hermans", "Roos Wetzels"]
    response = search(searcher, domain=Domain.MEDICAL, neighbourhood="heerlen-noord")
    assert names(response) == ["Roos Wetzels"]
    assert names(search(searcher, organisation="hp-kasteelpark", discipline="huisarts")) == [
        "Bram Hermans"
    ]
    assert names(search(searcher, language="li")) == ["Roos Wetzels"]


def test_the_url_holds_the_whole_query(searcher):
    response = search(searcher, q="huisarts", neighbourhood="hoensbroek", sort="name")
    html = response.content.decode()
    # removing a filter keeps the rest of the query
    assert "?q=huisarts&amp;sort=name" in html


def test_an_empty_result_is_helpful(searcher):
    response = search(searcher, q="tandarts")
    assert names(response) == []
    html = response.content.decode()
    assert "Niemand voldoet aan deze zoekopdracht" in html
    assert reverse("directory:social_map") in html


def test_sorting_by_name(searcher):
    assert names(search(searcher, sort="name")) == [
        "Bram Hermans",
        "Roos Wetzels",
        "Sanne Claessens",
    ]


def test_the_search_page_query_count_does_not_grow_with_results(searcher, town):
    discipline = DisciplineFactory(name="Welzijnswerker", slug="welzijnswerker")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            search(searcher, q="welzijn", sort="name")
        return len(queries)

    ProfessionalFactory(disciplines=[discipline], user=UserFactory(display_name="Eerste Welzijn"))
    few = count_queries()
    for n in range(15):
        ProfessionalFactory(disciplines=[discipline], user=UserFactory(display_name=f"Welzijn {n}"))
    many = count_queries()
    assert few == many
    assert many <= 20


@pytest.mark.parametrize(
    ("page", "shown"),
    [("2", 2), ("99", 3), ("0", 3), ("99999999999999999999999", 3), ("twee", 1), ("", 1)],
)
def test_a_page_out_of_range_shows_the_nearest_one(searcher, hoensbroek, page, shown):
    for n in range(45):
        ProfessionalFactory(
            user=UserFactory(display_name=f"Welzijnswerker {n:02}"), neighbourhoods=[hoensbroek]
        )
    response = search(searcher, q="welzijnswerker", sort="name", page=page)
    result_page = response.context["page"]
    assert result_page.number == shown
    assert result_page.paginator.count == 45
    first = (shown - 1) * 20
    assert names(response) == [f"Welzijnswerker {n:02}" for n in range(first, min(first + 20, 45))]
