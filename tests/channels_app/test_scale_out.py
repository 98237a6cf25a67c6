"""Two daphne processes, one platform: the channel layer and the database are shared."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from django.conf import settings
from django.test import Client
from websockets.asyncio.client import connect as ws_connect

from channels_app.models import Message
from tests.servers import daphne, free_port

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def next_of(ws, frame_type: str) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if frame["type"] == frame_type:
            return frame


@pytest.mark.parametrize("layer", ["redis", "redis-pubsub"])
def test_a_message_sent_through_one_process_reaches_a_member_on_the_other(closed_room, layer):
    """With either of channels_redis' layers (``CHANNEL_LAYER``)."""
    room = closed_room
    owner_cookie, member_cookie = cookie(room.owner), cookie(room.member)
    env = {
        "REDIS_URL": settings.REDIS_URL,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CHANNEL_LAYER": layer,
    }
    with daphne(free_port(), **env) as first, daphne(free_port(), **env) as second:

        async def scenario() -> tuple[dict, dict]:
            def url(base: str) -> str:
                return base.replace("http://", "ws://") + "/ws/"

            async with (
                ws_connect(url(first), additional_headers={"Cookie": owner_cookie,
                                                           "Origin": first}) as owner,
                ws_connect(url(second), additional_headers={"Cookie": member_cookie,
                                                            "Origin": second}) as member,
            ):  # fmt: skip
                for ws in (owner, member):
                    await ws.send(json.dumps({"type": "subscribe", "room": room.channel.pk}))
                    await next_of(ws, "subscribed")
                client_id = str(uuid.uuid4())
                await owner.send(json.dumps({
                    "type": "send", "room": room.channel.pk, "body": "Over twee processen",
                    "client_id": client_id,
                }))  # fmt: skip
                ack = await next_of(owner, "ack")
                delivered = await next_of(member, "message.created")
                return ack, delivered

        ack, delivered = asyncio.run(scenario())
    assert delivered["id"] == ack["id"]
    assert Message.objects.filter(body="Over twee processen").count() == 1


def redis_clients_on_our_database() -> int:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        database = client.connection_pool.connection_kwargs.get("db", 0)
        return sum(1 for c in client.client_list() if int(c["db"]) == int(database))
    finally:
        client.close()


def test_open_sockets_share_the_processes_redis_connections(closed_room):
    """Each socket touches the cache (its rights version); none may keep a Redis
    connection of its own."""
    room = closed_room
    sockets = 30
    cookies = [cookie(room.member) for _ in range(sockets)]
    env = {"REDIS_URL": settings.REDIS_URL, "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    with daphne(free_port(), **env) as base:
        url = base.replace("http://", "ws://") + "/ws/"

        async def scenario() -> tuple[int, int]:
            first = await ws_connect(url, additional_headers={"Cookie": cookies[0], "Origin": base})
            await first.send(json.dumps({"type": "subscribe", "room": room.channel.pk}))
            await next_of(first, "subscribed")
            before = redis_clients_on_our_database()
            opened = [first]
            try:
                for value in cookies[1:]:
                    ws = await ws_connect(url, additional_headers={"Cookie": value, "Origin": base})
                    opened.append(ws)
                    await ws.send(json.dumps({"type": "subscribe", "room": room.channel.pk}))
                    await next_of(ws, "subscribed")
                    await ws.send(json.dumps({"type": "ping", "ref": "p"}))
                    await next_of(ws, "pong")
                return before, redis_clients_on_our_database()
            finally:
                await asyncio.gather(*(ws.close() for ws in opened))

        before, during = asyncio.run(scenario())
    # A few more pooled connections may open under load, never one per socket.
    assert during - before < 10, (before, during)
