"""What the browser tests share."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from accounts.models import User
    from tests.privacy.fixtures import CaseRoomWorld

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


def open_long_case_room(page: Page, server: str, messages: int = 25) -> CaseRoomWorld:
    """A case room with ``messages`` messages of its coordinator ("Verslag 1" …), opened in
    ``page`` by the coordinator, signed in with the second factor; waits until it is live.
    The caller lifts the message rate limit (settings.MESSAGE_RATE_LIMIT) for the set-up."""
    from django.conf import settings
    from django.test import Client

    from privacy import services
    from tests.privacy.fixtures import build_world, mark_signed_in

    world = build_world()
    for number in range(1, messages + 1):
        services.post_message(world.room.pk, author=world.coordinator, body=f"Verslag {number}")
    client = Client()
    client.force_login(world.coordinator)
    mark_signed_in(client, world.coordinator)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": server}]
    )
    open_room(page, f"{server}/cases/{world.room.pk}/")
    return world
