"""A socket keeps hearing its groups when the channel layer loses them or lets them expire
(``core.layerwatch``), and a pong tells a tab the newest numbers of its rooms.

Run on the in-process layer, whose groups a test can take away; the fault tests do the same to
Redis with real server processes (tests/faults).
"""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from channels_app import services
from core import layerwatch
from core.protocol import CLOSE_RECONNECT, rights_group
from tests.channels_app.test_channel_socket import receive_until, subscribed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def in_memory_layer(settings, monkeypatch):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"group_expiry": 2},
        }
    }
    monkeypatch.setattr(layerwatch, "PROBE_EVERY", 0.1)
    monkeypatch.setattr(layerwatch, "PROBE_WAIT", 0.3)


def _forward(text: str) -> dict:
    return {"type": "frame.forward", "text": json.dumps({"type": "note", "text": text})}


async def _members(group: str) -> set[str]:
    return set(get_channel_layer().groups.get(group, {}))


async def test_a_socket_joins_its_groups_again_when_the_layer_lost_them(
    closed_room, in_memory_layer
):
    room = closed_room.channel.pk
    other = await database_sync_to_async(services.create_channel)(
        by=closed_room.member, kind="closed", name="Tweede kamer"
    )
    member = await subscribed(closed_room.member, room)
    await member.send_json_to({"type": "subscribe", "room": other.pk, "ref": "s2"})
    await receive_until(member, "subscribed")
    await member.send_json_to({"type": "unsubscribe", "room": other.pk, "ref": "u2"})
    await receive_until(member, "unsubscribed")
    layer = get_channel_layer()
    layer.groups.clear()  # what a FLUSHALL does to the standard layer's groups
    await asyncio.sleep(1.5)
    await layer.group_send(f"channel.{room}", _forward("weer te horen"))
    assert (await receive_until(member, "note"))["text"] == "weer te horen"
    # the groups of the socket itself too (revocations), and not the room it left
    assert await _members(rights_group(closed_room.member.pk))
    assert not await _members(f"channel.{other.pk}")
    await member.disconnect()


async def test_a_socket_still_hears_after_its_memberships_would_have_expired(
    closed_room, in_memory_layer
):
    room = closed_room.channel.pk
    member = await subscribed(closed_room.member, room)
    await asyncio.sleep(5)  # more than twice the layer's group_expiry of 2 s
    await get_channel_layer().group_send(f"channel.{room}", _forward("nog steeds"))
    assert (await receive_until(member, "note"))["text"] == "nog steeds"
    await member.disconnect()


async def test_sockets_are_closed_to_reconnect_when_joining_again_does_not_help(
    closed_room, in_memory_layer
):
    member = await subscribed(closed_room.member, closed_room.channel.pk)
    layer = get_channel_layer()

    async def keep_losing() -> None:
        while True:
            layer.groups.clear()
            await asyncio.sleep(0.01)

    losing = asyncio.create_task(keep_losing())
    try:
        closed = None
        async with asyncio.timeout(5):
            while closed is None:
                output = await member.output_queue.get()
                if output["type"] == "websocket.close":
                    closed = output.get("code")
    finally:
        losing.cancel()
    assert closed == CLOSE_RECONNECT


async def test_an_ended_socket_is_not_joined_again(closed_room, in_memory_layer):
    from django.contrib.sessions.models import Session

    member = await subscribed(closed_room.member, closed_room.channel.pk)
    await database_sync_to_async(lambda: Session.objects.all().delete())()
    assert (await receive_until(member, "session.ended"))["code"] == 4401
    get_channel_layer().groups.clear()
    await asyncio.sleep(1)
    assert not await _members(f"channel.{closed_room.channel.pk}")
    assert not await _members(rights_group(closed_room.member.pk))


async def test_a_pong_carries_the_newest_numbers_of_the_rooms_asked_for(closed_room):
    room = closed_room.channel
    secret = await database_sync_to_async(services.create_channel)(
        by=closed_room.owner, kind="closed", name="Alleen voor Olga"
    )
    member = await subscribed(closed_room.member, room.pk)
    await member.send_json_to({"type": "ping", "ref": "p"})
    assert await receive_until(member, "pong") == {"type": "pong", "ref": "p"}
    # a room the socket does not follow is left out: no numbers of rooms one may not read
    await member.send_json_to({"type": "ping", "ref": "q", "rooms": [room.pk, secret.pk, True]})
    pong = await receive_until(member, "pong")
    assert pong == {"type": "pong", "ref": "q",
                    "rooms": [{"room": room.pk, "last_seq": 0, "last_change": 0}]}  # fmt: skip
    await database_sync_to_async(services.post_message)(
        room.pk, author=closed_room.owner, body="Gemist?", client_id=str(uuid.uuid4())
    )
    await receive_until(member, "message.created")
    await member.send_json_to({"type": "ping", "rooms": [room.pk]})
    (latest,) = (await receive_until(member, "pong"))["rooms"]
    assert latest["last_seq"] == 1 and latest["last_change"] >= 1
    await member.disconnect()
