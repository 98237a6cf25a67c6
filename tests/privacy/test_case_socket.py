"""The case-room socket /ws/cases/<id>/: who may open it, the protocol, and removal."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from privacy import services
from privacy.models import AccessLogEntry, CaseMessage
from tests.privacy.fixtures import build_world, strong_client

pytestmark = pytest.mark.django_db(transaction=True)

PERSONAS = [
    "anonymous", "unverified", "outsider", "uncovered", "platform_admin", "member_without_mfa",
    "member", "coordinator", "privacy_officer",
]  # fmt: skip


@pytest.fixture
def world(transactional_db):
    return build_world()


@database_sync_to_async
def _cookie(user, seconds_ago: float = 0) -> str:
    if user is None:
        return ""
    client = strong_client(user, seconds_ago=seconds_ago)
    return f"sessionid={client.cookies['sessionid'].value}"


async def open_socket(user, room_id: int, *, seconds_ago: float = 0):
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    cookie = await _cookie(user, seconds_ago)
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    communicator = WebsocketCommunicator(application, f"/ws/cases/{room_id}/", headers=headers)
    connected, _detail = await communicator.connect(timeout=5)
    return communicator, connected


async def receive_until(communicator, frame_type: str, timeout: float = 5) -> dict:
    while True:
        frame = await communicator.receive_json_from(timeout)
        if frame["type"] == frame_type:
            return frame


@pytest.mark.parametrize("persona", PERSONAS)
async def test_only_members_with_mfa_and_a_recent_sign_in_open_the_socket(world, persona):
    user = None if persona == "anonymous" else getattr(world, persona)
    communicator, connected = await open_socket(user, world.room.pk)
    assert connected == (persona in {"member", "coordinator"})
    if connected:
        hello = await communicator.receive_json_from(5)
        assert hello["type"] == "subscribed" and hello["can_post"] is True
        await communicator.disconnect()


async def test_an_old_sign_in_is_refused(world):
    _communicator, connected = await open_socket(world.member, world.room.pk, seconds_ago=13 * 3600)
    assert not connected


async def test_a_missing_room_is_refused(world):
    _communicator, connected = await open_socket(world.member, world.room.pk + 1000)
    assert not connected


async def test_send_is_idempotent_acknowledged_and_delivered(world):
    coordinator, _ = await open_socket(world.coordinator, world.room.pk)
    member, _ = await open_socket(world.member, world.room.pk)
    await receive_until(coordinator, "subscribed")
    await receive_until(member, "subscribed")
    client_id = str(uuid.uuid4())
    frame = {"type": "send", "body": "Huisbezoek *donderdag*", "client_id": client_id, "ref": "a"}
    await coordinator.send_json_to(frame)
    ack = await receive_until(coordinator, "ack")
    assert ack["ref"] == "a" and ack["seq"] == 1 and ack["client_id"] == client_id
    delivered = await receive_until(member, "message.created")
    assert delivered["id"] == ack["id"]
    assert delivered["html"].strip() == "<p>Huisbezoek <em>donderdag</em></p>"
    # the row as the room's page shows it, the same for every reader, in the reader's language
    row = delivered["rows"]["nl"]
    assert list(delivered["rows"]) == ["nl"] and f'data-id="{ack["id"]}"' in row
    assert "<em>donderdag</em>" in row and "data-mine" not in row
    await coordinator.send_json_to(frame)  # a retry after a lost ack
    again = await receive_until(coordinator, "ack")
    assert again["id"] == ack["id"]
    count = await database_sync_to_async(CaseMessage.objects.filter(room=world.room).count)()
    assert count == 1
    await coordinator.disconnect()
    await member.disconnect()


async def test_sync_replays_what_was_missed(world):
    for n in range(3):
        await database_sync_to_async(services.post_message)(
            world.room.pk, author=world.coordinator, body=f"Bericht {n}"
        )
    member, _ = await open_socket(world.member, world.room.pk)
    await receive_until(member, "subscribed")
    await member.send_json_to({"type": "sync", "after": 1, "ref": "s"})
    first = await receive_until(member, "message.created")
    second = await receive_until(member, "message.created")
    synced = await receive_until(member, "synced")
    assert [first["seq"], second["seq"]] == [2, 3]
    assert synced["last_seq"] == 3 and synced["more"] is False
    await member.disconnect()


async def test_bad_frames_get_error_frames_and_the_socket_stays_open(world):
    member, _ = await open_socket(world.member, world.room.pk)
    await receive_until(member, "subscribed")
    await member.send_to(text_data="not json")
    assert (await receive_until(member, "error"))["code"] == "bad_json"
    await member.send_json_to({"type": "subscribe", "room": 1})
    assert (await receive_until(member, "error"))["code"] == "unknown_type"
    await member.send_json_to({"type": "send", "body": "   "})
    assert (await receive_until(member, "error"))["code"] == "invalid"
    await member.send_json_to({"type": "sync", "after": "x"})
    assert (await receive_until(member, "error"))["code"] == "bad_frame"
    await member.send_json_to({"type": "read", "seq": 0})
    assert (await receive_until(member, "read"))["seq"] == 0
    await member.send_json_to({"type": "ping", "ref": "p", "rooms": [world.room.pk, 999999]})
    pong = await receive_until(member, "pong")
    # the room's newest number: a tab that missed a broadcast sees the gap and syncs
    latest = {"room": world.room.pk, "last_seq": world.room.last_seq}
    assert pong == {"type": "pong", "ref": "p", "rooms": [latest]}
    await member.disconnect()


async def test_sending_too_fast_is_refused(world, settings):
    settings.MESSAGE_RATE_LIMIT = (2, 60)
    member, _ = await open_socket(world.member, world.room.pk)
    await receive_until(member, "subscribed")
    for n in range(2):
        await member.send_json_to({"type": "send", "body": f"Snel {n}"})
        await receive_until(member, "ack")
    await member.send_json_to({"type": "send", "body": "Te snel"})
    assert (await receive_until(member, "error"))["code"] == "rate_limited"
    await member.disconnect()


async def test_a_removed_members_socket_is_closed_at_once(world):
    member, _ = await open_socket(world.member, world.room.pk)
    await receive_until(member, "subscribed")
    await database_sync_to_async(services.remove_member)(
        world.room, by=world.coordinator, user=world.member
    )
    removed = await receive_until(member, "membership.removed")
    assert removed["room"] == world.room.pk
    output = await member.receive_output(5)
    assert output == {"type": "websocket.close", "code": 4403}
    # and later messages do not reach it
    await database_sync_to_async(services.post_message)(
        world.room.pk, author=world.coordinator, body="Na verwijderen"
    )
    assert await member.receive_nothing(0.5)


def _stop_confirming_quietly(user) -> None:
    """The member's organisation no longer confirms them, written past the signals that tell
    their sockets: only the new rights version reaches the shared cache, as at a commit whose
    event is still on its way (or was lost)."""
    from django.core.cache import cache

    from core.protocol import rights_version_key
    from directory.models import Membership

    Membership.objects.filter(professional__user=user).update(verified=False)
    cache.set(rights_version_key(user.pk), uuid.uuid4().hex, 600)


async def test_a_message_after_a_change_of_rights_waits_for_a_full_check(world):
    member, _ = await open_socket(world.member, world.room.pk)
    await receive_until(member, "subscribed")
    await database_sync_to_async(_stop_confirming_quietly)(world.member)
    await database_sync_to_async(services.post_message)(
        world.room.pk, author=world.coordinator, body="Alleen voor wie erbij hoort"
    )
    outputs = []
    while True:
        output = await member.receive_output(5)
        outputs.append(output)
        if output["type"] == "websocket.close":
            break
    assert output["code"] == 4403
    assert not any("Alleen voor wie erbij hoort" in o.get("text", "") for o in outputs), outputs


async def test_withdrawn_consent_refuses_new_messages(world):
    """The coordinator keeps the room (read-only); members' sockets close at the withdrawal."""
    member, _ = await open_socket(world.coordinator, world.room.pk)
    await receive_until(member, "subscribed")
    await database_sync_to_async(services.withdraw_consent)(world.room, by=world.coordinator)
    assert (await receive_until(member, "room.closed"))["room"] == world.room.pk
    await member.send_json_to({"type": "send", "body": "Nog één ding", "ref": "late"})
    error = await receive_until(member, "error")
    assert error["code"] == "content_stopped" and error["ref"] == "late"
    count = await database_sync_to_async(CaseMessage.objects.filter(room=world.room).count)()
    assert count == 0
    await member.disconnect()


async def test_expired_consent_refuses_new_messages(world):
    """Only the coordinator still reads, and nobody posts (tests/privacy/test_lapsed_consent.py)."""
    from privacy.models import Consent

    await database_sync_to_async(Consent.objects.filter(room=world.room).update)(
        given_on=world.room.created_at.date() - timedelta(days=400),
        valid_until=world.room.created_at.date() - timedelta(days=1),
    )
    _member, connected = await open_socket(world.member, world.room.pk)
    assert not connected
    coordinator, _ = await open_socket(world.coordinator, world.room.pk)
    hello = await receive_until(coordinator, "subscribed")
    assert hello["can_post"] is False
    await coordinator.send_json_to({"type": "send", "body": "Verlopen"})
    assert (await receive_until(coordinator, "error"))["code"] == "content_stopped"
    await coordinator.disconnect()


async def test_opening_the_socket_and_syncing_are_logged(world):
    await database_sync_to_async(services.post_message)(
        world.room.pk, author=world.coordinator, body="Eerste"
    )
    member, _ = await open_socket(world.member, world.room.pk)
    await receive_until(member, "subscribed")
    await member.send_json_to({"type": "sync", "after": 0})
    await receive_until(member, "synced")
    await member.disconnect()
    await asyncio.sleep(0)

    @database_sync_to_async
    def entries():
        return list(
            AccessLogEntry.objects.filter(user_id_ref=world.member.pk, action="read")
            .order_by("pk")
            .values_list("object_type", "detail", "outcome")
        )

    assert (await entries())[-2:] == [
        ("case_room", "live connection", "success"),
        ("case_message", "sync", "success"),
    ]
