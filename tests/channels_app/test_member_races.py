"""Two connections at once: administrators stepping down together, and two people starting
the same direct conversation together. The second waits for the first, then sees its outcome."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from channels_app import services
from channels_app.models import Channel, Membership
from tests.channels_app.test_message_races import _while_held

pytestmark = pytest.mark.django_db(transaction=True)


def _admins(channel) -> set[int]:
    return set(
        Membership.objects.filter(channel=channel, role=Membership.Role.ADMIN).values_list(
            "user", flat=True
        )
    )


STEPS: dict[str, Callable[[Any, Any], Any]] = {
    "leave": lambda room, user: services.leave(room.channel, user),
    "remove": lambda room, user: services.remove_member(room.channel, by=user, user=user),
    "step down": lambda room, user: services.set_role(
        room.channel, by=user, user=user, role="member"
    ),
}


@pytest.mark.parametrize("first", STEPS)
@pytest.mark.parametrize("second", STEPS)
def test_two_administrators_stepping_down_at_once_leave_one(closed_room, first, second):
    room = closed_room
    services.set_role(room.channel, by=room.owner, user=room.member, role="admin")
    services._add_member(room.channel, room.outsider)  # someone who stays behind
    outcome = _while_held(
        lambda: STEPS[first](room, room.owner), lambda: STEPS[second](room, room.member)
    )
    assert isinstance(outcome, ValidationError), outcome
    assert _admins(room.channel) == {room.member.pk}


def test_two_starts_of_the_same_conversation_make_one(closed_room):
    room = closed_room
    started: list[Channel] = []

    def first() -> None:
        started.append(services.direct_channel(by=room.owner, others=[room.member]))

    second = _while_held(
        first, lambda: services.direct_channel(by=room.member, others=[room.owner])
    )
    assert isinstance(second, Channel), second
    assert second.pk == started[0].pk
    assert Channel.objects.filter(kind=Channel.Kind.DIRECT).count() == 1
    assert set(second.memberships.values_list("user", flat=True)) == {
        room.owner.pk,
        room.member.pk,
    }
