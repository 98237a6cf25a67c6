"""What the browser tests share."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from accounts.models import User

# The browser's time zone in the page tests: far from the site's (Europe/Amsterdam), so that a
# time a script wrote in the browser's zone instead of the site's would show.
BROWSER_TIME_ZONE = "Asia/Tokyo"

LIVE = 10_000  # ms: how long a live update may take to show

# A moment of this year as the pages write it in Dutch: "6 dec., 14:05", "1 mei, 09:30".
SHORT_MOMENT = (
    r"^\d{1,2} (jan\.|feb\.|mrt\.|apr\.|mei|jun\.|jul\.|aug\.|sep\.|okt\.|nov\.|dec\.),"
    r" \d{2}:\d{2}$"
)


def session_cookie(user: User, server: str) -> dict[str, str]:
    """A signed-in session for ``user``, as a cookie for a browser context."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server}


def open_room(page: Page, url: str) -> None:
    """Opens a room's page and waits until its socket is live."""
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.locator(".wijk-room")).to_have_attribute("data-connection", "live", timeout=LIVE)
