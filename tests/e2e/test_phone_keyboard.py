"""On a phone the on-screen keyboard takes half the screen: the message box of a channel, of a
thread in its panel and of a case room stays in view above it, with the newest message just
above the box, in Chromium.

With ``interactive-widget=resizes-content`` (base.html) a phone's browser makes the page's
viewport smaller when the keyboard opens, as a smaller browser window would; the tests open the
keyboard by typing in the box and then shrinking the window to what a keyboard leaves of it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from channels_app import services
from tests.e2e import LIVE, open_long_case_room, open_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
WITH_KEYBOARD = {"width": 390, "height": 420}


def _type_with_the_keyboard_open(page: Page, room: Locator) -> None:
    box = room.locator("[data-composer] textarea")
    box.click()
    box.press_sequentially("Ik kom er")
    page.set_viewport_size(WITH_KEYBOARD)
    expect(box).to_be_focused()
    # the room follows the smaller screen as the page resizes: wait until it has settled
    composer = room.locator("[data-composer]")
    page.wait_for_function(
        """(composer) => {
            const box = composer.getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight + 1;
        }""",
        arg=composer.element_handle(),
        timeout=LIVE,
    )


def _assert_box_and_newest_message_in_view(page: Page, room: Locator, newest: str) -> None:
    height = WITH_KEYBOARD["height"]
    composer = room.locator("[data-composer]").bounding_box()
    send = room.get_by_role("button", name="Versturen").bounding_box()
    box = room.locator("[data-composer] textarea").bounding_box()
    list_box = room.locator("[data-messages]").bounding_box()
    last = room.locator("[data-messages] > li.wijk-message").last
    expect(last).to_contain_text(newest)
    message = last.bounding_box()
    assert composer and send and box and list_box and message
    for name, part in [("message box", composer), ("text box", box), ("send button", send)]:
        # (within a pixel: the page scrolls by whole pixels)
        assert part["y"] >= 0 and part["y"] + part["height"] <= height + 1, (name, part)
    # the newest message, whole, inside the list's visible part, on the screen, above the box
    assert message["y"] >= max(list_box["y"], 0) - 0.5, (message, list_box)
    assert message["y"] + message["height"] <= list_box["y"] + list_box["height"] + 0.5
    assert message["y"] + message["height"] <= composer["y"], (message, composer)
    # and the list is not squeezed to nothing: a few lines of the conversation show
    assert list_box["height"] >= 100, list_box


def test_the_viewport_lets_the_keyboard_shrink_the_page(workspace, pages):
    anna, _bert = pages
    open_room(anna, workspace.url(workspace.gezond))
    viewport = anna.locator("meta[name=viewport]").get_attribute("content") or ""
    assert "interactive-widget=resizes-content" in viewport


def test_a_channels_message_box_stays_above_the_keyboard(workspace, pages, settings):
    anna, bert = pages
    settings.MESSAGE_RATE_LIMIT = (1_000, 10)  # in this process, for the set-up
    for number in range(1, 31):
        author = workspace.anna if number % 3 else workspace.bert
        services.post_message(workspace.gezond.pk, author=author, body=f"Bericht {number}")
    open_room(bert, workspace.url(workspace.gezond))
    anna.set_viewport_size(PHONE)
    open_room(anna, workspace.url(workspace.gezond))
    room = anna.locator(".wijk-room:not(.wijk-thread-panel)")
    _type_with_the_keyboard_open(anna, room)
    _assert_box_and_newest_message_in_view(anna, room, "Bericht 30")

    # a message arriving while the keyboard is open shows above the box too
    # sent by Bert's browser: the server runs in a process of its own, which a post from this
    # one reaches only through a shared channel layer (Redis)
    bert.locator(".wijk-room [data-composer] textarea").fill("Bericht 31")
    bert.locator(".wijk-room [data-composer] textarea").press("Enter")
    expect(room.locator("[data-messages] > li.wijk-message").last).to_contain_text(
        "Bericht 31", timeout=LIVE
    )
    _assert_box_and_newest_message_in_view(anna, room, "Bericht 31")

    # the keyboard closes: the list grows back and still ends with the newest message
    anna.set_viewport_size(PHONE)
    expect(room.locator("[data-messages] > li.wijk-message").last).to_be_in_viewport()


def test_a_long_conversation_does_not_lengthen_a_phones_page(workspace, pages, settings):
    """The list scrolls by itself; what it hides (each message's toolbar, until the message is
    tapped) stays inside it, so the page ends with its footer, not with screens of nothing."""
    anna, _bert = pages
    settings.MESSAGE_RATE_LIMIT = (1_000, 10)  # in this process, for the set-up
    for number in range(1, 41):
        services.post_message(workspace.gezond.pk, author=workspace.bert, body=f"Bericht {number}")
    anna.set_viewport_size(PHONE)
    open_room(anna, workspace.url(workspace.gezond))

    page_end, footer_end = anna.evaluate(
        """() => [document.documentElement.scrollHeight,
                  document.querySelector('body > footer, footer').getBoundingClientRect().bottom
                  + window.scrollY]"""
    )
    assert page_end <= footer_end + 1, (page_end, footer_end)


def test_a_threads_reply_box_stays_above_the_keyboard(workspace, pages, settings):
    anna, _bert = pages
    settings.MESSAGE_RATE_LIMIT = (1_000, 10)  # in this process, for the set-up
    question, _ = services.post_message(
        workspace.gezond.pk, author=workspace.bert, body="Wie gaat er naar de budgetcursus?"
    )
    for number in range(1, 21):
        services.post_message(
            workspace.gezond.pk, author=workspace.bert, body=f"Reactie {number}",
            parent_id=question.pk,
        )  # fmt: skip
    anna.set_viewport_size(PHONE)
    open_room(anna, workspace.url(workspace.gezond))
    anna.locator(".wijk-room [data-messages] > li.wijk-message").filter(
        has_text="budgetcursus"
    ).get_by_role("link", name="20 reacties").click()
    panel = anna.get_by_role("complementary", name=re.compile("^Draad"))
    expect(panel).to_have_attribute("data-connection", "live", timeout=LIVE)
    _type_with_the_keyboard_open(anna, panel)
    _assert_box_and_newest_message_in_view(anna, panel, "Reactie 20")


def test_a_case_rooms_message_box_stays_above_the_keyboard(
    live_asgi_server, browser_page, settings
):
    settings.MESSAGE_RATE_LIMIT = (1_000, 10)  # in this process, for the set-up
    page = browser_page
    page.set_viewport_size(PHONE)
    open_long_case_room(page, f"http://{live_asgi_server}")
    room = page.locator(".wijk-case-room")
    _type_with_the_keyboard_open(page, room)
    _assert_box_and_newest_message_in_view(page, room, "Verslag 25")
