"""One source for a message's markup: the row template, rendered once per message and language
on the server, the same for every reader, sent over the socket and shown by the pages."""

from __future__ import annotations

import re
import uuid

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from channels_app import services
from tests.channels_app.test_channel_socket import receive_until, subscribed
from tests.websocket import connect

pytestmark = pytest.mark.django_db(transaction=True)


def _reader_neutral(row: str) -> str:
    """A row without what a page adds for its reader: data-mine."""
    return row.replace(" data-mine", "")


def _page_row(user, channel_id: int, message_id: int) -> str:
    client = Client()
    client.force_login(user)
    page = client.get(reverse("channels_app:channel", args=[channel_id])).content.decode()
    found = re.search(
        rf'<li class="wijk-message[^"]*"[^>]*data-id="{message_id}".*?</li>', page, re.S
    )
    assert found, "the page shows the message"
    return found[0]


async def test_every_reader_gets_the_same_row_and_the_page_shows_the_same(closed_room):
    room = closed_room
    owner = await subscribed(room.owner, room.channel.pk)
    member = await subscribed(room.member, room.channel.pk)
    await owner.send_json_to({
        "type": "send", "room": room.channel.pk, "body": "Zie **dit**", "ref": "1",
        "client_id": str(uuid.uuid4()),
    })  # fmt: skip
    to_owner = await receive_until(owner, "message.created")
    to_member = await receive_until(member, "message.created")
    assert to_owner["rows"] == to_member["rows"]
    assert list(to_member["rows"]) == ["nl"]  # each reader gets the row in their language
    row = to_member["rows"]["nl"]
    assert "<strong>dit</strong>" in row and "data-mine" not in row
    # every control is in the row, marked for whom it is; the styles show each to its readers
    for needs in ("post", "author-or-moderator", "moderator", "other", "channel-view"):
        assert f'data-needs="{needs}"' in row
    page_row = await database_sync_to_async(_page_row)(
        room.member, room.channel.pk, to_member["id"]
    )
    assert _reader_neutral(page_row) == _reader_neutral(row.strip())
    own_row = await database_sync_to_async(_page_row)(room.owner, room.channel.pk, to_owner["id"])
    assert " data-mine" in own_row and " data-mine" not in page_row
    await owner.disconnect()
    await member.disconnect()


async def test_a_reader_in_english_gets_the_english_row(closed_room):
    room = closed_room
    owner = await subscribed(room.owner, room.channel.pk)
    english, connected, _ = await connect("/ws/", room.member, extra_cookie="django_language=en")
    assert connected
    await english.send_json_to({"type": "subscribe", "room": room.channel.pk, "ref": "s"})
    await receive_until(english, "subscribed")
    await database_sync_to_async(services.post_message)(
        room.channel.pk, author=room.owner, body="Hallo"
    )
    dutch = await receive_until(owner, "message.created")
    translated = await receive_until(english, "message.created")
    assert list(dutch["rows"]) == ["nl"] and list(translated["rows"]) == ["en"]
    assert ">Verwijderen<" in dutch["rows"]["nl"] and ">Delete<" in translated["rows"]["en"]
    # a sync answers in the socket's language too
    await english.send_json_to({"type": "sync", "room": room.channel.pk, "after": 0, "ref": "y"})
    replayed = await receive_until(english, "message.created")
    assert replayed["rows"] == translated["rows"]
    await owner.disconnect()
    await english.disconnect()


def test_a_reaction_brings_the_new_row_with_who_reacted(closed_room):
    room = closed_room
    message, _created = services.post_message(room.channel.pk, author=room.owner, body="Top")
    services.toggle_reaction(message, by=room.member, emoji="👍")
    frame = services.message_frame(message)
    assert f'data-users="{room.member.pk}"' in frame["rows"]["nl"]


def _channel_page(user, channel_id: int) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse("channels_app:channel", args=[channel_id])).content.decode()


def test_a_page_reads_each_messages_content_from_the_cache_and_a_change_renders_anew(
    closed_room,
):
    room = closed_room
    message, _created = services.post_message(room.channel.pk, author=room.owner, body="Eerst")
    assert "Eerst" in _channel_page(room.member, room.channel.pk)
    key = services.CHANNELS.content_key(message, "nl")
    version, cached = cache.get(key)
    assert version == str(message.change_seq)
    # the same content for every reader: no reader's CSRF token, no data-mine
    assert "Eerst" in cached and "csrfmiddlewaretoken" not in cached and "data-mine" not in cached
    cache.set(key, (version, cached.replace("Eerst", "Uit de cache")))
    assert "Uit de cache" in _channel_page(room.owner, room.channel.pk)
    # an edit gives the message a new change number: the page shows the edit, and the cache
    # holds the new text only, in every language (the edit's frame rendered them all)
    services.edit_message(message, by=room.owner, body="Daarna")
    page = _channel_page(room.member, room.channel.pk)
    assert "Daarna" in page and "Uit de cache" not in page
    for language in ("nl", "en"):
        version, cached = cache.get(services.CHANNELS.content_key(message, language))
        assert "Daarna" in cached and "Eerst" not in cached and "Uit de cache" not in cached
    # a deleted message's text is gone from the cache at once, not when it expires
    services.delete_message(message, by=room.owner)
    for language in ("nl", "en"):
        version, cached = cache.get(services.CHANNELS.content_key(message, language))
        assert "Daarna" not in cached


def test_a_page_renders_its_messages_when_the_cache_fails(closed_room, monkeypatch):
    room = closed_room
    services.post_message(room.channel.pk, author=room.owner, body="Toch zichtbaar")

    def unavailable(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get_many", unavailable)
    monkeypatch.setattr(cache, "set_many", unavailable)
    assert "Toch zichtbaar" in _channel_page(room.member, room.channel.pk)


def test_forgetting_a_messages_contents_shows_a_moment_set_afterwards(closed_room):
    """The demo data sets the moment of posting after posting: the row must show it."""
    from datetime import datetime

    from django.utils import timezone

    from channels_app.models import Message

    message, _created = services.post_message(
        closed_room.channel.pk, author=closed_room.owner, body="Van vorige week"
    )
    _page_row(closed_room.member, closed_room.channel.pk, message.pk)  # cached now
    when = timezone.make_aware(datetime(2026, 3, 2, 9, 30))  # noqa: DTZ001 (the site's zone)
    Message.objects.filter(pk=message.pk).update(created_at=when)
    services.CHANNELS.forget_contents(message)
    assert "2 mrt" in _page_row(closed_room.member, closed_room.channel.pk, message.pk).lower()
