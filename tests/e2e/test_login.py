from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_professional_logs_in_and_sees_the_dutch_navigation(
    live_asgi_server, browser_page, password
):
    user = UserFactory(email="anna@wijk.example", display_name="Anna de Vries", password=password)
    page = browser_page
    page.goto(f"http://{live_asgi_server}/")
    expect(page).to_have_url(f"http://{live_asgi_server}/accounts/login/?next=/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.get_by_label("E-mailadres", exact=True).fill(user.email)
    page.get_by_label("Wachtwoord", exact=True).fill(password)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(f"http://{live_asgi_server}/")
    navigation = page.get_by_role("navigation", name="Hoofdmenu")
    for label in ["Wie is wie", "Kanalen", "Kennisbank", "Casusruimtes"]:
        expect(navigation.get_by_role("link", name=label)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welkom, Anna")


def test_the_language_switch_turns_the_interface_english(live_asgi_server, browser_page):
    page = browser_page
    page.goto(f"http://{live_asgi_server}/accounts/login/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Sign In")).to_be_visible()


def test_the_login_page_fits_a_small_screen(live_asgi_server, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"http://{live_asgi_server}/accounts/login/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
