"""A profile opened from the directory's results leads back to that search (its words, filters,
order and page), and never anywhere but the directory; the active filters read as the form does."""

from __future__ import annotations

import re
from html import unescape
from http import HTTPStatus

import pytest
from django.urls import reverse

from tests.factories import ProfessionalFactory, UserFactory

pytestmark = pytest.mark.django_db

DIRECTORY = "/directory/"


@pytest.fixture
def searcher(client, town):
    client.force_login(town["nurse"].user)
    return client


def back_link(client, professional, **params) -> str:
    response = client.get(reverse("directory:professional", args=[professional.pk]), **params)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    match = re.search(r'<a [^>]*href="([^"]*)">← Terug naar Wie is wie</a>', html)
    assert match, html[:2000]
    return unescape(match.group(1))


def test_the_results_link_to_profiles_with_the_search_they_came_from(searcher, town, hoensbroek):
    for n in range(25):
        ProfessionalFactory(user=UserFactory(display_name=f"Huisarts {n:02}"), job_title="Huisarts",
                            neighbourhoods=[hoensbroek])  # fmt: skip
    response = searcher.get(
        reverse("directory:index"), {"q": "huisarts", "sort": "name", "postcode": "", "page": 2}
    )
    html = unescape(response.content.decode())
    first = response.context["page"].object_list[0]
    link = f"/directory/people/{first.pk}/?terug=q%3Dhuisarts%26sort%3Dname%26page%3D2"
    assert f'href="{link}"' in html
    query = link.split("?")[1]
    assert (
        back_link(searcher, first, QUERY_STRING=query) == "/directory/?q=huisarts&sort=name&page=2"
    )


def test_without_a_search_the_way_back_is_the_directory(searcher, town):
    assert back_link(searcher, town["gp"]) == DIRECTORY
    response = searcher.get(reverse("directory:index"))
    assert "?terug=" not in response.content.decode()


@pytest.mark.parametrize(
    "terug",
    [
        "https://evil.example/",
        "//evil.example/directory/",
        "next=https://evil.example/&redirect=//evil.example",
        "javascript:alert(1)",
        "q=" + "x" * 2000,
    ],
)
def test_the_way_back_leads_to_the_directory_whatever_is_passed(searcher, town, terug):
    assert back_link(searcher, town["gp"], data={"terug": terug}) == DIRECTORY


def test_only_the_parameters_of_a_search_are_passed_back(searcher, town):
    terug = "q=schuld&neighbourhood=hoensbroek&next=%2F%2Fevil.example&page=3&x=<script>"
    assert back_link(searcher, town["gp"], data={"terug": terug}) == (
        "/directory/?q=schuld&neighbourhood=hoensbroek&page=3"
    )


def test_a_same_site_search_in_the_referer_is_the_way_back(searcher, town):
    gp = town["gp"]
    search = "http://testserver/directory/?q=huisarts&domain=medical"
    assert back_link(searcher, gp, HTTP_REFERER=search) == "/directory/?q=huisarts&domain=medical"
    # another site, or another page of this one, is not
    assert back_link(searcher, gp, HTTP_REFERER="https://evil.example/directory/?q=x") == DIRECTORY
    assert back_link(searcher, gp, HTTP_REFERER="http://testserver/channels/?q=x") == DIRECTORY
    # the link's own parameter comes first
    assert back_link(searcher, gp, data={"terug": "q=bram"}, HTTP_REFERER=search) == (
        "/directory/?q=bram"
    )


def chips(response) -> list[str]:
    section = response.content.decode().split('id="active-filters-heading"')[1].split("</ul>")[0]
    return [
        " ".join(chip.split()) for chip in re.findall(r'class="wijk-chip"[^>]*>([^<]*)', section)
    ]


def test_the_chips_show_the_filters_labels_not_their_internal_values(searcher, town):
    response = searcher.get(
        reverse("directory:index"),
        {"discipline": "schuldhulpverlener", "domain": "debt", "neighbourhood": "hoensbroek",
         "organisation": "schuldhulp-parkstad", "language": "li", "postcode": " 6432ab"},
    )  # fmt: skip
    assert chips(response) == [
        "Postcode van de inwoner: 6432 AB (Hoensbroek)",
        "Wijk: Hoensbroek",
        "Domein: Schulden en armoede",
        "Discipline: Schuldhulpverlener",
        "Organisatie: Schuldhulp Parkstad",
        "Taal: Limburgs",
    ]


def test_a_chip_of_a_value_that_does_not_exist_shows_it_as_given(searcher):
    response = searcher.get(reverse("directory:index"), {"discipline": "astronaut", "q": "x"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert chips(response) == ["Discipline: astronaut"]
