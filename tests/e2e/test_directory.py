from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e import session_cookie
from tests.e2e.axe import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_gp_searches_filters_by_neighbourhood_and_opens_a_profile(
    live_asgi_server,
    browser_page,
    town,
    client,
):
    client.force_login(town["gp"].user)
    cookie = client.cookies["sessionid"].value
    page = browser_page
    page.context.add_cookies(
        [{"name": "sessionid", "value": cookie, "url": f"http://{live_asgi_server}"}]
    )
    page.goto(f"http://{live_asgi_server}/directory/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wie is wie")

    page.get_by_role("textbox", name="Zoeken").fill("schuldhulpverlener")
    page.get_by_role("button", name="Zoeken", exact=True).click()
    expect(page.locator("#results-heading")).to_have_text("1 professional gevonden")
    expect(page.get_by_role("link", name="Sanne Claessens")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/directory/\?q=schuldhulpverlener&"))

    page.goto(f"http://{live_asgi_server}/directory/")
    facets = page.get_by_role("complementary")
    facets.get_by_role("link", name="Heerlen Noord").click()
    expect(page).to_have_url(f"http://{live_asgi_server}/directory/?neighbourhood=heerlen-noord")
    expect(page.get_by_role("link", name="Roos Wetzels")).to_be_visible()
    expect(page.get_by_role("link", name="Sanne Claessens")).to_have_count(0)

    page.get_by_role("link", name="Roos Wetzels").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Roos Wetzels")
    expect(page.get_by_text("Limburgs")).to_be_visible()
    expect(page.get_by_role("link", name="Contactkaart downloaden (vCard)")).to_be_visible()


def test_the_way_back_from_a_profile_leads_to_the_search_it_was_opened_from(
    live_asgi_server, browser_page, town
):
    server = f"http://{live_asgi_server}"
    page = browser_page
    page.context.add_cookies([session_cookie(town["nurse"].user, server)])
    page.goto(f"{server}/directory/")
    page.get_by_role("textbox", name="Zoeken").fill("huisarts")
    page.get_by_role("combobox", name="Sorteren op").select_option(label="Naam")
    page.get_by_role("button", name="Zoeken", exact=True).click()
    page.get_by_role("complementary").get_by_role("link", name=re.compile("^Hoensbroek")).click()
    search_url = page.url
    assert "q=huisarts" in search_url and "neighbourhood=hoensbroek" in search_url
    expect(page.locator("#results-heading")).to_have_text("1 professional gevonden")

    page.get_by_role("link", name="Bram Hermans").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bram Hermans")
    page.get_by_role("link", name="← Terug naar Wie is wie").click()

    # the same search (its empty fields left out)
    expect(page).to_have_url(f"{server}/directory/?q=huisarts&sort=name&neighbourhood=hoensbroek")
    expect(page.get_by_role("textbox", name="Zoeken")).to_have_value("huisarts")
    expect(page.get_by_role("combobox", name="Sorteren op")).to_have_value("name")
    expect(page.get_by_role("link", name=re.compile("Wijk: Hoensbroek"))).to_be_visible()
    expect(page.locator("#results-heading")).to_have_text("1 professional gevonden")
    expect(page.get_by_role("link", name="Bram Hermans")).to_be_visible()
    assert axe_violations(page) == []


def test_a_filter_chip_names_the_filter_as_the_form_does(live_asgi_server, browser_page, town):
    server = f"http://{live_asgi_server}"
    page = browser_page
    page.context.add_cookies([session_cookie(town["gp"].user, server)])
    page.goto(f"{server}/directory/?discipline=schuldhulpverlener&domain=debt&postcode=6432")

    chips = page.get_by_role("region", name="Actieve filters").get_by_role("link")
    expect(chips).to_have_text(
        [
            re.compile(r"^Postcode van de inwoner: 6432 \(Hoensbroek\)"),
            re.compile(r"^Domein: Schulden en armoede"),
            re.compile(r"^Discipline: Schuldhulpverlener"),
        ]
    )
    page.get_by_role("link", name=re.compile("^Discipline: Schuldhulpverlener")).click()
    expect(page).to_have_url(re.compile(r"/directory/\?domain=debt&postcode=6432$"))
    assert axe_violations(page) == []


def test_the_nav_bar_pagination_and_details_fit_a_phone_and_a_desktop(
    live_asgi_server, browser_page, town, client
):
    from tests.factories import ProfessionalFactory, UserFactory

    for number in range(45):
        ProfessionalFactory(user=UserFactory(display_name=f"Collega {number:02d}"))
    client.force_login(town["gp"].user)
    server = f"http://{live_asgi_server}"
    page = browser_page
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server}]
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/directory/?page=2")

    menu = page.get_by_role("navigation", name="Hoofdmenu")
    expect(menu.get_by_role("link", name="Wie is wie")).to_have_attribute("aria-current", "page")
    expect(menu.locator("[aria-current]")).to_have_count(1)
    for link in menu.get_by_role("link").all():
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 44

    pages = page.get_by_role("navigation", name="Pagina’s")
    current = pages.locator("[aria-current=page]")
    expect(current).to_have_text("Pagina 2")
    expect(pages.get_by_role("link", name="Pagina 3", exact=True)).to_be_visible()
    for link in pages.get_by_role("link").all():
        box = link.bounding_box()
        assert box and box["height"] >= 44 and box["x"] + box["width"] <= 390
        if "utrecht-pagination__page-link" in (link.get_attribute("class") or ""):
            assert box["width"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(page) == []
    pages.get_by_role("link", name="Volgende pagina").click()
    expect(page).to_have_url(re.compile(r"page=3$"))
    expect(
        page.get_by_role("navigation", name="Pagina’s").locator("[aria-current=page]")
    ).to_have_text("Pagina 3")

    # a profile's details: the key above its value on a phone, beside it on a desktop
    page.goto(f"{server}/directory/people/{town['nurse'].pk}/")
    key = page.locator("dt", has_text="Talen")
    value = key.locator("xpath=following-sibling::dd[1]")
    expect(value).to_have_text("Limburgs")
    assert key.bounding_box()["y"] + key.bounding_box()["height"] <= value.bounding_box()["y"]
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 1366, "height": 900})
    assert abs(key.bounding_box()["y"] - value.bounding_box()["y"]) < 2
    assert value.bounding_box()["x"] > key.bounding_box()["x"] + key.bounding_box()["width"]
