"""The chat workspace in Chromium: the sidebar of channels and conversations with live counts,
and a message list grouped by day and by author."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from channels_app import services
from channels_app.models import Channel, Message
from tests.e2e import LIVE, open_long_case_room, open_room, session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _post(channel: Channel, author: User, body: str, at) -> None:
    message, _created = services.post_message(channel.pk, author=author, body=body)
    Message.objects.filter(pk=message.pk).update(created_at=at)


@pytest.fixture
def history(workspace) -> None:
    """Two messages of Bert's yesterday evening; this morning one of Anna's, then three of
    Bert's within a few minutes (posted before any browser starts: see test_chat)."""
    now = timezone.localtime()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = max(midnight, now - timedelta(minutes=10))  # today, also just after midnight
    channel, anna, bert = workspace.gezond, workspace.anna, workspace.bert
    _post(channel, bert, "Gisteren gesproken met de wijkagent.", midnight - timedelta(minutes=62))
    _post(channel, bert, "Hij komt volgende week langs.", midnight - timedelta(minutes=61))
    _post(channel, anna, "Fijn, dank je.", today)
    _post(channel, bert, "Nog een vraag over de beweeggroep.", today + timedelta(seconds=20))
    _post(channel, bert, "Zijn er nog plekken?", today + timedelta(seconds=60))
    _post(channel, bert, "Voor een gezin met twee kinderen.", today + timedelta(seconds=90))
    cache.clear()  # the rows were cached with the moment of posting


def _item(page: Page, name: str):
    return page.locator(".wijk-sidebar li.wijk-sidebar__item", has_text=name)


def test_the_sidebar_lists_every_room_and_follows_its_unread_count_live(workspace, pages):
    anna, bert = pages
    open_room(anna, workspace.url(workspace.gezond))
    sidebar = anna.get_by_role("navigation", name="Kanalen en gesprekken")
    expect(sidebar).to_be_visible()
    channels = sidebar.get_by_role("list", name="Kanalen")
    # channels by name (a closed one says so to screen readers), conversations by activity
    expect(channels.locator("li")).to_contain_text([
        "Geldzorgen Hoensbroek", "Samen Heerlen Gezond (besloten)",
    ])  # fmt: skip
    expect(sidebar.get_by_role("list", name="Directe berichten").locator("li")).to_contain_text(
        ["Bert Schuldhulp"]
    )
    current = sidebar.get_by_role("link", name="Samen Heerlen Gezond")
    expect(current).to_have_attribute("aria-current", "page")

    # Bert writes in the other channel and in the direct conversation: Anna's sidebar counts
    open_room(bert, workspace.url(workspace.schulden))
    bert.locator("[data-composer] textarea").fill("Wie kent de nieuwe budgetcursus?")
    bert.locator("[data-composer] textarea").press("Enter")
    badge = _item(anna, "Geldzorgen Hoensbroek").locator(".wijk-unread-badge")
    # the number on the screen, the whole phrase for screen readers
    expect(badge.locator("[aria-hidden=true]")).to_have_text("1", timeout=LIVE)
    expect(badge.locator(".wijk-visually-hidden")).to_have_text("1 ongelezen")
    # the counter is the NL Design System's badge counter, drawn by the page's script
    expect(badge).to_have_class("utrecht-badge-counter wijk-unread-badge")
    open_room(bert, workspace.url(workspace.direct))
    for text in ("Heb je even?", "Het gaat om een gezin in Maria Gewanden."):
        bert.locator("[data-composer] textarea").fill(text)
        bert.locator("[data-composer] textarea").press("Enter")
    direct_badge = _item(anna, "Bert Schuldhulp").locator(".wijk-unread-badge [aria-hidden=true]")
    expect(direct_badge).to_have_text("2", timeout=LIVE)
    # the room on the screen counts nothing: Bert writes here too
    open_room(bert, workspace.url(workspace.gezond))
    bert.locator("[data-composer] textarea").fill("Goedemorgen allemaal")
    bert.locator("[data-composer] textarea").press("Enter")
    expect(anna.locator("[data-messages] li.wijk-message", has_text="Goedemorgen")).to_have_count(
        1, timeout=LIVE
    )
    expect(_item(anna, "Samen Heerlen Gezond").locator(".wijk-unread-badge")).to_have_count(0)

    # a click in the sidebar opens the room; what was unread there is read
    _item(anna, "Bert Schuldhulp").get_by_role("link").click()
    expect(anna.locator(".wijk-room")).to_have_attribute("data-connection", "live", timeout=LIVE)
    expect(anna.locator("[data-messages] li.wijk-message")).to_have_count(2)
    expect(_item(anna, "Bert Schuldhulp").get_by_role("link")).to_have_attribute(
        "aria-current", "page"
    )
    expect(_item(anna, "Bert Schuldhulp").locator(".wijk-unread-badge")).to_have_count(0)
    expect(_item(anna, "Geldzorgen Hoensbroek").locator(".wijk-unread-badge")).to_have_count(1)


def test_messages_are_grouped_by_day_and_by_author(workspace, history, browser_page):
    channel = workspace.gezond
    page = browser_page
    page.context.add_cookies([session_cookie(workspace.anna, workspace.server)])
    open_room(page, workspace.url(channel))

    days = page.locator("[data-messages] > li.wijk-day-line")
    expect(days).to_have_text(["Gisteren", "Vandaag"])
    rows = page.locator("[data-messages] > li")
    expect(rows.nth(0)).to_have_text("Gisteren")
    expect(rows.nth(3)).to_have_text("Vandaag")
    messages = page.locator("[data-messages] > li.wijk-message")
    # Bert's second message of yesterday and his two later ones today continue his group
    continued = [
        "wijk-message--continued" in (messages.nth(i).get_attribute("class") or "")
        for i in range(6)
    ]
    assert continued == [False, True, False, False, True, True]
    # a group shows the photo or initial and the name once; readers still hear every name
    expect(messages.nth(0).locator(".wijk-message__avatar")).to_have_text("B")
    expect(messages.nth(0).locator(".wijk-message__avatar .wijk-avatar")).to_be_visible()
    expect(messages.nth(1).locator(".wijk-message__avatar .wijk-avatar")).to_be_hidden()
    expect(messages.nth(1).locator(".wijk-message__author")).to_have_text("Bert Schuldhulp")

    # a message sent now joins the group of today's last one, under "Vandaag"
    composer = page.locator("[data-composer] textarea")
    composer.fill("Ik kijk het na.")
    composer.press("Enter")
    expect(messages).to_have_count(7, timeout=LIVE)
    expect(page.locator(".wijk-message--pending")).to_have_count(0, timeout=LIVE)
    expect(days).to_have_text(["Gisteren", "Vandaag"])
    expect(messages.nth(6)).not_to_have_class("wijk-message--continued")
    composer.fill("Morgen hoor je van me.")
    composer.press("Enter")
    expect(messages).to_have_count(8, timeout=LIVE)
    expect(messages.nth(7)).to_have_class("wijk-message wijk-message--continued", timeout=LIVE)


def test_on_a_phone_the_sidebar_folds_away(workspace, browser_page):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.add_cookies([session_cookie(workspace.anna, workspace.server)])
    open_room(page, workspace.url(workspace.gezond))
    # the room itself is on the screen, its message box in view; the sidebar is folded away
    expect(page.locator("[data-composer] textarea")).to_be_in_viewport()
    fold = page.locator("[data-sidebar-fold]")
    expect(fold).not_to_have_attribute("open", "")
    expect(page.get_by_role("link", name="Geldzorgen Hoensbroek")).to_be_hidden()
    page.get_by_text("Kanalen en gesprekken", exact=True).click()
    expect(page.get_by_role("link", name="Geldzorgen Hoensbroek")).to_be_visible()
    page.get_by_role("link", name="Geldzorgen Hoensbroek").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Geldzorgen Hoensbroek")


def test_a_messages_buttons_work_without_javascript(workspace, history, browser_page):
    """The buttons of every row submit the page's one form, which carries the CSRF token."""
    context = browser_page.context.browser.new_context(java_script_enabled=False)
    try:
        context.add_cookies([session_cookie(workspace.anna, workspace.server)])
        page = context.new_page()
        page.goto(workspace.url(workspace.gezond))
        row = page.locator("[data-messages] > li.wijk-message", has_text="Zijn er nog plekken?")
        row.get_by_role("button", name="Duim omhoog geven").click()
        expect(page).to_have_url(re.compile(rf"/channels/{workspace.gezond.pk}/"))
        expect(row.locator(".wijk-reaction")).to_have_text("👍 1")
        mine = page.locator("[data-messages] > li.wijk-message", has_text="Fijn, dank je.")
        expect(mine).to_have_attribute("data-mine", "")
        mine = page.locator(f"#{mine.get_attribute('id')}")
        mine.locator("summary").click()  # "Meer acties"
        mine.get_by_role("button", name="Verwijderen").click()
        expect(mine.locator(".wijk-message__body")).to_have_text("Dit bericht is verwijderd.")
    finally:
        context.close()


def test_a_favourite_is_listed_first_without_leaving_the_room(workspace, pages):
    anna, _bert = pages
    open_room(anna, workspace.url(workspace.schulden))
    anna.evaluate("window.loadedOnce = true")
    sidebar = anna.get_by_role("navigation", name="Kanalen en gesprekken")
    star = anna.get_by_role("button", name="Favoriet")
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    favourites = sidebar.get_by_role("list", name="Favorieten")
    expect(favourites.get_by_role("link", name="Geldzorgen Hoensbroek")).to_be_visible()
    expect(favourites.get_by_role("link", name="Geldzorgen Hoensbroek")).to_have_attribute(
        "aria-current", "page"
    )
    channels = sidebar.get_by_role("list", name="Kanalen", exact=True)
    expect(channels.get_by_role("link", name="Geldzorgen Hoensbroek")).to_have_count(0)
    expect(channels.get_by_role("link", name=re.compile("Samen Heerlen Gezond"))).to_be_visible()
    assert anna.evaluate("window.loadedOnce === true"), "the page was loaded again"

    # the favourite comes first for Alt+↓ too, and it is kept
    anna.keyboard.press("Alt+ArrowDown")
    expect(anna.get_by_role("heading", level=1)).to_have_text(re.compile("Samen Heerlen Gezond"))
    anna.reload()
    expect(sidebar.get_by_role("list", name="Favorieten")).to_be_visible()
    sidebar.get_by_role("link", name="Geldzorgen Hoensbroek").click()
    expect(star).to_have_attribute("aria-pressed", "true")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "false")
    expect(sidebar.get_by_role("list", name="Favorieten")).to_have_count(0)
    expect(channels.get_by_role("link", name="Geldzorgen Hoensbroek")).to_be_visible()


def _assert_title_messages_and_box_in_view(page: Page, title: str) -> None:
    heading = page.get_by_role("heading", level=1, name=title).bounding_box()
    box = page.locator("[data-composer]").bounding_box()
    messages = page.locator("[data-messages]").bounding_box()
    assert heading is not None and box is not None and messages is not None
    window = page.viewport_size["height"]
    assert heading["y"] >= 0, heading
    assert box["y"] + box["height"] <= window + 1, (box, window)
    # the list between them takes the rest, and more than a few lines of it
    assert heading["y"] + heading["height"] <= messages["y"], (heading, messages)
    assert messages["y"] + messages["height"] <= box["y"], (messages, box)
    assert messages["height"] >= 256, messages


@pytest.mark.parametrize("height", [900, 768])
def test_the_rooms_title_messages_and_box_fit_the_window_together(
    workspace, browser_page, settings, height
):
    """As in every chat application: opening a long conversation on a laptop shows the room's
    title, its newest messages and the whole message box at once, also after the window changes
    its height (before, the list kept 65% of the window and the title was scrolled away). The
    list opens at the first message Anna has not read, as before."""
    channel = workspace.gezond
    channel.description = "Besloten kanaal van de pilot: medisch en sociaal domein samen."
    channel.save()
    settings.MESSAGE_RATE_LIMIT = (1_000, 10)  # in this process, for the set-up
    for number in range(30):
        services.post_message(channel.pk, author=workspace.bert, body=f"Bericht {number}")
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": height})
    page.context.add_cookies([session_cookie(workspace.anna, workspace.server)])
    open_room(page, workspace.url(channel))
    _assert_title_messages_and_box_in_view(page, "Samen Heerlen Gezond")

    page.set_viewport_size({"width": 1366, "height": height - 100})
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("[data-composer]").scroll_into_view_if_needed()
    _assert_title_messages_and_box_in_view(page, "Samen Heerlen Gezond")


def test_a_case_rooms_title_tabs_messages_and_box_fit_the_window_together(
    live_asgi_server, browser_page, settings
):
    """A case room's title and tabs stand above its conversation; they stay in view too."""
    settings.MESSAGE_RATE_LIMIT = (1_000, 10)  # in this process, for the set-up
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    world = open_long_case_room(page, f"http://{live_asgi_server}")
    _assert_title_messages_and_box_in_view(page, world.room.pseudonym)
    tabs = page.get_by_role("link", name="Gesprek").bounding_box()
    assert tabs is not None and tabs["y"] >= 0, tabs
