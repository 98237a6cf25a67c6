"""A programme manager who opens a part for professionals is told what is open to them, and
gets there in one click."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import session_cookie
from tests.e2e.axe import axe_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_programme_manager_is_sent_on_to_the_insights(live_asgi_server, browser_page):
    server = f"http://{live_asgi_server}"
    manager = UserFactory(display_name="Mark Programmamanager", roles=["programme_manager"])
    page = browser_page
    page.context.add_cookies([session_cookie(manager, server)])
    page.goto(f"{server}/")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Wie is wie").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dit deel is voor professionals")
    expect(
        page.get_by_text("Je bent hier als programmamanager, niet namens een organisatie.")
    ).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Inzichten voor de coalitie").click()
    expect(page).to_have_url(f"{server}/insights/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inzichten voor de coalitie")
