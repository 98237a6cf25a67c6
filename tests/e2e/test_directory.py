from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

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
