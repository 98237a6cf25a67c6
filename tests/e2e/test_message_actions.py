"""What a reader does with a message, in Chromium with two members live: the toolbar on hover,
focus and tap, edit in place, delete with a confirmation and undo, the reaction picker by
keyboard, reactions as buttons, and copying a message's link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from channels_app import services
from channels_app.models import Channel, Message
from tests.e2e import BROWSER_TIME_ZONE, LIVE, open_room, session_cookie
from tests.e2e.axe import axe_violations
from tests.factories import ProfessionalFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNDO = 5_000  # ms: how long a deletion can be undone (static/js/actions.js)


@dataclass
class Room:
    channel: Channel
    anna: User
    bert: User
    server: str
    anna_page: Page
    bert_page: Page

    @property
    def url(self) -> str:
        return f"{self.server}/channels/{self.channel.pk}/"


@pytest.fixture
def room(transactional_db, live_asgi_server, browser_page) -> Iterator[Room]:
    """Anna and Bert in one channel, each with a message in it, on two desktops."""
    anna = ProfessionalFactory(user=UserFactory(display_name="Anna Huisarts")).user
    bert = ProfessionalFactory(user=UserFactory(display_name="Bert Schuldhulp")).user
    channel = services.create_channel(by=anna, kind="open", name="Samen Heerlen Gezond")
    services.join(channel, bert)
    services.post_message(channel.pk, author=bert, body="Wie kent de nieuwe budgetcursus?")
    services.post_message(channel.pk, author=anna, body="Ik bel morgen de POH.")
    server = f"http://{live_asgi_server}"
    browser_page.context.add_cookies([session_cookie(anna, server)])
    other = browser_page.context.browser.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id=BROWSER_TIME_ZONE
    )
    other.add_cookies([session_cookie(bert, server)])
    try:
        yield Room(channel, anna, bert, server, browser_page, other.new_page())
    finally:
        other.close()


def _message(page: Page, text: str):
    return page.locator("[data-messages] > li.wijk-message", has_text=text)


def _opacity(locator) -> str:
    return locator.evaluate("element => getComputedStyle(element).opacity")


def test_arrow_up_edits_the_last_message_in_place_and_the_other_member_sees_it(room):
    anna, bert = room.anna_page, room.bert_page
    open_room(anna, room.url)
    open_room(bert, room.url)
    box = anna.locator("[data-composer] textarea")
    expect(box).to_be_focused()

    # Escape leaves the message as it was and gives the cursor back to the message box
    box.press("ArrowUp")
    edit = _message(anna, "Ik bel morgen").get_by_role("textbox", name="Bericht bewerken")
    expect(edit).to_be_focused()
    expect(edit).to_have_value("Ik bel morgen de POH.")
    edit.press("Escape")
    expect(edit).to_have_count(0)
    expect(box).to_be_focused()

    # an empty message is refused in the form, which keeps its place
    box.press("ArrowUp")
    expect(edit).to_be_focused()
    edit.fill("   ")
    edit.press("Enter")
    expect(_message(anna, "Ik bel morgen").get_by_role("alert")).to_have_text(
        "Een bericht kan niet leeg zijn. Verwijder het liever."
    )

    edit.fill("Ik bel vandaag de POH-GGZ.")
    edit.press("Enter")
    expect(edit).to_have_count(0, timeout=LIVE)
    expect(box).to_be_focused()
    seen = _message(bert, "Ik bel vandaag de POH-GGZ.")
    expect(seen.locator(".wijk-message__edited")).to_have_text("(bewerkt)", timeout=LIVE)
    expect(_message(anna, "Ik bel vandaag")).to_have_count(1)
    message = Message.objects.get(channel=room.channel, author=room.anna)
    assert message.body == "Ik bel vandaag de POH-GGZ." and message.edited_at is not None

    # only the author is offered the edit
    expect(seen.get_by_role("link", name="Bewerken")).to_be_hidden()
    bert.locator("[data-composer] textarea").press("ArrowUp")
    expect(_message(bert, "budgetcursus").get_by_role("textbox")).to_be_focused()


def test_an_edit_in_progress_survives_a_reaction_from_someone_else(room):
    anna, bert = room.anna_page, room.bert_page
    open_room(anna, room.url)
    open_room(bert, room.url)
    anna.locator("[data-composer] textarea").press("ArrowUp")
    edit = anna.get_by_role("textbox", name="Bericht bewerken")
    edit.press_sequentially(" Of overmorgen.")
    _message(bert, "Ik bel morgen").get_by_role("button", name="Duim omhoog geven").click()
    expect(_message(anna, "Ik bel morgen").locator(".wijk-reaction")).to_have_text(
        "👍 1", timeout=LIVE
    )
    expect(edit).to_be_focused()
    expect(edit).to_have_value("Ik bel morgen de POH. Of overmorgen.")
    edit.press("Enter")
    expect(_message(bert, "Of overmorgen.")).to_have_count(1, timeout=LIVE)


def test_delete_asks_first_and_can_be_undone_for_a_few_seconds(room):
    anna, bert = room.anna_page, room.bert_page
    open_room(anna, room.url)
    open_room(bert, room.url)
    mine = _message(anna, "Ik bel morgen")
    dialog = anna.get_by_role("dialog", name="Dit bericht verwijderen?")

    def ask() -> None:
        mine.hover()
        mine.get_by_label("Meer acties").click()
        mine.get_by_role("button", name="Verwijderen").click()
        expect(dialog).to_be_visible()

    # cancelling changes nothing
    ask()
    expect(dialog.get_by_role("button", name="Annuleren")).to_be_focused()
    dialog.get_by_role("button", name="Annuleren").click()
    expect(dialog).to_be_hidden()
    expect(mine).to_be_visible()

    # deleting takes it away at once and can be undone
    ask()
    dialog.get_by_role("button", name="Verwijderen").click()
    expect(mine).to_be_hidden()
    notice = anna.get_by_role("status").filter(has_text="Bericht verwijderd.")
    notice.get_by_role("button", name="Ongedaan maken").click()
    expect(mine).to_be_visible()
    expect(anna.get_by_role("status").filter(has_text="Het bericht staat er weer.")).to_be_visible()
    anna.wait_for_timeout(UNDO + 500)
    expect(_message(bert, "Ik bel morgen").locator(".wijk-message__body")).to_have_text(
        "Ik bel morgen de POH."
    )
    assert not Message.objects.get(channel=room.channel, author=room.anna).is_deleted

    # once the seconds are over the deletion is sent and reaches the other member
    ask()
    dialog.get_by_role("button", name="Verwijderen").click()
    tombstone = bert.locator("[data-messages] > li.wijk-message--deleted")
    expect(tombstone.locator(".wijk-message__body")).to_have_text(
        "Dit bericht is verwijderd.", timeout=UNDO + LIVE
    )
    assert Message.objects.get(channel=room.channel, author=room.anna).is_deleted


def test_a_deletion_waiting_for_its_undo_is_sent_when_the_page_is_left(room):
    anna = room.anna_page
    open_room(anna, room.url)
    mine = _message(anna, "Ik bel morgen")
    mine.hover()
    mine.get_by_label("Meer acties").click()
    mine.get_by_role("button", name="Verwijderen").click()
    anna.get_by_role("dialog").get_by_role("button", name="Verwijderen").click()
    expect(mine).to_be_hidden()
    anna.goto(f"{room.url}members/")
    anna.goto(room.url)
    # the deletion was sent as the page went (past the service worker) and shows
    expect(anna.locator("[data-messages] > li.wijk-message--deleted")).to_have_count(
        1, timeout=LIVE
    )


def test_the_reaction_picker_works_by_keyboard_and_with_search(room):
    anna, bert = room.anna_page, room.bert_page
    open_room(anna, room.url)
    open_room(bert, room.url)
    theirs = _message(anna, "budgetcursus")
    trigger = theirs.get_by_role("button", name="Kies een emoji")
    picker = anna.get_by_role("dialog", name="Kies een emoji")
    search = picker.get_by_role("searchbox", name="Zoek een emoji")

    trigger.focus()
    expect(trigger).to_have_css("opacity", "1")  # the toolbar shows while it has focus
    trigger.press("Enter")
    expect(picker).to_be_visible()
    expect(search).to_be_focused()
    # the arrow keys move through the emoji, Escape closes and returns to the button
    search.press("ArrowDown")
    expect(picker.get_by_role("button", name="duim omhoog")).to_be_focused()
    anna.keyboard.press("ArrowRight")
    expect(picker.get_by_role("button", name="hart")).to_be_focused()
    anna.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    expect(trigger).to_be_focused()

    trigger.press("Enter")
    search.fill("xyz")
    expect(picker.get_by_text("Geen emoji gevonden.")).to_be_visible()
    search.fill("gefeliciteerd")
    expect(picker.get_by_role("button")).to_have_count(1)
    search.press("Enter")
    expect(picker).to_be_hidden()
    expect(trigger).to_be_focused()
    chip = _message(bert, "budgetcursus").locator(".wijk-reaction")
    expect(chip).to_have_text("🎉 1", timeout=LIVE)
    expect(chip).to_have_attribute("aria-pressed", "false")

    # a reaction is a button: Bert adds his own with it, and takes it back
    chip.click()
    expect(theirs.locator(".wijk-reaction")).to_have_text("🎉 2", timeout=LIVE)
    expect(chip).to_have_attribute("aria-pressed", "true")
    chip.click()
    expect(theirs.locator(".wijk-reaction")).to_have_text("🎉 1", timeout=LIVE)
    assert list(Message.objects.get(author=room.bert).reactions.values_list("emoji", "user")) == [
        ("🎉", room.anna.pk)
    ]


def test_the_toolbar_appears_on_hover_and_copies_a_messages_link(room):
    anna = room.anna_page
    anna.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_room(anna, room.url)
    theirs = _message(anna, "budgetcursus")
    toolbar = theirs.get_by_role("group", name="Acties bij dit bericht")
    anna.mouse.move(0, 0)
    expect(toolbar).to_have_css("opacity", "0")
    theirs.hover()
    expect(toolbar).to_have_css("opacity", "1")
    # what the reader may do with someone else's message
    expect(toolbar.get_by_role("link", name="Reageren")).to_be_visible()
    expect(toolbar.get_by_role("link", name="Bewerken")).to_be_hidden()
    toolbar.get_by_label("Meer acties").click()
    expect(toolbar.get_by_role("link", name="Melden")).to_be_visible()
    expect(toolbar.get_by_role("button", name="Vastzetten")).to_be_visible()  # Anna moderates
    expect(toolbar.get_by_role("button", name="Verwijderen")).to_be_visible()
    toolbar.get_by_label("Meer acties").press("Escape")
    expect(toolbar.get_by_role("link", name="Melden")).to_be_hidden()

    toolbar.get_by_label("Meer acties").click()
    toolbar.get_by_role("link", name="Link kopiëren").click()
    expect(anna.get_by_role("status").filter(has_text="Link gekopieerd.")).to_be_visible()
    copied = anna.evaluate("navigator.clipboard.readText()")
    seq = Message.objects.get(author=room.bert).seq
    assert copied == f"{room.url}m/{seq}/"
    expect(anna).to_have_url(room.url)


@contextmanager
def _annas_phone(room, browser_page) -> Iterator[Page]:
    """Anna's channel on a 390 px touch screen."""
    phone = browser_page.context.browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        timezone_id=BROWSER_TIME_ZONE,
    )
    try:
        phone.add_cookies([session_cookie(room.anna, room.server)])
        page = phone.new_page()
        open_room(page, room.url)
        yield page
    finally:
        phone.close()


def test_on_a_phone_a_tap_shows_a_messages_actions(room, browser_page):
    with _annas_phone(room, browser_page) as page:
        theirs = _message(page, "budgetcursus")
        toolbar = theirs.get_by_role("group", name="Acties bij dit bericht")
        expect(toolbar.get_by_role("link", name="Reageren")).not_to_be_in_viewport()
        theirs.locator(".wijk-message__body").tap()
        expect(theirs).to_have_class(re.compile(r"\bwijk-message--active\b"))
        for control in (
            toolbar.get_by_role("button", name="Duim omhoog geven"),
            toolbar.get_by_role("button", name="Kies een emoji"),
            toolbar.get_by_role("link", name="Reageren"),
            toolbar.get_by_label("Meer acties"),
        ):
            expect(control).to_be_in_viewport()
        # a tap on another message moves the toolbar there
        mine = _message(page, "Ik bel morgen")
        mine.locator(".wijk-message__body").tap()
        expect(theirs).not_to_have_class(re.compile(r"\bwijk-message--active\b"))
        own_toolbar = mine.get_by_role("group", name="Acties bij dit bericht")
        mine.get_by_role("button", name="Kies een emoji").tap()
        picker = page.get_by_role("dialog", name="Kies een emoji")
        expect(picker).to_be_in_viewport(ratio=1)
        picker.get_by_role("button", name="vinkje").tap()
        expect(mine.locator(".wijk-reaction")).to_have_text("✅ 1", timeout=LIVE)
        mine.get_by_role("link", name="Bewerken").tap()
        expect(mine.get_by_role("textbox", name="Bericht bewerken")).to_be_focused()
        expect(own_toolbar).to_be_hidden()  # the form takes its place


def test_on_a_phone_the_newest_messages_toolbar_comes_into_view(room, browser_page):
    """Below the newest message the list ends: its toolbar, opened by a tap, is scrolled in."""
    for number in range(12):
        services.post_message(room.channel.pk, author=room.bert, body=f"Bericht {number}")
    services.post_message(room.channel.pk, author=room.anna, body="Het laatste woord.")
    with _annas_phone(room, browser_page) as page:
        last = _message(page, "Het laatste woord.")
        last.locator(".wijk-message__body").tap()
        toolbar = last.get_by_role("group", name="Acties bij dit bericht")
        expect(toolbar.get_by_role("link", name="Bewerken")).to_be_in_viewport(ratio=1)


def test_the_open_menus_pickers_and_windows_pass_axe(room):
    """What only shows on demand: the message menu, the reaction picker, the edit form, the
    delete question, the quick switcher, the shortcuts and the message box's suggestions."""
    anna = room.anna_page
    open_room(anna, room.url)
    found: dict[str, list[str]] = {}
    theirs = _message(anna, "budgetcursus")
    theirs.hover()
    theirs.get_by_label("Meer acties").click()
    found["menu"] = axe_violations(anna)
    anna.keyboard.press("Escape")
    theirs.get_by_role("button", name="Kies een emoji").click()
    found["picker"] = axe_violations(anna)
    anna.keyboard.press("Escape")
    box = anna.locator("[data-composer] textarea")
    box.press("ArrowUp")
    expect(anna.get_by_role("textbox", name="Bericht bewerken")).to_be_focused()
    found["edit"] = axe_violations(anna)
    anna.keyboard.press("Escape")
    box.press_sequentially("@be")
    expect(anna.get_by_role("listbox", name="Suggesties")).to_be_visible()
    found["suggestions"] = axe_violations(anna)
    box.press("Escape")
    anna.keyboard.press("Control+k")
    expect(anna.get_by_role("combobox")).to_be_focused()
    expect(anna.get_by_role("option").first).to_be_visible()
    found["switcher"] = axe_violations(anna)
    anna.keyboard.press("Escape")
    anna.get_by_role("heading", level=1).click()
    anna.keyboard.press("?")
    found["shortcuts"] = axe_violations(anna)
    anna.keyboard.press("Escape")
    mine = _message(anna, "Ik bel morgen")
    mine.hover()
    mine.get_by_label("Meer acties").click()
    mine.get_by_role("button", name="Verwijderen").click()
    found["delete"] = axe_violations(anna)
    assert not {state: lines for state, lines in found.items() if lines}
