"""The websocket under the two loads that redis-py's defaults break: idling and bursts.

Both run against ``daphne config.asgi:application`` started as a separate process, with the
Redis channel layer (see "Known pitfalls" in the design): redis-py 8's 5 s socket timeout cuts
idle consumers off with code 1011, and its pool of 100 connections per process turns a burst of
connects into HTTP 500s.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
import uuid
from importlib import import_module

import pytest
import redis.asyncio
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from websockets.asyncio.client import connect as ws_connect

from accounts.models import User
from directory.models import Professional
from tests.servers import daphne, free_port

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

BURST = 400
IDLE_SECONDS = 65


def verified_people(count: int, prefix: str) -> list[User]:
    """``count`` verified professionals, made in bulk (the factories take a query each)."""
    users = User.objects.bulk_create(
        User(email=f"{prefix}{n}@wijk.example", display_name=f"Collega {prefix}{n}")
        for n in range(count)
    )
    Professional.objects.bulk_create(Professional(user=user, verified=True) for user in users)
    return users


def session_cookie(user: User) -> str:
    """A signed-in session made the way ``django.contrib.auth.login`` makes one."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def enough_file_descriptors(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def server_env() -> dict[str, str]:
    return {
        "REDIS_URL": settings.REDIS_URL,
        "CHANNEL_LAYER": settings.CHANNEL_LAYER,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


async def next_of(ws, frame_type: str, timeout: float = 30) -> dict:
    """The next frame of ``frame_type``; an ``error`` frame or a close fails the test."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == frame_type:
                return frame
            assert frame["type"] != "error", frame


async def group_size_when_settled(group: str, timeout: float = 90) -> int:
    """Members of a channel-layer group in Redis once it is empty, or when ``timeout`` is up:
    the group's sockets for the standard layer, the processes subscribed to the group for the
    pub/sub layer (a process unsubscribes once none of its sockets is in the group).

    Hundreds of sockets leaving at once also announce hundreds of presence changes to the
    room, so on a busy machine the last departures can take a while to be processed.
    """
    client = redis.asyncio.Redis.from_url(settings.REDIS_URL)
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"].get("prefix", "asgi")

    async def size() -> int:
        if settings.CHANNEL_LAYER == "redis-pubsub":
            [(_, subscribers)] = await client.pubsub_numsub(f"{prefix}__group__{group}")
            return int(subscribers)
        return int(await client.zcard(f"{prefix}:group:{group}"))

    try:
        members, deadline = await size(), time.monotonic() + timeout
        while members and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            members = await size()
        return members
    finally:
        await client.aclose()


def test_an_idle_socket_stays_open_for_a_minute_and_still_delivers(open_room):
    room = open_room
    member_cookie, owner_cookie = session_cookie(room.member), session_cookie(room.owner)
    with daphne(free_port(), **server_env()) as base:
        url, origin = base.replace("http://", "ws://") + "/ws/", base

        async def scenario() -> tuple[dict, dict, float]:
            # No websocket keep-alive pings: the socket and the server's consumer are truly idle.
            async with ws_connect(
                url, additional_headers={"Cookie": member_cookie, "Origin": origin},
                ping_interval=None,
            ) as idle:  # fmt: skip
                await idle.send(json.dumps({"type": "subscribe", "room": room.channel.pk}))
                await next_of(idle, "subscribed")
                started = time.monotonic()
                await asyncio.sleep(IDLE_SECONDS)
                await idle.send(json.dumps({"type": "ping", "ref": "after-idle"}))
                pong = await next_of(idle, "pong")
                # A message from another socket reaches it through the channel layer.
                async with ws_connect(
                    url, additional_headers={"Cookie": owner_cookie, "Origin": origin}
                ) as owner:
                    await owner.send(json.dumps({
                        "type": "send", "room": room.channel.pk, "body": "Nog wakker?",
                        "client_id": str(uuid.uuid4()),
                    }))  # fmt: skip
                    await next_of(owner, "ack")
                delivered = await next_of(idle, "message.created")
                return pong, delivered, time.monotonic() - started

        pong, delivered, idled = asyncio.run(scenario())
    assert idled >= 60
    assert pong == {"type": "pong", "ref": "after-idle"}
    assert delivered["body"] == "Nog wakker?"


def test_400_clients_connecting_at_the_same_moment_all_get_in(open_room):
    room = open_room
    people = verified_people(BURST, "burst")
    cookies = [session_cookie(person) for person in people]
    enough_file_descriptors(4 * BURST + 256)
    sender_cookie = session_cookie(room.owner)
    logs: list[str] = []

    with daphne(free_port(), output=logs, **server_env()) as base:
        url, origin = base.replace("http://", "ws://") + "/ws/", base
        outcomes: list[str] = []

        async def client(cookie: str, go: asyncio.Event, sockets: list) -> None:
            await go.wait()
            try:
                ws = await ws_connect(
                    url, additional_headers={"Cookie": cookie, "Origin": origin},
                    open_timeout=60, ping_interval=None, max_queue=None,
                )  # fmt: skip
            except Exception as error:  # refused (HTTP 403/500) or timed out
                outcomes.append(f"connect: {error!r}")
                return
            sockets.append(ws)
            try:
                await ws.send(json.dumps({"type": "subscribe", "room": room.channel.pk}))
                await next_of(ws, "subscribed", timeout=60)
                outcomes.append("in")
            except Exception as error:
                outcomes.append(f"subscribe: {error!r}")

        async def scenario() -> tuple[int, int, int]:
            go = asyncio.Event()
            sockets: list = []
            tasks = [asyncio.create_task(client(c, go, sockets)) for c in cookies]
            await asyncio.sleep(0)
            go.set()  # all at once
            await asyncio.gather(*tasks)
            received = 0
            if outcomes.count("in") == BURST:
                # Every one of them is in the room's group: one message reaches all 400.
                async with ws_connect(
                    url, additional_headers={"Cookie": sender_cookie, "Origin": origin}
                ) as sender:
                    await sender.send(json.dumps({
                        "type": "send", "room": room.channel.pk, "body": "Iedereen binnen?",
                        "client_id": str(uuid.uuid4()),
                    }))  # fmt: skip
                    await next_of(sender, "ack")
                deliveries = await asyncio.gather(
                    *(next_of(ws, "message.created", timeout=60) for ws in sockets),
                    return_exceptions=True,
                )
                received = sum(
                    1 for d in deliveries if isinstance(d, dict) and d["body"] == "Iedereen binnen?"
                )
            # ... and all leaving at once is no problem either: every group_discard succeeds,
            # so the room's group is empty again (only the sender's closed socket had left).
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
            left = await group_size_when_settled(f"channel.{room.channel.pk}")
            async with ws_connect(
                url, additional_headers={"Cookie": cookies[0], "Origin": origin}
            ) as again:
                await again.send(json.dumps({"type": "ping"}))
                await next_of(again, "pong")
            return received, len(sockets), left

        received, opened, left = asyncio.run(scenario())
    failures = [outcome for outcome in outcomes if outcome != "in"]
    assert failures == [], f"{len(failures)} of {BURST} did not get in, e.g. {failures[:3]}"
    assert opened == BURST
    assert received == BURST
    assert left == 0
    # Broadcasts reaching sockets that were closing did not end their consumers early.
    assert "Exception inside application" not in logs[0], logs[0][-3000:]
