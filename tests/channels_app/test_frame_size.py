"""Frames of every size through daphne as the platform runs it (``python -m config.daphne``).

Up to the transport's limit a frame over the consumers' own limit is answered with a
``too_large`` error frame and the socket stays open; beyond it the server closes the socket
with 1009 (message too big), never by dropping the connection (1006).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from django.test import Client
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from config.daphne import WEBSOCKET_MAX_BYTES, CommandLineInterface
from core.protocol import JsonFrameConsumer
from tests.factories import ProfessionalFactory
from tests.servers import daphne, free_port

pytestmark = [pytest.mark.django_db(transaction=True)]

DAPHNE_DEFAULT_LIMIT = 1024 * 1024
CLOSE_MESSAGE_TOO_BIG = 1009


def ping_of(size: int) -> str:
    """A ping frame of exactly ``size`` bytes."""
    head, tail = '{"type":"ping","ref":"big","pad":"', '"}'
    return head + "x" * (size - len(head) - len(tail)) + tail


def session_cookie() -> str:
    client = Client()
    client.force_login(ProfessionalFactory().user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def open_socket(base: str, cookie: str):
    return await ws_connect(
        base.replace("http://", "ws://") + "/ws/",
        additional_headers={"Cookie": cookie, "Origin": base},
        compression=None,  # the sizes below are the sizes on the wire
        open_timeout=10,
    )


async def next_frame(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), 20))


def test_the_transport_limit_lies_far_above_the_consumers_limit():
    assert WEBSOCKET_MAX_BYTES >= 4 * DAPHNE_DEFAULT_LIMIT
    assert JsonFrameConsumer.max_frame_bytes * 16 < WEBSOCKET_MAX_BYTES


def test_the_command_line_defaults_to_the_transport_limit_and_can_be_overridden():
    args = CommandLineInterface().parser.parse_args(["config.asgi:application"])
    assert args.websocket_max_message_size == WEBSOCKET_MAX_BYTES
    assert args.websocket_max_frame_size == WEBSOCKET_MAX_BYTES
    args = CommandLineInterface().parser.parse_args(
        ["--websocket-max-frame-size", "1000", "config.asgi:application"]
    )
    assert args.websocket_max_frame_size == 1000


def test_a_frame_up_to_the_transport_limit_is_answered_with_too_large_and_the_socket_stays_open():
    cookie = session_cookie()
    sizes = [
        JsonFrameConsumer.max_frame_bytes + 1,
        DAPHNE_DEFAULT_LIMIT + 1,  # plain daphne dropped the connection from here on
        1_100_000,
        WEBSOCKET_MAX_BYTES,
    ]
    with daphne(free_port()) as base:

        async def scenario() -> list[dict]:
            answers = []
            async with await open_socket(base, cookie) as ws:
                for size in sizes:
                    await ws.send(ping_of(size))
                    answers.append(await next_frame(ws))
                    await ws.send(json.dumps({"type": "ping", "ref": f"after-{size}"}))
                    answers.append(await next_frame(ws))
            return answers

        answers = asyncio.run(scenario())
    refusal = f"Dit frame is groter dan {JsonFrameConsumer.max_frame_bytes} bytes."
    for size, error, pong in zip(sizes, answers[::2], answers[1::2], strict=True):
        assert error["type"] == "error", size
        assert error["code"] == "too_large", size
        assert error["message"] == refusal, size
        assert pong == {"type": "pong", "ref": f"after-{size}"}, size


def test_a_frame_over_the_transport_limit_closes_the_socket_with_1009():
    cookie = session_cookie()
    with daphne(free_port()) as base:

        async def scenario() -> ConnectionClosed:
            async with await open_socket(base, cookie) as ws:
                # the server may close while the frame is still being sent: then the send ends
                try:
                    await ws.send(ping_of(WEBSOCKET_MAX_BYTES + 1))
                    await next_frame(ws)
                except ConnectionClosed as closed:
                    return closed
                pytest.fail("the socket stayed open")

        closed = asyncio.run(scenario())
    assert closed.rcvd is not None, "the server dropped the connection without a close frame"
    assert closed.rcvd.code == CLOSE_MESSAGE_TOO_BIG
