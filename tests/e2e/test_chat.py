"""Two professionals chat in one channel through real browsers and one daphne process; badges
follow the conversation on their other pages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from accounts.models import User
from channels_app import services
from channels_app.models import Channel, Membership, Message, Notification
from tests.e2e import BROWSER_TIME_ZONE, LIVE, SHORT_MOMENT, open_room, session_cookie
from tests.factories import ProfessionalFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@dataclass
class Members:
    channel: Channel
    anna: User
    bert: User


@dataclass
class Chat(Members):
    url: str
    anna_page: Page
    bert_page: Page


@pytest.fixture
def members(transactional_db) -> Members:
    # Services broadcast through async_to_sync, which cannot run once Playwright's event loop
    # is running: everything in the database is set up before a browser starts.
    anna = ProfessionalFactory(user=UserFactory(display_name="Anna Huisarts")).user
    bert = ProfessionalFactory(user=UserFactory(display_name="Bert Wijkverpleegkundige")).user
    channel = services.create_channel(by=anna, kind="open", name="Samen Heerlen Gezond")
    services.join(channel, bert)
    return Members(channel, anna, bert)


@pytest.fixture
def thread_root(members) -> Message:
    message, _created = services.post_message(
        members.channel.pk, author=members.bert, body="Zijn er nog plekken bij de beweeggroep?"
    )
    return message


@pytest.fixture
def chat(members, live_asgi_server, browser_page) -> Iterator[Chat]:
    """Anna on a desktop and Bert on a small phone screen, each in their own browser context."""
    server = f"http://{live_asgi_server}"
    browser_page.context.add_cookies([session_cookie(members.anna, server)])
    bert_context = browser_page.context.browser.new_context(
        viewport={"width": 360, "height": 740}, timezone_id=BROWSER_TIME_ZONE
    )
    bert_context.add_cookies([session_cookie(members.bert, server)])
    try:
        yield Chat(
            channel=members.channel,
            anna=members.anna,
            bert=members.bert,
            url=f"{server}/channels/{members.channel.pk}/",
            anna_page=browser_page,
            bert_page=bert_context.new_page(),
        )
    finally:
        bert_context.close()


def _message(page: Page, text: str):
    return page.locator("[data-messages] > li.wijk-message", has_text=text)


def test_it_delivers_a_message_live_and_stores_it_once(chat):
    body = "Wie heeft er deze week ruimte voor een huisbezoek in Hoensbroek?"
    open_room(chat.anna_page, chat.url)
    open_room(chat.bert_page, chat.url)
    expect(chat.bert_page.locator("[data-empty]")).to_have_count(1)

    composer = chat.anna_page.locator("[data-composer] textarea")
    composer.press_sequentially("Wie heeft er")
    expect(chat.bert_page.locator("[data-typing]")).to_contain_text("Anna Huisarts", timeout=LIVE)
    composer.fill(body)
    composer.press("Enter")

    expect(composer).to_have_value("")
    expect(composer).to_be_focused()
    expect(_message(chat.anna_page, body)).to_have_count(1)
    expect(chat.anna_page.locator(".wijk-message--pending")).to_have_count(0, timeout=LIVE)
    expect(chat.anna_page).to_have_url(chat.url)  # sent over the socket, not by a form post

    arrived = _message(chat.bert_page, body)
    expect(arrived).to_have_count(1, timeout=LIVE)
    expect(arrived.locator(".wijk-message__author")).to_have_text("Anna Huisarts")
    expect(arrived.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-"))
    expect(arrived.locator("time")).to_have_text(re.compile(SHORT_MOMENT))
    live_time = arrived.locator("time").text_content()
    expect(chat.bert_page.locator("[data-empty]")).to_have_count(0)
    expect(chat.bert_page.locator("[data-typing]")).to_have_text("")

    assert Message.objects.filter(channel=chat.channel, body=body).count() == 1
    # the server writes the same moment the same way
    chat.bert_page.reload()
    expect(_message(chat.bert_page, body).locator("time")).to_have_text(live_time)


def test_shift_enter_makes_a_new_line(chat):
    open_room(chat.anna_page, chat.url)
    composer = chat.anna_page.locator("[data-composer] textarea")
    composer.press_sequentially("eerste regel")
    composer.press("Shift+Enter")
    composer.press_sequentially("tweede regel")
    expect(composer).to_have_value("eerste regel\ntweede regel")
    assert not Message.objects.filter(channel=chat.channel).exists()


def test_after_the_connection_drops_it_reconnects_and_fills_in_what_was_missed(chat):
    sockets: list[WebSocketRoute] = []
    refuse = False

    def relay(socket: WebSocketRoute) -> None:
        # Stands between Anna's page and the server, so the test can cut the line.
        if refuse:
            socket.close()
            return
        socket.connect_to_server()
        sockets.append(socket)

    chat.anna_page.route_web_socket(re.compile(r"/ws/$"), relay)
    open_room(chat.anna_page, chat.url)
    open_room(chat.bert_page, chat.url)
    room = chat.anna_page.locator(".wijk-room")
    status = chat.anna_page.locator("[data-status]")

    refuse = True
    sockets[-1].close()
    expect(room).not_to_have_attribute("data-connection", "live", timeout=LIVE)
    expect(status).to_have_text(status.get_attribute("data-offline-text"))

    body = "Terwijl Anna geen verbinding had: het overleg is verplaatst naar donderdag."
    bert_composer = chat.bert_page.locator("[data-composer] textarea")
    bert_composer.fill(body)
    bert_composer.press("Enter")
    expect(chat.bert_page.locator(".wijk-message--pending")).to_have_count(0, timeout=LIVE)
    expect(_message(chat.bert_page, body)).to_have_count(1)
    expect(_message(chat.anna_page, body)).to_have_count(0)

    refuse = False
    expect(room).to_have_attribute("data-connection", "live", timeout=4 * LIVE)
    expect(_message(chat.anna_page, body)).to_have_count(1, timeout=LIVE)
    expect(status).not_to_have_text(status.get_attribute("data-offline-text"))
    assert len(sockets) >= 2
    assert Message.objects.filter(channel=chat.channel, body=body).count() == 1


def _in_a_thread(function, *args, **kwargs):
    """Runs a service outside Playwright's event loop (its broadcast needs async_to_sync)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def test_edits_and_deletions_made_while_disconnected_show_after_reconnecting(chat):
    edited, _ = _in_a_thread(
        services.post_message, chat.channel.pk, author=chat.bert, body="Overleg op dinsdag."
    )
    doomed, _ = _in_a_thread(
        services.post_message, chat.channel.pk, author=chat.bert, body="Vergeet dit bericht."
    )
    sockets: list[WebSocketRoute] = []
    refuse = False

    def relay(socket: WebSocketRoute) -> None:
        if refuse:
            socket.close()
            return
        socket.connect_to_server()
        sockets.append(socket)

    chat.anna_page.route_web_socket(re.compile(r"/ws/$"), relay)
    open_room(chat.anna_page, chat.url)
    room = chat.anna_page.locator(".wijk-room")
    refuse = True
    sockets[-1].close()
    expect(room).not_to_have_attribute("data-connection", "live", timeout=LIVE)

    # While Anna is away: one message edited, one deleted, a reaction.
    _in_a_thread(services.edit_message, edited, by=chat.bert, body="Overleg op donderdag.")
    _in_a_thread(services.delete_message, doomed, by=chat.bert)
    _in_a_thread(services.toggle_reaction, edited, by=chat.bert, emoji="👍")
    on_page = chat.anna_page.locator(f"#m-{edited.seq}")
    expect(on_page.locator(".wijk-message__body")).to_have_text("Overleg op dinsdag.")

    refuse = False
    expect(room).to_have_attribute("data-connection", "live", timeout=4 * LIVE)
    body = on_page.locator(".wijk-message__body")
    expect(body).to_have_text("Overleg op donderdag.", timeout=LIVE)
    expect(on_page.locator(".wijk-message__edited")).to_have_count(1)
    expect(on_page.locator(".wijk-reaction")).to_have_text("👍 1")
    tombstone = chat.anna_page.locator(f"#m-{doomed.seq}")
    expect(tombstone).to_have_class(re.compile(r"\bwijk-message--deleted\b"))
    expect(tombstone).not_to_contain_text("Vergeet dit bericht.")


def test_when_the_browser_goes_offline_it_waits_and_then_catches_up(chat):
    open_room(chat.anna_page, chat.url)
    open_room(chat.bert_page, chat.url)
    room = chat.anna_page.locator(".wijk-room")
    status = chat.anna_page.locator("[data-status]")

    chat.anna_page.context.set_offline(True)
    expect(room).to_have_attribute("data-connection", "offline", timeout=LIVE)
    expect(status).to_have_text(status.get_attribute("data-offline-text"))

    body = "Terwijl Anna offline was: de folders zijn binnen."
    bert_composer = chat.bert_page.locator("[data-composer] textarea")
    bert_composer.fill(body)
    bert_composer.press("Enter")
    expect(_message(chat.bert_page, body)).to_have_count(1)
    expect(chat.bert_page.locator(".wijk-message--pending")).to_have_count(0, timeout=LIVE)
    expect(_message(chat.anna_page, body)).to_have_count(0)

    chat.anna_page.context.set_offline(False)
    expect(room).to_have_attribute("data-connection", "live", timeout=LIVE)
    expect(_message(chat.anna_page, body)).to_have_count(1, timeout=LIVE)


def test_a_message_sent_while_offline_goes_out_once_after_reconnecting(chat):
    open_room(chat.anna_page, chat.url)
    open_room(chat.bert_page, chat.url)
    room = chat.anna_page.locator(".wijk-room")

    chat.anna_page.context.set_offline(True)
    expect(room).to_have_attribute("data-connection", "offline", timeout=LIVE)
    body = "Geschreven in de lift, verstuurd zodra er weer verbinding is."
    composer = chat.anna_page.locator("[data-composer] textarea")
    composer.fill(body)
    composer.press("Enter")
    expect(chat.anna_page.locator(".wijk-message--pending")).to_have_count(1)
    expect(composer).to_have_value("")

    chat.anna_page.context.set_offline(False)
    expect(chat.anna_page.locator(".wijk-message--pending")).to_have_count(0, timeout=2 * LIVE)
    expect(_message(chat.anna_page, body)).to_have_count(1)
    expect(_message(chat.bert_page, body)).to_have_count(1, timeout=LIVE)
    assert Message.objects.filter(channel=chat.channel, body=body).count() == 1


def test_a_message_that_is_too_long_is_refused_and_kept_for_the_author(chat):
    open_room(chat.anna_page, chat.url)
    composer = chat.anna_page.locator("[data-composer] textarea")
    too_long = "x" * 4001
    # The textarea's maxlength stops typing this; a script or paste-in-old-browser does not.
    composer.evaluate("(textarea, text) => { textarea.value = text; }", too_long)
    composer.press("Enter")

    status = chat.anna_page.locator("[data-status]")
    expect(status).to_contain_text("4000", timeout=LIVE)
    expect(status).to_have_attribute("data-kind", "error")
    expect(composer).to_have_value(too_long)
    expect(chat.anna_page.locator("[data-messages] > li.wijk-message")).to_have_count(0)
    expect(chat.anna_page.locator("[data-empty]")).to_have_count(1)
    assert not Message.objects.filter(channel=chat.channel).exists()


def test_a_reply_in_a_thread_updates_the_reply_link_in_the_channel(thread_root, chat):
    root = thread_root
    open_room(chat.bert_page, chat.url)
    open_room(chat.anna_page, f"{chat.url}threads/{root.pk}/")

    body = "Ja, op dinsdag nog twee."
    composer = chat.anna_page.locator("[data-composer] textarea")
    composer.fill(body)
    composer.press("Enter")
    expect(_message(chat.anna_page, body)).to_have_count(1)
    expect(chat.anna_page.locator(".wijk-message--pending")).to_have_count(0, timeout=LIVE)

    in_channel = chat.bert_page.locator(f"#m-{root.seq}")
    replies = in_channel.locator(".wijk-message__replies a")
    expect(replies).to_have_attribute("href", f"/channels/{chat.channel.pk}/threads/{root.pk}/")
    expect(replies).to_contain_text("1", timeout=LIVE)
    # the reply itself belongs to the thread, not to the channel's list
    expect(_message(chat.bert_page, body)).to_have_count(0)
    assert Message.objects.get(body=body).parent_id == root.pk


def test_reactions_and_deletions_reach_the_other_member(thread_root, chat):
    open_room(chat.anna_page, chat.url)
    open_room(chat.bert_page, chat.url)
    on_annas_page = chat.anna_page.locator(f"#m-{thread_root.seq}")
    on_berts_page = chat.bert_page.locator(f"#m-{thread_root.seq}")

    on_annas_page.locator("button[formaction$='/react/']").click()
    expect(on_berts_page.locator(".wijk-reaction")).to_have_text("👍 1", timeout=LIVE)
    expect(on_annas_page.locator(".wijk-reaction--mine")).to_have_count(1)
    expect(chat.anna_page).to_have_url(chat.url)  # over the socket, not by a form post

    # Bert is on a phone: a tap shows the message's toolbar, the deletion is in its menu, asked
    # first, and sent when the few seconds to undo it are over
    on_berts_page.locator(".wijk-message__body").click()
    on_berts_page.get_by_label("Meer acties").click()
    on_berts_page.get_by_role("button", name="Verwijderen").click()
    chat.bert_page.get_by_role("dialog").get_by_role("button", name="Verwijderen").click()
    tombstone = "Dit bericht is verwijderd."  # the row the server rendered, in Dutch
    expect(on_annas_page).to_have_class(re.compile(r"\bwijk-message--deleted\b"), timeout=LIVE)
    expect(on_annas_page.locator(".wijk-message__body")).to_have_text(tombstone)
    expect(on_annas_page.locator(".wijk-reactions")).to_have_count(0)
    expect(on_berts_page.locator("form")).to_have_count(0)

    thread_root.refresh_from_db()
    assert thread_root.deleted_at is not None
    assert not thread_root.reactions.exists()


def test_a_removed_member_loses_the_channel_at_once(chat):
    open_room(chat.bert_page, chat.url)
    chat.anna_page.goto(f"{chat.url}members/")
    chat.anna_page.locator(f"form[action$='/members/{chat.bert.pk}/remove/'] button").click()

    status = chat.bert_page.locator("[data-status]")
    expect(status).to_have_text(status.get_attribute("data-removed-text"), timeout=LIVE)
    expect(chat.bert_page.locator("[data-composer] textarea")).to_be_disabled()
    expect(chat.bert_page.locator(".wijk-room")).to_have_attribute("data-connection", "ended")
    assert not chat.channel.memberships.filter(user=chat.bert).exists()


def _follow(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("body")).to_have_attribute("data-connection", "live", timeout=LIVE)


def test_badges_count_new_messages_and_mentions_and_clear_when_read(chat):
    server = chat.url.split("/channels/")[0]
    overview = chat.anna_page
    _follow(overview, f"{server}/channels/")
    elsewhere = overview.context.new_page()
    _follow(elsewhere, f"{server}/directory/")
    item = overview.locator(f"li.wijk-channel-list__item[data-room='{chat.channel.pk}']")
    expect(item.locator(".wijk-unread-badge")).to_have_count(0)
    expect(overview.locator(".wijk-notification-badge")).to_have_count(0)

    open_room(chat.bert_page, chat.url)
    composer = chat.bert_page.locator("[data-composer] textarea")
    composer.fill("Goedemorgen allemaal")
    composer.press("Enter")
    expect(item.locator(".wijk-unread-badge")).to_have_text("1 ongelezen", timeout=LIVE)
    expect(item.locator(".wijk-mention-badge")).to_have_count(0)

    composer.fill("@Anna Huisarts kun je meekijken bij mevrouw uit de Akerstraat?")
    composer.press("Enter")
    expect(item.locator(".wijk-unread-badge")).to_have_text("2 ongelezen", timeout=LIVE)
    expect(item.locator(".wijk-mention-badge")).to_have_text("1 vermelding", timeout=LIVE)
    for page in (overview, elsewhere):
        badge = page.locator(".wijk-header__notifications .wijk-notification-badge")
        expect(badge).to_contain_text("1", timeout=LIVE)
        expect(badge).to_have_class("utrecht-badge-counter wijk-notification-badge")
        expect(page.locator("[data-notification-status]")).to_have_text(
            "Nieuwe melding. Ongelezen meldingen: 1."
        )

    # Reading the channel in another tab clears the counts here.
    reading = overview.context.new_page()
    open_room(reading, chat.url)
    expect(item.locator(".wijk-unread-badge")).to_have_count(0, timeout=LIVE)
    expect(item.locator(".wijk-mention-badge")).to_have_count(0)
    reading.close()
    elsewhere.close()

    # Reloaded, the server renders the same counts the page showed live.
    assert Membership.objects.get(channel=chat.channel, user=chat.anna).last_read_seq == 2
    overview.reload()
    expect(item.locator(".wijk-unread-badge")).to_have_count(0)
    expect(overview.locator(".wijk-notification-badge")).to_contain_text("1")
    expect(overview.locator(".wijk-notification-badge")).to_have_class(
        "utrecht-badge-counter wijk-notification-badge"
    )


def test_the_notifications_page_lists_a_new_notification_as_it_arrives(chat):
    server = chat.url.split("/channels/")[0]
    notifications = chat.anna_page
    _follow(notifications, f"{server}/channels/notifications/")
    expect(notifications.locator("[data-no-notifications]")).to_have_text("Nog geen meldingen.")
    expect(notifications.locator("[data-notifications]")).to_be_hidden()

    open_room(chat.bert_page, chat.url)
    composer = chat.bert_page.locator("[data-composer] textarea")
    composer.fill("@Anna Huisarts kun je meekijken bij mevrouw uit de Akerstraat?")
    composer.press("Enter")

    item = notifications.locator("[data-notifications] > li")
    expect(item).to_have_count(1, timeout=LIVE)
    expect(item).to_contain_text("nieuw")
    expect(item.locator("button")).to_contain_text(
        "Bert Wijkverpleegkundige noemde je in Samen Heerlen Gezond"
    )
    # as Dutch writes a date: "6 dec., 14:05", "1 mei, 09:30"
    expect(item.locator("time")).to_have_text(re.compile(SHORT_MOMENT))
    live_time = item.locator("time").text_content()
    expect(notifications.locator("[data-no-notifications]")).to_have_count(0)
    expect(notifications.locator("form[data-mark-all]")).to_be_visible()
    expect(notifications.locator("[data-notification-status]")).to_have_text(
        "Nieuwe melding. Ongelezen meldingen: 1."
    )

    # Opening it goes to the message and marks it read, as for one the server rendered.
    item.locator("button").click()
    expect(notifications).to_have_url(re.compile(rf"/channels/{chat.channel.pk}/\?around=1#m-1$"))
    assert Notification.objects.get(user=chat.anna).read_at is not None
    notifications.goto(f"{server}/channels/notifications/")
    expect(notifications.locator("[data-notifications] > li")).to_have_count(1)
    expect(notifications.locator(".wijk-notification--unread")).to_have_count(0)
    # the server writes the same moment the same way
    expect(notifications.locator("[data-notifications] time")).to_have_text(live_time)


@dataclass
class _LossyLine:
    """Stands between Anna's page and the server: while ``lose``, new messages are lost on the
    way (the socket stays open); while ``fail_syncs``, the page's syncs are answered with an
    error instead of reaching the server. Keeps what the page sent."""

    lose: bool = True
    fail_syncs: bool = False

    def __post_init__(self) -> None:
        self.frames: list[dict] = []

    def sent(self, kind: str) -> list[dict]:
        return [frame for frame in self.frames if frame.get("type") == kind]

    def relay(self, socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()

        def from_server(message: str | bytes) -> None:
            if self.lose and isinstance(message, str) and '"type":"message.created"' in message:
                return
            socket.send(message)

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            self.frames.append(frame)
            if frame.get("type") == "sync" and self.fail_syncs:
                error = {"type": "error", "code": "internal_error", "ref": frame["ref"]}
                socket.send(json.dumps({**error, "message": "Er ging iets mis."}))
                return
            server.send(message)

        server.on_message(from_server)
        socket.on_message(from_page)


def _bert_sends_what_anna_misses(chat) -> str:
    """Both open the room; Bert's message is stored, and lost on its way to Anna's page (her
    test's relay drops it)."""
    open_room(chat.anna_page, chat.url)
    open_room(chat.bert_page, chat.url)
    body = "Een bericht dat onderweg verloren ging: het overleg is om vier uur."
    bert_composer = chat.bert_page.locator("[data-composer] textarea")
    bert_composer.fill(body)
    bert_composer.press("Enter")
    expect(chat.bert_page.locator(".wijk-message--pending")).to_have_count(0, timeout=LIVE)
    chat.anna_page.wait_for_timeout(1_500)  # long enough for a live message to show
    expect(_message(chat.anna_page, body)).to_have_count(0)
    return body


def test_a_tab_whose_socket_missed_a_message_fetches_it_at_the_next_pong(chat):
    """The socket stays open but a broadcast never reaches it (the channel layer lost it): the
    page's next ping asks for the room's newest numbers, the pong names one the page has not
    seen, and the page fetches the message."""
    line = _LossyLine()
    chat.anna_page.clock.install()
    chat.anna_page.route_web_socket(re.compile(r"/ws/$"), line.relay)
    body = _bert_sends_what_anna_misses(chat)

    line.lose = False
    chat.anna_page.clock.run_for(31_000)  # the page pings every 30 s
    expect(_message(chat.anna_page, body)).to_have_count(1, timeout=LIVE)
    pings = line.sent("ping")
    assert pings and pings[-1]["rooms"] == [chat.channel.pk]
    expect(chat.anna_page.locator(".wijk-room")).to_have_attribute("data-connection", "live")


def test_a_sync_the_server_could_not_answer_is_asked_again_with_growing_pauses(chat):
    """The server answers the page's sync with an error (here made by the line between them):
    the page asks again after a pause, longer each time, and fetches what it missed once the
    server answers."""
    line = _LossyLine(fail_syncs=True)
    chat.anna_page.clock.install()
    chat.anna_page.route_web_socket(re.compile(r"/ws/$"), line.relay)
    body = _bert_sends_what_anna_misses(chat)
    line.lose = False

    # asked again after about 1, 2 and 4 seconds: not once, and not in a loop
    chat.anna_page.clock.run_for(10_000)
    chat.anna_page.wait_for_timeout(500)
    syncs = line.sent("sync")
    assert 3 <= len(syncs) <= 5, syncs
    # the server answers again: the next try (before the next ping) fetches the message
    line.fail_syncs = False
    chat.anna_page.clock.run_for(15_000)
    expect(_message(chat.anna_page, body)).to_have_count(1, timeout=LIVE)
