from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from tests.factories import ProfessionalFactory, UserFactory
from tests.websocket import connect

pytestmark = [pytest.mark.django_db(transaction=True)]


def verified_user():
    return ProfessionalFactory().user


@pytest.fixture
async def member():
    return await database_sync_to_async(verified_user)()


async def test_it_answers_ping_with_pong(member):
    communicator, connected, _ = await connect("/ws/", member)
    assert connected
    await communicator.send_json_to({"type": "ping", "ref": "a1"})
    assert await communicator.receive_json_from() == {"type": "pong", "ref": "a1"}
    await communicator.disconnect()


async def test_it_refuses_anonymous_users():
    _communicator, connected, _ = await connect("/ws/")
    assert not connected


async def test_it_refuses_unverified_users():
    user = await database_sync_to_async(UserFactory)()
    _communicator, connected, _ = await connect("/ws/", user)
    assert not connected


async def test_it_refuses_inactive_users():
    user = await database_sync_to_async(UserFactory)(is_active=False)
    _communicator, connected, _ = await connect("/ws/", user)
    assert not connected


async def test_it_refuses_a_foreign_origin(member):
    _communicator, connected, _ = await connect("/ws/", member, origin="https://evil.example")
    assert not connected


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("this is not json", "bad_json"),
        ("[1, 2, 3]", "bad_frame"),
        ('{"no": "type"}', "bad_frame"),
        ('{"type": 7}', "bad_frame"),
        ('{"type": "launch-missiles"}', "unknown_type"),
        (json.dumps({"type": "ping", "pad": "x" * 70_000}), "too_large"),
        ("[" * 100_000, "too_large"),
    ],
)
async def test_it_answers_a_bad_frame_with_an_error_and_stays_open(member, frame, code):
    communicator, connected, _ = await connect("/ws/", member)
    assert connected
    await communicator.send_to(text_data=frame)
    answer = await communicator.receive_json_from()
    assert answer["type"] == "error"
    assert answer["code"] == code
    assert answer["message"]
    # the connection is still usable
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


async def test_it_refuses_binary_frames(member):
    communicator, _, _ = await connect("/ws/", member)
    await communicator.send_to(bytes_data=b"\x00\x01")
    answer = await communicator.receive_json_from()
    assert answer["code"] == "bad_frame"
    await communicator.disconnect()


async def test_error_messages_follow_the_language_cookie(member):
    communicator, _, _ = await connect("/ws/", member, extra_cookie="django_language=en")
    await communicator.send_to(text_data="nope")
    assert (await communicator.receive_json_from())["message"] == "This frame is not valid JSON."
    await communicator.disconnect()
    communicator, _, _ = await connect("/ws/", member)
    await communicator.send_to(text_data="nope")
    assert (await communicator.receive_json_from())["message"] == "Dit frame is geen geldige JSON."
    await communicator.disconnect()


@pytest.mark.parametrize("error", ["autobahn", "oserror"])
async def test_a_frame_for_a_socket_that_is_closing_is_dropped_quietly(error):
    """daphne raises for a send after the browser began to close; the consumer goes on."""
    from autobahn.exception import Disconnected

    from core.protocol import JsonFrameConsumer

    sent: list[dict] = []

    async def base_send(message: dict) -> None:
        sent.append(message)
        raise Disconnected("closing") if error == "autobahn" else ConnectionResetError()

    consumer = JsonFrameConsumer()
    consumer.base_send = base_send
    await consumer.send_frame({"type": "presence", "user": 1, "online": False})
    await consumer.send(text_data="{}")
    assert [m["type"] for m in sent] == ["websocket.send", "websocket.send"]
