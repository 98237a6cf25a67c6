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
