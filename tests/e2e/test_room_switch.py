"""Moving through the workspace in Chromium without page loads: switching rooms from the sidebar
and with Alt+↑/↓ on the tab's one socket, the address bar and the back button following; older
messages loading above; the line at the first unread message and the jumps."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from channels_app import services
from channels_app.models import Attachment, Channel, Message
from tests.e2e import LIVE, open_room, session_cookie
from tests.factories import ProfessionalFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _eventually(condition, seconds: float = LIVE / 1000) -> None:
    """Waits for what the server does after answering the browser."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "did not happen in time"
        time.sleep(0.1)


def _mark_page(page: Page) -> None:
    """A flag that a page load would lose."""
    page.evaluate("window.loadedOnce = true")


def _still_the_same_page(page: Page) -> None:
    assert page.evaluate("window.loadedOnce === true"), "the page was loaded again"


def _rows(page: Page):
    return page.locator("[data-messages] > li.wijk-message")


def _row(page: Page, number: int):
    body = page.locator(
        ".wijk-message__body", has_text=re.compile(rf"^\s*Bericht nummer {number}\s*$")
    )
    return _rows(page).filter(has=body)


def _history(workspace, settings, count: int, read: int) -> None:
    """``count`` numbered messages of Bert's in Samen Heerlen Gezond; Anna read ``read``."""
    settings.MESSAGE_RATE_LIMIT = (1_000, 10)  # in this process, for the set-up
    for number in range(1, count + 1):
        services.post_message(
            workspace.gezond.pk, author=workspace.bert, body=f"Bericht nummer {number}"
        )
    workspace.gezond.refresh_from_db()
    services.mark_read(workspace.gezond, user=workspace.anna, seq=read)


def test_the_sidebar_switches_rooms_in_place_on_one_socket(workspace, pages):
    anna, bert = pages
    sockets: list[str] = []
    anna.on("websocket", lambda socket: sockets.append(socket.url))
    open_room(anna, workspace.url(workspace.gezond))
    _mark_page(anna)
    sidebar = anna.get_by_role("navigation", name="Kanalen en gesprekken")

    sidebar.get_by_role("link", name="Geldzorgen Hoensbroek").click()
    expect(anna.get_by_role("heading", level=1)).to_have_text("Geldzorgen Hoensbroek")
    expect(anna).to_have_url(workspace.url(workspace.schulden))
    expect(anna).to_have_title(re.compile(r"^Geldzorgen Hoensbroek · "))
    expect(sidebar.get_by_role("link", name="Geldzorgen Hoensbroek")).to_have_attribute(
        "aria-current", "page"
    )
    expect(sidebar.get_by_role("link", name="Samen Heerlen Gezond")).not_to_have_attribute(
        "aria-current", "page"
    )
    expect(anna.locator(".wijk-room")).to_have_attribute("data-connection", "live", timeout=LIVE)
    expect(anna.locator("[data-composer] textarea")).to_be_focused()
    _still_the_same_page(anna)

    # live in the room switched to, counted in the room switched from
    open_room(bert, workspace.url(workspace.schulden))
    bert.locator("[data-composer] textarea").fill("Wie kent de nieuwe budgetcursus?")
    bert.locator("[data-composer] textarea").press("Enter")
    expect(_rows(anna).filter(has_text="budgetcursus")).to_have_count(1, timeout=LIVE)
    open_room(bert, workspace.url(workspace.gezond))
    bert.locator("[data-composer] textarea").fill("Overleg om drie uur?")
    bert.locator("[data-composer] textarea").press("Enter")
    gezond = anna.locator(".wijk-sidebar li.wijk-sidebar__item", has_text="Samen Heerlen Gezond")
    expect(gezond.locator(".wijk-unread-badge [aria-hidden=true]")).to_have_text("1", timeout=LIVE)

    # Anna writes from the switched room over the same socket
    anna.locator("[data-composer] textarea").fill("Ik ken hem, ik stuur de folder.")
    anna.locator("[data-composer] textarea").press("Enter")
    expect(_rows(anna).filter(has_text="folder")).to_have_count(1)
    expect(anna.locator(".wijk-message--pending")).to_have_count(0, timeout=LIVE)

    # back: the first room again, read now
    anna.go_back()
    expect(anna.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Samen Heerlen Gezond"))
    expect(anna).to_have_url(workspace.url(workspace.gezond))
    expect(_rows(anna).filter(has_text="Overleg om drie uur?")).to_have_count(1)
    expect(gezond.locator(".wijk-unread-badge")).to_have_count(0)
    anna.go_forward()
    expect(anna.get_by_role("heading", level=1)).to_have_text("Geldzorgen Hoensbroek")
    expect(_rows(anna).filter(has_text="folder")).to_have_count(1)
    _still_the_same_page(anna)
    assert len(sockets) == 1, sockets

    # the address works on its own
    anna.reload()
    expect(anna.get_by_role("heading", level=1)).to_have_text("Geldzorgen Hoensbroek")


def test_alt_arrow_keys_move_through_the_sidebar(workspace, pages):
    anna, _bert = pages
    open_room(anna, workspace.url(workspace.gezond))
    _mark_page(anna)
    heading = anna.get_by_role("heading", level=1)
    # the sidebar's order: channels by name, then conversations
    anna.keyboard.press("Alt+ArrowDown")
    expect(heading).to_have_text("Bert Schuldhulp")
    anna.keyboard.press("Alt+ArrowUp")
    expect(heading).to_have_text(re.compile(r"^Samen Heerlen Gezond"))
    anna.keyboard.press("Alt+ArrowUp")
    expect(heading).to_have_text("Geldzorgen Hoensbroek")
    expect(anna.locator(".wijk-room")).to_have_attribute("data-connection", "live", timeout=LIVE)
    _still_the_same_page(anna)


@pytest.fixture
def long_history(workspace, settings) -> None:
    """Eighty messages of Bert's; Anna read the first five."""
    _history(workspace, settings, 80, read=5)


def test_older_messages_load_above_without_moving_the_reading_position(
    workspace, long_history, pages
):
    anna, _bert = pages
    open_room(anna, workspace.url(workspace.gezond))
    _mark_page(anna)
    expect(_rows(anna)).to_have_count(50)
    expect(_rows(anna).first).to_contain_text("Bericht nummer 31")
    first = _row(anna, 31)
    # scrolled up to the top: the older ones come in above, and the message that was first
    # stays where it was on the screen
    before = anna.locator("[data-messages]").evaluate(
        """list => {
            list.scrollTop = 0;
            return list.querySelector("li.wijk-message").getBoundingClientRect().top;
        }"""
    )
    expect(_rows(anna)).to_have_count(80, timeout=LIVE)
    expect(_rows(anna).first).to_contain_text("Bericht nummer 1")
    box = first.bounding_box()
    assert box is not None and abs(box["y"] - before) < 3, (box, before)
    expect(anna.locator("[data-older]")).to_have_count(0)
    expect(anna.get_by_text("Hier begint het gesprek.")).to_be_visible()
    # one day line, no message twice
    expect(anna.locator("[data-messages] > li.wijk-day-line")).to_have_count(1)
    expect(_row(anna, 31)).to_have_count(1)
    _still_the_same_page(anna)


@pytest.fixture
def short_history(workspace, settings) -> None:
    """Thirty messages of Bert's; Anna read the first ten."""
    _history(workspace, settings, 30, read=10)


def test_the_first_unread_message_is_marked_and_the_jumps_lead_there_and_back(
    workspace, short_history, pages
):
    anna, _bert = pages
    open_room(anna, workspace.url(workspace.gezond))
    line = anna.locator("[data-messages] > li[data-new-line]")
    expect(line).to_have_text("Nieuwe berichten")
    # the line sits above message 11, and the room opens there
    expect(line.locator("xpath=following-sibling::li[1]")).to_contain_text("Bericht nummer 11")
    expect(line).to_be_in_viewport()
    newest = anna.get_by_role("button", name="Naar de nieuwste berichten")
    expect(newest).to_be_visible()
    newest.click()
    expect(_rows(anna).last).to_be_in_viewport()
    expect(newest).to_be_hidden()
    first_unread = anna.get_by_role("link", name="Naar het eerste ongelezen bericht")
    expect(first_unread).to_be_visible()
    first_unread.click()
    expect(line).to_be_in_viewport()
    expect(first_unread).to_be_hidden()


def test_a_first_unread_before_the_page_opens_around_it(workspace, long_history, pages):
    anna, _bert = pages
    open_room(anna, workspace.url(workspace.gezond))
    _mark_page(anna)
    expect(anna.locator("[data-new-line]")).to_have_count(0)  # message 6 is not on the page
    anna.get_by_role("link", name="Naar het eerste ongelezen bericht").click()
    expect(anna).to_have_url(re.compile(r"\?around=6#m-6$"))
    expect(anna.locator("#m-6")).to_be_in_viewport(timeout=LIVE)
    _still_the_same_page(anna)


def test_without_javascript_the_rooms_are_pages_and_links(workspace, long_history, browser_page):
    context = browser_page.context.browser.new_context(java_script_enabled=False)
    try:
        context.add_cookies([session_cookie(workspace.anna, workspace.server)])
        page = context.new_page()
        page.goto(workspace.url(workspace.gezond))
        page.get_by_role("link", name="Naar het eerste ongelezen bericht").click()
        expect(page).to_have_url(re.compile(r"\?around=6#m-6$"))
        page.get_by_role("link", name="Geldzorgen Hoensbroek").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Geldzorgen Hoensbroek")
        page.goto(workspace.url(workspace.gezond))
        page.get_by_role("link", name="Oudere berichten tonen").click()
        expect(page).to_have_url(re.compile(r"\?before=\d+$"))
    finally:
        context.close()


@pytest.fixture
def carla(workspace):
    return ProfessionalFactory(
        user=UserFactory(display_name="Carla Wijkteam"), job_title="Maatschappelijk werker"
    ).user


def test_a_new_conversation_appears_in_the_sidebar_with_a_notification(workspace, carla, pages):
    anna, _bert = pages
    open_room(anna, workspace.url(workspace.gezond))
    _mark_page(anna)
    other = anna.context.browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        other.add_cookies([session_cookie(carla, workspace.server)])
        page = other.new_page()
        page.goto(f"{workspace.server}/channels/direct/")
        picker = page.get_by_role("group", name="Met")
        # everyone but Carla herself, each told apart by job title and organisation
        expect(picker.get_by_role("checkbox", name=re.compile("^Carla"))).to_have_count(0)
        search = picker.get_by_role("searchbox", name="Zoek op naam, functie of organisatie")
        search.fill("zzz")
        expect(picker.get_by_text("Niemand gevonden.", exact=False)).to_be_visible()
        search.fill("anna huis")
        search.press("Enter")  # the one person found is chosen, the form is not sent
        expect(picker.get_by_role("checkbox", name=re.compile("^Anna Huisarts"))).to_be_checked()
        page.get_by_role("button", name="Gesprek beginnen").click()
        open_room(page, page.url)
        page.locator("[data-composer] textarea").fill("Hallo Anna, heb je even?")
        page.locator("[data-composer] textarea").press("Enter")

        directs = anna.get_by_role("list", name="Directe berichten")
        item = directs.locator("li", has_text="Carla Wijkteam")
        expect(item.locator(".wijk-unread-badge [aria-hidden=true]")).to_have_text(
            "1", timeout=LIVE
        )
        expect(
            anna.locator(".wijk-header__notifications .wijk-notification-badge")
        ).to_contain_text("1")
        # followed from now on, and opened in place
        page.locator("[data-composer] textarea").fill("Het gaat om een gezin in Hoensbroek.")
        page.locator("[data-composer] textarea").press("Enter")
        expect(item.locator(".wijk-unread-badge [aria-hidden=true]")).to_have_text(
            "2", timeout=LIVE
        )
        item.get_by_role("link").click()
        expect(anna.get_by_role("heading", level=1)).to_have_text("Carla Wijkteam")
        expect(_rows(anna)).to_have_count(2)
        expect(item.locator(".wijk-unread-badge")).to_have_count(0)
        _still_the_same_page(anna)
    finally:
        other.close()
    anna.goto(f"{workspace.server}/channels/notifications/")
    expect(anna.get_by_role("main")).to_contain_text(
        "Carla Wijkteam is een gesprek met je begonnen"
    )


@pytest.fixture
def beweegwijzer(workspace):
    return services.create_channel(by=workspace.bert, kind="open", name="Beweegwijzer Heerlen")


def test_the_quick_switcher_opens_rooms_channels_and_new_conversations(
    workspace, carla, beweegwijzer, pages
):
    anna, _bert = pages
    open_room(anna, workspace.url(workspace.gezond))
    _mark_page(anna)
    heading = anna.get_by_role("heading", level=1)
    box = anna.get_by_role("combobox", name="Ga naar een kanaal, gesprek of persoon")

    anna.keyboard.press("Control+k")
    expect(box).to_be_focused()
    options = anna.get_by_role("option")
    # without a word: the rooms, most recently active first
    expect(options).to_have_count(3)
    box.fill("geld")
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(heading).to_have_text("Geldzorgen Hoensbroek")
    expect(box).to_be_hidden()

    # an open channel Anna has not joined yet
    anna.get_by_role("button", name=re.compile("^Ga naar")).click()
    box.fill("beweeg")
    expect(options).to_have_text([re.compile("Beweegwijzer Heerlen.*nog geen lid")])
    box.press("Enter")
    expect(heading).to_have_text("Beweegwijzer Heerlen")
    expect(
        anna.get_by_role("button", name="Word lid van dit kanaal om mee te doen")
    ).to_be_visible()

    # a person without a conversation yet: it is started and opened in place
    anna.keyboard.press("Control+k")
    box.fill("carla")
    expect(options).to_have_text([re.compile("Carla Wijkteam.*begin een gesprek")])
    box.press("ArrowDown")  # one option: it stays chosen
    box.press("Enter")
    expect(heading).to_have_text("Carla Wijkteam")
    expect(anna.locator(".wijk-room")).to_have_attribute("data-connection", "live", timeout=LIVE)
    _still_the_same_page(anna)
    assert Channel.objects.filter(kind="direct", memberships__user=carla).count() == 1

    # Escape closes without going anywhere; ? shows the shortcuts outside the message box
    anna.keyboard.press("Control+k")
    box.press("Escape")
    expect(box).to_be_hidden()
    heading.click()
    anna.keyboard.press("?")
    shortcuts = anna.get_by_role("dialog", name="Sneltoetsen")
    expect(shortcuts).to_be_visible()
    expect(shortcuts).to_contain_text("Ga naar een kanaal, gesprek of persoon")
    anna.keyboard.press("Escape")
    expect(shortcuts).to_be_hidden()
    anna.locator("[data-composer] textarea").press("?")
    expect(shortcuts).to_be_hidden()
    expect(anna.locator("[data-composer] textarea")).to_have_value("?")


def test_the_message_box_keeps_drafts_and_suggests_people_and_channels(workspace, pages):
    anna, bert = pages
    open_room(anna, workspace.url(workspace.gezond))
    box = anna.locator("[data-composer] textarea")
    sidebar = anna.get_by_role("navigation", name="Kanalen en gesprekken")

    # a draft stays with its room while Anna looks elsewhere, and after a reload
    box.fill("Half af: het gezin aan de")
    sidebar.get_by_role("link", name="Geldzorgen Hoensbroek").click()
    expect(anna.get_by_role("heading", level=1)).to_have_text("Geldzorgen Hoensbroek")
    expect(box).to_have_value("")
    anna.go_back()
    expect(box).to_have_value("Half af: het gezin aan de")
    anna.reload()
    expect(box).to_have_value("Half af: het gezin aan de")
    expect(anna.locator(".wijk-room")).to_have_attribute("data-connection", "live", timeout=LIVE)

    # @ suggests the room's members, and @kanaal
    box.fill("")
    box.press_sequentially("Vraag voor @be")
    suggestions = anna.get_by_role("listbox", name="Suggesties")
    expect(suggestions.get_by_role("option")).to_have_text([re.compile("^@Bert Schuldhulp")])
    expect(box).to_have_attribute("aria-activedescendant", re.compile(r"^suggestions-\d+-0$"))
    box.press("Enter")  # takes the suggestion, does not send
    expect(box).to_have_value("Vraag voor @Bert Schuldhulp ")
    expect(suggestions).to_be_hidden()
    box.press_sequentially("over ~geld")
    expect(suggestions.get_by_role("option")).to_have_text(["~Geldzorgen Hoensbroek"])
    box.press("Tab")
    link = f"[~Geldzorgen Hoensbroek](/channels/{workspace.schulden.pk}/) "
    expect(box).to_have_value(f"Vraag voor @Bert Schuldhulp over {link}")
    box.press_sequentially("@ka")
    expect(suggestions.get_by_role("option").first).to_contain_text("@kanaal")
    box.press("Escape")
    expect(suggestions).to_be_hidden()
    expect(box).to_have_value(f"Vraag voor @Bert Schuldhulp over {link}@ka")
    box.fill(f"Vraag voor @Bert Schuldhulp over {link}")
    box.press("Enter")

    # the mention reaches Bert, the channel link works, and the draft is gone
    sent = _rows(anna).filter(has_text="Vraag voor")
    expect(sent.get_by_role("link", name="~Geldzorgen Hoensbroek")).to_have_attribute(
        "href", f"/channels/{workspace.schulden.pk}/", timeout=LIVE
    )
    open_room(bert, workspace.url(workspace.schulden))
    item = bert.locator(".wijk-sidebar li.wijk-sidebar__item", has_text="Samen Heerlen Gezond")
    expect(item.locator(".wijk-mention-badge [aria-hidden=true]")).to_have_text("@1")
    # the channel's link in a message opens it in place
    _mark_page(anna)
    sent.get_by_role("link", name="~Geldzorgen Hoensbroek").click()
    expect(anna.get_by_role("heading", level=1)).to_have_text("Geldzorgen Hoensbroek")
    _still_the_same_page(anna)
    anna.go_back()
    expect(box).to_have_value("")
    anna.reload()
    expect(box).to_have_value("")


PDF = b"%PDF-1.4\n%%EOF\n"


def test_files_upload_with_progress_can_be_removed_and_go_with_the_message(workspace, pages):
    anna, bert = pages
    open_room(anna, workspace.url(workspace.gezond))
    open_room(bert, workspace.url(workspace.gezond))
    tray = anna.get_by_role("list", name="Bestanden bij dit bericht")
    picker = anna.get_by_label("Bestanden toevoegen")
    picker.set_input_files(
        [
            {"name": "verslag.pdf", "mimeType": "application/pdf", "buffer": PDF},
            {"name": "notities.txt", "mimeType": "text/plain", "buffer": b"geen pdf"},
        ]
    )
    expect(tray.locator("li", has_text="verslag.pdf")).to_contain_text("klaar", timeout=LIVE)
    refused = tray.locator("li", has_text="notities.txt")
    expect(refused).to_have_class(re.compile("wijk-tray__file--failed"), timeout=LIVE)
    refused.get_by_role("button", name="notities.txt verwijderen").click()
    expect(tray.locator("li")).to_have_count(1)

    # a file pasted in the message box joins it
    anna.locator("[data-composer] textarea").evaluate(
        """(box) => {
            const data = new DataTransfer();
            const pdf = new File(["%PDF-1.4\\n%%EOF\\n"], "plan.pdf", {type: "application/pdf"});
            data.items.add(pdf);
            box.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true}));
        }"""
    )
    expect(tray.locator("li", has_text="plan.pdf")).to_contain_text("klaar", timeout=LIVE)
    # one taken back before sending is deleted on the server at once
    picker.set_input_files([{"name": "concept.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    draft = tray.locator("li", has_text="concept.pdf")
    expect(draft).to_contain_text("klaar", timeout=LIVE)
    assert Attachment.objects.filter(name="concept.pdf").exists()
    draft.get_by_role("button", name="concept.pdf verwijderen").click()
    expect(draft).to_have_count(0)
    _eventually(lambda: not Attachment.objects.filter(name="concept.pdf").exists())
    box = anna.locator("[data-composer] textarea")
    box.fill("Het verslag en het plan")
    box.press("Enter")
    expect(tray).to_be_hidden()
    arrived = _rows(bert).filter(has_text="Het verslag en het plan")
    expect(arrived.get_by_role("link", name=re.compile("verslag.pdf"))).to_be_visible(timeout=LIVE)
    expect(arrived.get_by_role("link", name=re.compile("plan.pdf"))).to_be_visible()
    expect(arrived.get_by_role("link", name=re.compile("notities"))).to_have_count(0)


# Whether leaving the page now would lose a message: the page asks the browser to confirm.
LEAVING_LOSES = """() => {
    const event = new Event("beforeunload", { cancelable: true });
    window.dispatchEvent(event);
    return event.defaultPrevented;
}"""


def test_a_message_not_yet_sent_goes_along_when_switching_rooms(workspace, pages):
    """Written while the socket was down, then off to another room: the message is not lost.
    It is there, still being sent, when Anna comes back, and goes out once when the socket
    returns, wherever she is then; until then, leaving the page asks first."""
    anna, bert = pages
    sockets: list[WebSocketRoute] = []
    refuse = False

    def relay(socket: WebSocketRoute) -> None:
        # Stands between Anna's page and the server, so the test can cut the line.
        if refuse:
            socket.close()
            return
        socket.connect_to_server()
        sockets.append(socket)

    anna.route_web_socket(re.compile(r"/ws/$"), relay)
    open_room(anna, workspace.url(workspace.gezond))
    _mark_page(anna)
    assert not anna.evaluate(LEAVING_LOSES)
    room = anna.locator(".wijk-room")
    refuse = True
    sockets[-1].close()
    expect(room).not_to_have_attribute("data-connection", "live", timeout=LIVE)

    body = "Geschreven in de kelder: het gezin verhuist vrijdag."
    box = anna.locator("[data-composer] textarea")
    box.fill(body)
    box.press("Enter")
    pending = anna.locator(".wijk-message--pending")
    expect(pending).to_have_count(1)
    assert anna.evaluate(LEAVING_LOSES)

    heading = anna.get_by_role("heading", level=1)
    sidebar = anna.get_by_role("navigation", name="Kanalen en gesprekken")
    sidebar.get_by_role("link", name="Geldzorgen Hoensbroek").click()
    expect(heading).to_have_text("Geldzorgen Hoensbroek")
    expect(pending).to_have_count(0)
    assert anna.evaluate(LEAVING_LOSES)
    # back: the message is in its room, still being sent
    sidebar.get_by_role("link", name="Samen Heerlen Gezond").click()
    expect(heading).to_have_text(re.compile(r"^Samen Heerlen Gezond"))
    expect(pending).to_have_text(re.compile(re.escape(body)))

    # away again, and the socket comes back meanwhile: the message goes out, once
    sidebar.get_by_role("link", name="Geldzorgen Hoensbroek").click()
    expect(heading).to_have_text("Geldzorgen Hoensbroek")
    refuse = False
    expect(room).to_have_attribute("data-connection", "live", timeout=4 * LIVE)
    stored = Message.objects.filter(channel=workspace.gezond, body=body)
    for _ in range(LIVE // 100):
        if stored.exists():
            break
        anna.wait_for_timeout(100)
    assert stored.count() == 1
    open_room(bert, workspace.url(workspace.gezond))
    expect(_rows(bert).filter(has_text=body)).to_have_count(1)
    for _ in range(LIVE // 100):
        if not anna.evaluate(LEAVING_LOSES):
            break
        anna.wait_for_timeout(100)
    assert not anna.evaluate(LEAVING_LOSES)

    sidebar.get_by_role("link", name="Samen Heerlen Gezond").click()
    expect(heading).to_have_text(re.compile(r"^Samen Heerlen Gezond"))
    expect(_rows(anna).filter(has_text=body)).to_have_count(1, timeout=LIVE)
    expect(pending).to_have_count(0, timeout=LIVE)
    _still_the_same_page(anna)
    assert stored.count() == 1
