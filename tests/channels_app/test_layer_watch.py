"""A socket keeps hearing its groups when the channel layer loses them or lets them expire
(``core.layerwatch``), and a pong tells a tab the newest numbers of its rooms.

Run on the in-process layer, whose groups a test can take away, and on channels_redis' two
layers spread over two private Redis servers, one of which loses its groups; the fault tests do
the same to Redis with real server processes (tests/faults).
"""

from __future__ import annotations

import asyncio
import contextlib
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
        assert await _close_code(member) == CLOSE_RECONNECT
    finally:
        losing.cancel()


async def _close_code(member, within: float = 5) -> int | None:
    """The code the socket closes with, within ``within`` seconds."""
    async with asyncio.timeout(within):
        while True:
            output = await member.output_queue.get()
            if output["type"] == "websocket.close":
                return output.get("code")


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


# ---- a layer spread over two Redis servers ---------------------------------------------------
# Each group lives on one of the servers. A watch that probed one of them only would not notice
# that the other lost its groups: it probes each. Two private Redis servers, as in tests/faults.


@pytest.fixture(scope="module")
def shard_servers():
    from tests.faults.services import redis_servers

    with redis_servers(2) as servers:
        yield servers


def _redis(server):
    import redis

    return redis.Redis.from_url(server.url)


@pytest.fixture(params=["redis", "redis-pubsub"])
def sharded_layer(request, shard_servers, settings, monkeypatch) -> str:
    for server in shard_servers:
        with _redis(server) as client:
            client.flushall()
    hosts = [{"address": server.url, "socket_timeout": None} for server in shard_servers]
    if request.param == "redis":
        backend = {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": hosts}}
    else:
        backend = {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": hosts, "prefix": "asgi-db0-0"},
        }
    settings.CHANNEL_LAYERS = {"default": backend}
    monkeypatch.setattr(layerwatch, "PROBE_EVERY", 0.1)
    monkeypatch.setattr(layerwatch, "PROBE_WAIT", 0.3)
    return request.param


def _on_server(server, kind: str, group: str) -> bool:
    """Whether ``group`` is held by ``server``: its sorted set, or its publish channel."""
    with _redis(server) as client:
        if kind == "redis":
            return bool(client.exists(f"asgi:group:{group}"))
        return bool(client.pubsub_channels(f"*__group__{group}"))


async def _rooms_on_each_shard(room, user) -> dict[int, int]:
    """A room of ``user`` for each shard: the given one, and new ones until each shard has one."""
    layer = get_channel_layer()
    rooms = {layerwatch.shard_of(layer, f"channel.{room.pk}"): room.pk}
    while len(rooms) < layerwatch.shard_count(layer):
        other = await database_sync_to_async(services.create_channel)(
            by=user, kind="closed", name=f"Kamer {uuid.uuid4().hex[:8]}"
        )
        rooms.setdefault(layerwatch.shard_of(layer, f"channel.{other.pk}"), other.pk)
    return rooms


async def _note_within(member, seconds: float) -> str | None:
    """The text of the next note within ``seconds`` (without ending the socket on a timeout,
    as ``receive_json_from`` does)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                output = await member.output_queue.get()
                if output["type"] == "websocket.send":
                    frame = json.loads(output["text"])
                    if frame["type"] == "note":
                        return str(frame["text"])
    return None


async def _subscribed_to(user, rooms: list[int]):
    member = await subscribed(user, rooms[0])
    for room in rooms[1:]:
        await member.send_json_to({"type": "subscribe", "room": room, "ref": f"s{room}"})
        await receive_until(member, "subscribed")
    return member


@pytest.mark.faults
async def test_the_watch_has_a_canary_group_on_each_server(sharded_layer, shard_servers):
    layer = get_channel_layer()
    assert layerwatch.shard_count(layer) == 2
    channel = await layer.new_channel()
    for shard in range(2):
        group = layerwatch.canary_group(layer, shard)
        await layer.group_add(group, channel)
        held = [_on_server(server, sharded_layer, group) for server in shard_servers]
        assert held == [index == shard for index in range(2)]
    await layer.flush()


@pytest.mark.faults
async def test_a_socket_hears_again_when_either_server_loses_its_groups(
    closed_room, sharded_layer, shard_servers
):
    """Each server in turn is flushed (the standard layer's groups) or restarted (both
    layers): the socket hears the room whose group that server holds again."""
    layer = get_channel_layer()
    rooms = await _rooms_on_each_shard(closed_room.channel, closed_room.member)
    member = await _subscribed_to(closed_room.member, list(rooms.values()))
    for shard, room in sorted(rooms.items()):
        if sharded_layer == "redis":
            with _redis(shard_servers[shard]) as client:
                client.flushall()
        else:
            await asyncio.to_thread(shard_servers[shard].restart, 0.5)
        text = f"weer te horen op server {shard}"
        async with asyncio.timeout(10):
            while True:
                with contextlib.suppress(Exception):  # the server may still be coming back
                    await layer.group_send(f"channel.{room}", _forward(text))
                if await _note_within(member, 0.5) == text:
                    break
    if sharded_layer == "redis":  # the socket's own groups too, wherever they are
        group = rights_group(closed_room.member.pk)
        assert _on_server(shard_servers[layerwatch.shard_of(layer, group)], "redis", group)
    await member.disconnect()


@pytest.mark.faults
@pytest.mark.parametrize("sharded_layer", ["redis-pubsub"], indirect=True)
async def test_sockets_with_groups_on_a_server_that_stays_deaf_are_closed(
    closed_room, sharded_layer
):
    """The pub/sub layer's subscriptions on one server are gone behind its back (what a
    restart does, were they not made again): the sockets with groups there reconnect."""
    layer = get_channel_layer()
    rooms = await _rooms_on_each_shard(closed_room.channel, closed_room.member)
    member = await _subscribed_to(closed_room.member, list(rooms.values()))
    await asyncio.sleep(0.5)  # the watch runs
    for shard in range(2):
        connection = layer._get_layer()._shards[shard]
        async with connection._lock:
            await connection._pubsub.unsubscribe()
        assert await _close_code(member) == CLOSE_RECONNECT
        await member.disconnect()
        member = await _subscribed_to(closed_room.member, list(rooms.values()))
    await member.disconnect()
