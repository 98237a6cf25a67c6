"""A withdrawal or a closing ends every other member's open socket at once, with the reason."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from privacy import services
from tests.privacy.fixtures import build_world
from tests.privacy.test_case_socket import open_socket, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(transactional_db):
    return build_world()


@pytest.mark.parametrize(
    ("action", "reason"),
    [("withdraw_consent", "consent_withdrawn"), ("close_room", "room_closed")],
)
async def test_the_members_socket_closes_with_the_reason_and_the_coordinators_stays(
    world, action, reason
):
    member, connected = await open_socket(world.member, world.room.pk)
    assert connected
    await receive_until(member, "subscribed")
    coordinator, connected = await open_socket(world.coordinator, world.room.pk)
    assert connected
    await receive_until(coordinator, "subscribed")

    await database_sync_to_async(getattr(services, action))(world.room, by=world.coordinator)

    ended = await receive_until(member, "membership.removed")
    assert ended == {"type": "membership.removed", "room": world.room.pk, "reason": reason}
    assert (await member.receive_output(5))["type"] == "websocket.close"
    assert (await receive_until(coordinator, "room.closed"))["room"] == world.room.pk
    await coordinator.send_json_to({"type": "ping", "ref": "still-there"})
    assert (await receive_until(coordinator, "pong"))["ref"] == "still-there"
    await coordinator.disconnect()

    _socket, connected = await open_socket(world.member, world.room.pk)
    assert not connected
