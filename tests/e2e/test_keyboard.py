"""Keyboard only, in Chromium: chat and search work without a mouse.

Every step presses keys (Tab, Shift+Tab, Enter, Space, typing) and nothing else. On every stop
the focused element must show a visible focus indicator, and focus must never get stuck: Tab
always moves on, and a full round through a page comes back to where it started.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from accounts.models import User
from channels_app import services
from channels_app.models import Channel
from tests.factories import ProfessionalFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 10_000  # ms
#: Tab presses one field may keep (day, month, year and calendar button of a date field)
SEGMENTS = 4

#: what is focused, whether it shows it, and whether it matches ``selector``
FOCUSED = """(selector) => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  if (!el.dataset.kbStop) {
    window.__kbStops = (window.__kbStops || 0) + 1;
    el.dataset.kbStop = String(window.__kbStops);
  }
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const name = (el.getAttribute('aria-label') || el.innerText || el.value || el.name || el.id || '')
    .trim().replace(/\\s+/g, ' ').slice(0, 60);
  return {id: el.dataset.kbStop, tag: el.tagName.toLowerCase(), name,
          visible: Boolean(outline || shadow), matches: selector ? el.matches(selector) : false};
}"""


@dataclass
class People:
    channel: Channel
    anna: User
    bert: User


@pytest.fixture
def people(transactional_db) -> People:
    anna = ProfessionalFactory(user=UserFactory(display_name="Anna Huisarts")).user
    bert = ProfessionalFactory(
        user=UserFactory(display_name="Bert Schuldhulp"), job_title="Schuldhulpverlener"
    ).user
    channel = services.create_channel(by=anna, kind="open", name="Samen Heerlen Gezond")
    services.join(channel, bert)
    services.post_message(channel.pk, author=bert, body="Zijn er nog plekken bij de beweeggroep?")
    return People(channel, anna, bert)


def _sign_in(page: Page, user: User, server: str) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server}]
    )


class Keyboard:
    """Moves through a page with Tab and Shift+Tab, checking every stop."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def focused(self, selector: str = "") -> dict | None:
        return self.page.evaluate(FOCUSED, selector)

    def tab_to(self, selector: str, *, backwards: bool = False, limit: int = 80) -> dict:
        stops: list[str] = []
        previous, repeats = None, 0
        for _press in range(limit):
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            stop = self.focused(selector)
            if stop is None:  # focus left the document (past the last element): go on
                previous = None
                continue
            # a date field keeps focus while Tab moves through its day, month and year
            repeats = repeats + 1 if stop["id"] == previous else 0
            assert repeats < SEGMENTS, f"focus is stuck on {stop}"
            # inside a date field the browser draws the focus on the part itself
            assert stop["visible"] or repeats, f"no visible focus indicator on {stop}"
            stops.append(f"{stop['tag']}:{stop['name']}")
            if stop["matches"]:
                return stop
            previous = stop["id"]
        raise AssertionError(f"{selector} not reached with the keyboard; went through {stops}")

    def round_trip(self, limit: int = 250) -> int:
        """Tab through the whole page and back to the first stop; returns the number of stops."""
        first = self.focused()
        assert first is not None
        seen = {first["id"]}
        for _press in range(limit):
            self.page.keyboard.press("Tab")
            stop = self.focused()
            if stop is None:
                continue
            assert stop["visible"], f"no visible focus indicator on {stop}"
            if stop["id"] == first["id"]:
                return len(seen)
            seen.add(stop["id"])
        raise AssertionError(f"Tab never came back to the start: a trap among {len(seen)} stops")


def test_chat_with_the_keyboard_only(people, live_asgi_server, browser_page):
    server = f"http://{live_asgi_server}"
    page = browser_page
    _sign_in(page, people.anna, server)
    keys = Keyboard(page)
    page.goto(f"{server}/channels/")

    # the first Tab reaches the skip link, which moves focus to the main content
    skip = keys.tab_to("a.utrecht-skip-link", limit=1)
    assert skip["name"] == "Naar de inhoud"
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()

    # open the channel from the list
    keys.tab_to(f'a[href="/channels/{people.channel.pk}/"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Samen Heerlen Gezond")
    expect(page.locator(".wijk-room")).to_have_attribute("data-connection", "live", timeout=LIVE)

    # the cursor is in the message box: write and send with Enter
    expect(page.locator("textarea[name=body]")).to_be_focused()
    page.keyboard.type("Ja, dinsdag zijn er nog drie plekken.")
    page.keyboard.press("Enter")
    sent = page.locator(".wijk-message", has_text="Ja, dinsdag zijn er nog drie plekken.")
    expect(sent).to_be_visible(timeout=LIVE)
    expect(page.locator("textarea[name=body]")).to_be_focused()
    expect(page.locator("textarea[name=body]")).to_have_value("")

    # react to Bert's message with Space, going back up from the composer
    question = page.locator(".wijk-message", has_text="beweeggroep")
    keys.tab_to(f"#{question.get_attribute('id')} button[name=emoji]", backwards=True)
    page.keyboard.press("Space")
    expect(question.locator(".wijk-reactions")).to_contain_text("1", timeout=LIVE)

    # open the thread with Enter and reply there, in the panel next to the channel
    keys.tab_to(f"#{question.get_attribute('id')} .wijk-message__actions a[href*='/threads/']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/threads/\d+/"))
    panel = page.locator(".wijk-thread-panel")
    expect(panel.locator("textarea[name=body]")).to_be_focused()
    page.keyboard.type("Ik geef het door aan de praktijkondersteuner.")
    page.keyboard.press("Enter")
    expect(panel.get_by_text("Ik geef het door aan de praktijkondersteuner.")).to_be_visible(
        timeout=LIVE
    )
    # and close it from the keyboard: the focus goes back to where the thread was opened
    keys.tab_to(".wijk-thread-panel [data-close-panel]", backwards=True)
    page.keyboard.press("Enter")
    expect(panel).to_have_count(0)
    # (on the link that opened it, or on "1 reactie" once the row shows the new count)
    expect(question.locator("a[href*='/threads/']:focus")).to_have_count(1)

    # no trap anywhere on the page: a full round of Tab comes back to the start
    page.goto(f"{server}/channels/{people.channel.pk}/")
    expect(page.locator(".wijk-room")).to_have_attribute("data-connection", "live", timeout=LIVE)
    expect(page.locator("textarea[name=body]")).to_be_focused()
    assert keys.round_trip() > 10


def test_the_message_box_is_one_tab_from_the_top(people, live_asgi_server, browser_page):
    server = f"http://{live_asgi_server}"
    page = browser_page
    _sign_in(page, people.anna, server)
    keys = Keyboard(page)
    # on a phone the box waits for a tap (on a wider screen the cursor starts in it)
    page.set_viewport_size({"width": 390, "height": 844})
    channel = f"/channels/{people.channel.pk}/"
    for path in (channel, f"{channel}threads/{people.channel.messages.get().pk}/"):
        page.goto(f"{server}{path}")
        expect(page.locator(".wijk-room")).to_have_attribute(
            "data-connection", "live", timeout=LIVE
        )
        expect(page.locator("textarea[name=body]")).not_to_be_focused()
        # from the top of the page: one Tab to the skip link, Enter puts the cursor in the box
        skip = keys.tab_to("a.utrecht-skip-link", limit=1)
        assert skip["name"] == "Naar het berichtvak"
        page.keyboard.press("Enter")
        expect(page.locator("textarea[name=body]")).to_be_focused()
        page.keyboard.type("Via de sneltoets")
        expect(page.locator("textarea[name=body]")).to_have_value("Via de sneltoets")


def test_search_with_the_keyboard_only(people, live_asgi_server, browser_page):
    server = f"http://{live_asgi_server}"
    page = browser_page
    _sign_in(page, people.anna, server)
    keys = Keyboard(page)

    # the directory: type a query, submit with Enter, narrow with a filter, open a result
    page.goto(f"{server}/directory/")
    keys.tab_to("input[name=q]")
    page.keyboard.type("Schuldhulp")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=Schuldhulp"))
    expect(page.locator("#results-heading")).to_contain_text("gevonden")
    keys.tab_to(".wijk-facets a")
    page.keyboard.press("Enter")
    expect(page.locator(".wijk-chips")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=Schuldhulp"))
    keys.tab_to(".wijk-person__name a")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bert Schuldhulp")
    keys.tab_to("a.utrecht-skip-link", backwards=True)
    assert keys.round_trip() > 5

    # the messages: search, then jump to the message
    page.goto(f"{server}/channels/search/")
    keys.tab_to("input[name=q]")
    page.keyboard.type("beweeggroep")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=beweeggroep"))
    keys.tab_to('.wijk-search-results a[href*="/channels/"]')
    page.keyboard.press("Enter")
    expect(page.locator(".wijk-message", has_text="beweeggroep")).to_be_visible()
