"""A room without the page around it, for the live client's switch (X-Wijk-Fragment: room): the
same room as the page, the same rights, and the reader's first unread message marked."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from channels_app import services

pytestmark = pytest.mark.django_db

ROOM = {"X-Wijk-Fragment": "room"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(channel) -> str:
    return reverse("channels_app:channel", args=[channel.pk])


def test_the_fragment_is_the_room_alone_and_kept_apart_from_the_page(closed_room):
    services.post_message(closed_room.channel.pk, author=closed_room.owner, body="Welkom allemaal")
    client = _client(closed_room.member)
    fragment = client.get(_url(closed_room.channel), headers=ROOM)
    page = client.get(_url(closed_room.channel))
    assert fragment.status_code == page.status_code == 200
    assert fragment["X-Wijk-Fragment"] == "room"
    assert "X-Wijk-Fragment" not in page
    for response in (fragment, page):
        assert "X-Wijk-Fragment" in response["Vary"]
    text = fragment.content.decode()
    assert text.lstrip().startswith('<div class="wijk-room" data-live-room')
    assert "Welkom allemaal" in text
    assert 'data-page-title="Samen Heerlen Gezond · ' in text
    assert "<html" not in text and "wijk-sidebar" not in text
    assert "wijk-sidebar" in page.content.decode()


def test_an_outsider_gets_no_more_from_the_fragment_than_from_the_page(closed_room):
    services.post_message(closed_room.channel.pk, author=closed_room.owner, body="Alleen leden")
    direct = services.direct_channel(by=closed_room.owner, others=[closed_room.member])
    services.post_message(direct.pk, author=closed_room.owner, body="Onder ons")
    client = _client(closed_room.outsider)
    closed = client.get(_url(closed_room.channel), headers=ROOM)
    assert closed.status_code == 200  # the closed channel's door: ask to join
    assert "Alleen leden" not in closed.content.decode()
    assert client.get(_url(direct), headers=ROOM).status_code == 404


def test_the_first_unread_message_is_marked_once(open_room, settings):
    settings.MESSAGE_RATE_LIMIT = (1_000, 10)
    for number in range(1, 6):
        services.post_message(open_room.channel.pk, author=open_room.owner, body=f"Nummer {number}")
    open_room.channel.refresh_from_db()
    services.mark_read(open_room.channel, user=open_room.member, seq=3)
    client = _client(open_room.member)
    first = client.get(_url(open_room.channel), headers=ROOM).content.decode()
    assert first.count("data-new-line") == 1
    assert first.index("data-new-line") < first.index("Nummer 4") > first.index("Nummer 3")
    assert first.index("Nummer 3") < first.index("data-new-line")
    # opened, the room is read: the line does not come back
    again = client.get(_url(open_room.channel), headers=ROOM).content.decode()
    assert "data-new-line" not in again and "data-jump-unread" not in again


THREAD = {"X-Wijk-Fragment": "thread"}


def _thread_url(message) -> str:
    return reverse("channels_app:thread", args=[message.channel_id, message.pk])


def test_a_thread_for_the_panel_is_the_thread_alone_with_ids_of_its_own(closed_room):
    root, _ = services.post_message(closed_room.channel.pk, author=closed_room.owner, body="Vraag")
    services.post_message(
        closed_room.channel.pk, author=closed_room.member, body="Antwoord", parent_id=root.pk
    )
    client = _client(closed_room.member)
    panel = client.get(_thread_url(root), headers=THREAD)
    page = client.get(_thread_url(root))
    assert panel.status_code == page.status_code == 200
    assert panel["X-Wijk-Fragment"] == "thread"
    assert "X-Wijk-Fragment" not in page
    for response in (panel, page):
        assert "X-Wijk-Fragment" in response["Vary"]
    text = panel.content.decode()
    assert "<html" not in text and "wijk-sidebar" not in text
    assert "Vraag" in text and "Antwoord" in text
    assert 'data-action-form="thread-message-actions"' in text
    assert 'id="thread-message-actions"' in text
    assert 'id="thread-id_body"' in text and 'for="thread-id_body"' in text
    # the page around the panel holds the channel, whose ids these must not repeat
    channel = client.get(_url(closed_room.channel)).content.decode()
    repeated = {
        name
        for name in re.findall(r'(?<![\w-])id="([^"]+)"', text)
        if f'id="{name}"' in channel and not name.startswith("m-")
    }
    assert not repeated
    page_text = page.content.decode()
    assert 'id="message-actions"' in page_text and 'id="id_body"' in page_text


def test_an_outsider_gets_no_thread_panel(closed_room):
    root, _ = services.post_message(closed_room.channel.pk, author=closed_room.owner, body="Intern")
    response = _client(closed_room.outsider).get(_thread_url(root), headers=THREAD)
    assert response.status_code == 404
    assert "Intern" not in response.content.decode()
