"""A thread, and a room's details, in a panel next to the room, in Chromium with two people
live: opened and closed in place on the tab's one socket, replies arriving on both sides,
reactions from the panel, the address bar and the back button following; over the channel on
a phone."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, WebSocketRoute, expect

from channels_app import services
from channels_app.models import Message
from tests.e2e import LIVE, open_room
from tests.e2e.axe import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _panel(page: Page):
    return page.get_by_role("complementary", name=re.compile("^Draad"))


def _channel_rows(page: Page):
    return page.locator(".wijk-room:not(.wijk-thread-panel) [data-messages] > li.wijk-message")


def _open_thread(page: Page, question: str, link: str = "Reageren") -> None:
    row = _channel_rows(page).filter(has_text=question)
    row.hover()
    row.get_by_role("link", name=link).click()
    expect(_panel(page)).to_have_attribute("data-connection", "live", timeout=LIVE)


@pytest.fixture
def question(workspace) -> Message:
    message, _ = services.post_message(
        workspace.gezond.pk, author=workspace.bert, body="Wie gaat er naar de budgetcursus?"
    )
    return message


def test_a_thread_opens_next_to_its_channel_and_replies_arrive_live(workspace, pages, question):
    anna, bert = pages
    sockets: list[str] = []
    anna.on("websocket", lambda socket: sockets.append(socket.url))
    channel_url = workspace.url(workspace.gezond)
    thread_url = f"{channel_url}threads/{question.pk}/"
    open_room(anna, channel_url)
    anna.evaluate("window.loadedOnce = true")
    _open_thread(anna, "budgetcursus")

    panel = _panel(anna)
    expect(anna).to_have_url(thread_url)
    expect(anna.get_by_role("heading", level=1)).to_have_text(re.compile("Samen Heerlen Gezond"))
    expect(panel.locator(".wijk-thread__root")).to_contain_text("budgetcursus")
    expect(panel.get_by_text("Nog geen reacties.")).to_be_visible()
    # side by side: the channel stays in view, left of the thread
    room_box = anna.locator(".wijk-room:not(.wijk-thread-panel)").bounding_box()
    panel_box = panel.bounding_box()
    assert room_box and panel_box and room_box["x"] + room_box["width"] <= panel_box["x"] + 1
    box = panel.locator("[data-composer] textarea")
    expect(box).to_be_focused()

    # Anna replies in the panel: the reply stays in the thread, the channel counts it
    box.fill("Ik ga, dinsdag om tien uur.")
    box.press("Enter")
    expect(panel.locator("[data-messages] > li.wijk-message")).to_have_count(1, timeout=LIVE)
    expect(panel).to_contain_text("Ik ga, dinsdag om tien uur.")
    expect(_channel_rows(anna).filter(has_text="budgetcursus")).to_contain_text(
        "1 reactie", timeout=LIVE
    )
    expect(_channel_rows(anna).filter(has_text="dinsdag om tien uur")).to_have_count(0)

    # Bert opens the thread from the reply count and answers; Anna sees it in her panel
    open_room(bert, channel_url)
    _open_thread(bert, "budgetcursus", link="1 reactie")
    expect(_panel(bert)).to_contain_text("Ik ga, dinsdag om tien uur.")
    bert_box = _panel(bert).locator("[data-composer] textarea")
    bert_box.fill("Fijn, dan zie ik je daar.")
    bert_box.press("Enter")
    expect(panel.locator("[data-messages] > li.wijk-message")).to_have_count(2, timeout=LIVE)
    expect(panel).to_contain_text("Fijn, dan zie ik je daar.")
    expect(_channel_rows(anna).filter(has_text="budgetcursus")).to_contain_text(
        "2 reacties", timeout=LIVE
    )

    # a reaction from the panel goes over the socket and shows on both sides
    reply = panel.locator("[data-messages] > li.wijk-message", has_text="dan zie ik je")
    reply.hover()
    reply.get_by_role("button", name="Duim omhoog geven").click()
    expect(reply.locator(".wijk-reaction")).to_have_attribute("aria-pressed", "true", timeout=LIVE)
    theirs = _panel(bert).locator("[data-messages] > li.wijk-message", has_text="dan zie ik je")
    expect(theirs.locator(".wijk-reaction")).to_contain_text("1", timeout=LIVE)
    assert Message.objects.get(body="Fijn, dan zie ik je daar.").reactions.count() == 1

    # back closes the panel, forward opens it again; the close button gives the focus back
    anna.go_back()
    expect(panel).to_have_count(0)
    expect(anna).to_have_url(channel_url)
    anna.go_forward()
    expect(_panel(anna)).to_contain_text("Fijn, dan zie ik je daar.", timeout=LIVE)
    _panel(anna).get_by_role("button", name="Draad sluiten").click()
    expect(panel).to_have_count(0)
    expect(anna).to_have_url(channel_url)

    # a switch to another room takes the panel along; all of it on the page's one socket
    _open_thread(anna, "budgetcursus", link="2 reacties")
    anna.get_by_role("navigation", name="Kanalen en gesprekken").get_by_role(
        "link", name="Geldzorgen Hoensbroek"
    ).click()
    expect(anna.get_by_role("heading", level=1)).to_have_text("Geldzorgen Hoensbroek")
    expect(panel).to_have_count(0)
    assert anna.evaluate("window.loadedOnce === true"), "the page was loaded again"
    assert len(sockets) == 1, sockets


def _in_a_thread(function, *args, **kwargs):
    """Runs a service outside Playwright's event loop (its broadcast needs async_to_sync)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def test_the_channel_does_not_take_the_threads_sync_answer_for_its_own(workspace, pages, question):
    """The channel's socket missed an edit; the thread opened next to it syncs, and its answer
    (the same room number) names the newest change. The channel must not take that number for
    its own: the next pong shows it the gap, and it fetches the edit."""
    anna, _bert = pages
    notice, _ = services.post_message(
        workspace.gezond.pk, author=workspace.bert, body="Overleg op dinsdag."
    )
    lose = True

    def relay(socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def from_server(message: str | bytes) -> None:
            if lose and isinstance(message, str) and '"type":"message.updated"' in message:
                return  # lost on the way, the socket stays open
            socket.send(message)

        server.on_message(from_server)

    anna.clock.install()
    anna.route_web_socket(re.compile(r"/ws/$"), relay)
    open_room(anna, workspace.url(workspace.gezond))
    _in_a_thread(services.edit_message, notice, by=workspace.bert, body="Overleg op donderdag.")
    body = _channel_rows(anna).filter(has_text="Overleg op").locator(".wijk-message__body")
    anna.wait_for_timeout(1_500)  # long enough for a live edit to show
    expect(body).to_have_text("Overleg op dinsdag.")

    _open_thread(anna, "budgetcursus")
    anna.wait_for_timeout(1_000)  # the thread's sync is answered
    lose = False
    anna.clock.run_for(31_000)  # the page pings every 30 s
    expect(body).to_have_text("Overleg op donderdag.", timeout=LIVE)


def test_on_a_phone_the_thread_lies_over_the_channel(workspace, pages, question):
    anna, _bert = pages
    anna.set_viewport_size({"width": 390, "height": 844})
    services.post_message(
        workspace.gezond.pk, author=workspace.bert, body="Voor vrijdag.", parent_id=question.pk
    )
    open_room(anna, workspace.url(workspace.gezond))
    row = _channel_rows(anna).filter(has_text="budgetcursus")
    row.get_by_role("link", name="1 reactie").click()
    panel = _panel(anna)
    expect(panel).to_have_attribute("data-connection", "live", timeout=LIVE)
    expect(panel.get_by_role("heading", level=2, name=re.compile("^Draad"))).to_be_focused()
    box = panel.bounding_box()
    assert box and box["x"] <= 1 and box["width"] >= 388
    close = panel.get_by_role("button", name="Draad sluiten")
    close_box = close.bounding_box()
    assert close_box and close_box["x"] + close_box["width"] <= 390
    reply_box = panel.locator("[data-composer] textarea")
    reply_box.fill("Ik stuur het vandaag nog.")
    reply_box.press("Enter")
    expect(panel.locator("[data-messages] > li.wijk-message")).to_have_count(2, timeout=LIVE)
    close.click()
    expect(panel).to_have_count(0)
    expect(row.get_by_role("link", name="2 reacties")).to_be_focused()


def test_the_open_panel_passes_axe(workspace, pages, question):
    anna, _bert = pages
    open_room(anna, workspace.url(workspace.gezond))
    _open_thread(anna, "budgetcursus")
    assert axe_violations(anna) == []
    anna.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(anna) == []


def test_the_details_open_in_the_panel_with_members_pinned_messages_and_files(
    workspace, pages, question, settings, tmp_path
):
    anna, _bert = pages
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("verslag.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    file = services.upload_attachment(workspace.gezond, by=workspace.bert, upload=upload)
    services.post_message(
        workspace.gezond.pk, author=workspace.bert, body="Het verslag", attachment_ids=[file.pk]
    )
    services.pin_message(question, by=workspace.anna)
    channel_url = workspace.url(workspace.gezond)
    open_room(anna, channel_url)
    anna.evaluate("window.loadedOnce = true")

    anna.get_by_role("link", name="2 leden").click()
    panel = anna.get_by_role("complementary", name=re.compile("^Details"))
    expect(panel).to_be_visible()
    expect(anna).to_have_url(f"{channel_url}info/")
    expect(panel.get_by_role("link", name="Bert Schuldhulp")).to_be_visible()
    expect(panel.get_by_role("link", name="verslag.pdf")).to_be_visible()
    expect(panel.locator(".wijk-info__snippet")).to_have_text("Wie gaat er naar de budgetcursus?")
    assert axe_violations(anna) == []
    panel.get_by_role("button", name="Details sluiten").click()
    expect(panel).to_have_count(0)
    expect(anna).to_have_url(channel_url)
    expect(anna.get_by_role("link", name="2 leden")).to_be_focused()

    # "1 pinned" opens the same panel at its pinned messages
    anna.get_by_role("link", name="1 vastgezet").click()
    expect(panel.get_by_role("heading", name=re.compile("^Vastgezette berichten"))).to_be_focused()
    # a thread takes the details' place, and back brings them again
    row = _channel_rows(anna).filter(has_text="budgetcursus")
    row.hover()
    row.get_by_role("link", name="Reageren").click()
    expect(_panel(anna)).to_be_visible()
    expect(panel).to_have_count(0)
    anna.go_back()
    expect(panel).to_be_visible()
    expect(_panel(anna)).to_have_count(0)
    assert anna.evaluate("window.loadedOnce === true"), "the page was loaded again"
