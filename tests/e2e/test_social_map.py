"""The social map in the browser: the neighbourhoods on a map drawn by the server and in a table,
each a link to the organisations that work there, reachable and named for the keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from directory.models import NeighbourhoodBoundary, ServiceTheme
from tests.e2e import session_cookie
from tests.e2e.axe import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rectangle(west: float, south: float, east: float, north: float) -> list:
    return [[[[west, south], [east, south], [east, north], [west, north], [west, south]]]]


@pytest.fixture
def kaart(town, hoensbroek, heerlen_noord):
    """Two neighbourhoods side by side; debt help in both, a practice in Hoensbroek only."""
    counsellor, gp = town["counsellor"], town["gp"]
    credit = counsellor.organisations.get()
    practice = gp.organisations.get()
    credit.neighbourhoods.set([hoensbroek, heerlen_noord])
    practice.neighbourhoods.set([hoensbroek])
    debt = ServiceTheme.objects.create(name="Schulden en geld", slug="schulden-en-geld")
    health = ServiceTheme.objects.create(name="Gezondheid en zorg", slug="gezondheid", position=1)
    credit.services.add(debt)
    practice.services.add(health)
    NeighbourhoodBoundary.objects.create(
        neighbourhood=hoensbroek, polygons=rectangle(5.90, 50.91, 5.95, 50.945)
    )
    NeighbourhoodBoundary.objects.create(
        neighbourhood=heerlen_noord, polygons=rectangle(5.95, 50.89, 6.00, 50.925)
    )
    return town


def test_a_neighbourhood_on_the_map_leads_to_its_organisations_by_keyboard(
    kaart, live_asgi_server, browser_page
):
    server = f"http://{live_asgi_server}"
    page = browser_page
    page.context.add_cookies([session_cookie(kaart["gp"].user, server)])
    page.goto(f"{server}/directory/social-map/")

    kaart_map = page.get_by_role("group", name="Kaart van de wijken")
    hoensbroek = kaart_map.get_by_role("link", name="Hoensbroek: 2 organisaties, 2 professionals")
    expect(hoensbroek).to_be_visible()
    expect(
        kaart_map.get_by_role("link", name="Heerlen Noord: 1 organisatie, 1 professional")
    ).to_be_visible()
    # the same figures in the table
    table = page.get_by_role("table", name="Organisaties en professionals per wijk")
    expect(table.get_by_role("row", name=re.compile("^Hoensbroek"))).to_contain_text("2")
    expect(table.locator("tbody tr")).to_have_text(
        [re.compile(r"Heerlen Noord\s*1\s*1"), re.compile(r"Hoensbroek\s*2\s*2")]
    )
    assert axe_violations(page) == []

    # from the filter form's button, the next stops are the neighbourhoods on the map
    page.get_by_role("button", name="Toon").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(hoensbroek).to_be_focused()
    # the focused neighbourhood's outline is drawn thick in the focus colour
    outline = hoensbroek.locator("path")
    assert outline.evaluate("p => getComputedStyle(p).strokeWidth") == "4px"
    page.keyboard.press("Enter")

    expect(page).to_have_url(
        f"{server}/directory/social-map/?neighbourhood=hoensbroek#organisations"
    )
    expect(page.get_by_role("heading", name="Organisaties in Hoensbroek")).to_be_visible()
    expect(page.get_by_role("link", name="Schuldhulp Parkstad")).to_be_visible()
    expect(page.get_by_role("link", name="Huisartsenpraktijk Kasteelpark")).to_be_visible()
    expect(page.get_by_role("combobox", name="Wijk")).to_have_value("hoensbroek")
    current = page.get_by_role("group", name="Kaart van de wijken").locator("a[aria-current]")
    expect(current).to_have_attribute("aria-label", re.compile("^Hoensbroek:"))


def test_the_theme_filter_narrows_the_list_and_the_counts(kaart, live_asgi_server, browser_page):
    server = f"http://{live_asgi_server}"
    page = browser_page
    page.context.add_cookies([session_cookie(kaart["gp"].user, server)])
    page.goto(f"{server}/directory/social-map/")

    page.get_by_role("combobox", name="Thema").select_option(label="Gezondheid en zorg")
    page.get_by_role("button", name="Toon").click()

    expect(page).to_have_url(re.compile(r"theme=gezondheid"))
    expect(page.get_by_role("heading", name="Organisaties voor Gezondheid en zorg")).to_be_visible()
    expect(page.get_by_role("heading", name="Schulden en geld")).to_have_count(0)
    expect(page.get_by_role("link", name="Schuldhulp Parkstad")).to_have_count(0)
    # the map counts what its links show: the organisations for this theme
    link = page.get_by_role("link", name="Heerlen Noord: 0 organisaties, 1 professional")
    expect(link).to_have_attribute(
        "href", re.compile(r"neighbourhood=heerlen-noord&theme=gezondheid")
    )
    link.click()
    expect(
        page.get_by_role("heading", name="Organisaties voor Gezondheid en zorg in Heerlen Noord")
    ).to_be_visible()
    expect(page.get_by_text("Hier biedt nog geen organisatie dit aan.")).to_be_visible()
    assert axe_violations(page) == []
