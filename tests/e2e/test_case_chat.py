"""The case room's conversation on the same live client as the channels, in Chromium with two
members: rows with avatars, day lines and author groups, Enter to send, older messages above
without a page load, a chosen file named before it goes; and none of the channel's actions on
a record that is not edited, deleted or reacted to."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from privacy import services
from privacy.models import CaseMessage
from tests.e2e import BROWSER_TIME_ZONE, LIVE
from tests.e2e.axe import axe_violations
from tests.privacy.fixtures import build_world, mark_signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _cookie(user, server: str) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    mark_signed_in(client, user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": server,
    }


@pytest.fixture
def case(transactional_db, live_asgi_server):
    world = build_world()
    server = f"http://{live_asgi_server}"
    return world, server, f"{server}/cases/{world.room.pk}/"


def _open(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator(".wijk-case-room")).to_have_attribute(
        "data-connection", "live", timeout=LIVE
    )


def _rows(page: Page):
    return page.locator("[data-messages] > li.wijk-message")


def test_two_members_talk_live_in_the_chat_look(case, browser_page):
    world, server, url = case
    services.post_message(
        world.room.pk, author=world.coordinator, body="Ik heb het gezin gesproken."
    )
    coordinator = browser_page
    coordinator.context.add_cookies([_cookie(world.coordinator, server)])
    other = coordinator.context.browser.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id=BROWSER_TIME_ZONE
    )
    other.add_cookies([_cookie(world.member, server)])
    member = other.new_page()
    try:
        _open(coordinator, url)
        _open(member, url)
        box = member.get_by_role("textbox", name="Bericht")
        box.fill("Ik plan een gesprek met de schuldhulp.")
        box.press("Enter")
        expect(box).to_have_value("")
        arrived = _rows(coordinator).filter(has_text="gesprek met de schuldhulp")
        expect(arrived).to_have_count(1, timeout=LIVE)
        expect(arrived.locator(".wijk-message__avatar")).to_be_visible()
        expect(arrived.locator(".wijk-message__author")).to_have_text("Mirjam Welzijn")
        expect(coordinator.locator("[data-messages] > li.wijk-day-line")).to_have_text("Vandaag")
        # a second message of the same author joins her group
        box.fill("Dinsdag om tien uur.")
        box.press("Enter")
        second = _rows(coordinator).filter(has_text="Dinsdag om tien uur.")
        expect(second).to_have_class(
            "wijk-message wijk-case-message wijk-message--continued", timeout=LIVE
        )
        # a record: no reactions, edits, deletions or threads
        for page in (coordinator, member):
            expect(page.locator("[data-messages] .wijk-message__actions")).to_have_count(0)
            expect(page.locator("[data-messages] button")).to_have_count(0)
        assert CaseMessage.objects.filter(room=world.room).count() == 3
        assert axe_violations(coordinator) == []
    finally:
        other.close()


def test_older_messages_load_above_and_a_chosen_file_is_named(case, browser_page, settings):
    world, server, url = case
    settings.MESSAGE_RATE_LIMIT = (1_000, 10)  # in this process, for the set-up
    # by the colleague: the coordinator, who sends from the page below, has sent nothing yet
    # (a server in a process of its own counts with the usual limit)
    for number in range(1, 56):
        services.post_message(world.room.pk, author=world.member, body=f"Notitie {number}")
    page = browser_page
    page.context.add_cookies([_cookie(world.coordinator, server)])
    _open(page, url)
    page.evaluate("window.loadedOnce = true")
    expect(_rows(page)).to_have_count(50)
    page.locator("[data-messages]").evaluate("list => { list.scrollTop = 0; }")
    expect(_rows(page)).to_have_count(55, timeout=LIVE)
    expect(_rows(page).first).to_contain_text("Notitie 1")
    expect(page.get_by_text("Hier begint het gesprek.")).to_be_visible()
    assert page.evaluate("window.loadedOnce === true"), "the page was loaded again"

    page.locator("input[type=file]").set_input_files(
        {"name": "verslag.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
    )
    tray = page.get_by_role("list", name="Bestanden bij dit bericht")
    expect(tray).to_contain_text("verslag.pdf")
    expect(tray).to_contain_text("gaat mee met het bericht")
    tray.get_by_role("button", name="verslag.pdf verwijderen").click()
    expect(tray).to_be_hidden()
    page.locator("input[type=file]").set_input_files(
        {"name": "verslag.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
    )
    page.get_by_role("textbox", name="Bericht").fill("Het verslag van vandaag")
    page.get_by_role("button", name="Versturen").click()
    expect(_rows(page).filter(has_text="Het verslag van vandaag")).to_contain_text(
        "verslag.pdf", timeout=LIVE
    )
    assert world.room.files.get().name == "verslag.pdf"
