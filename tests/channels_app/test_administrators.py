"""A channel with people in it keeps at least one channel administrator: the last one cannot
leave, remove themselves or step down to another role, over HTTP or in the services."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from channels_app import services
from channels_app.models import Membership

pytestmark = pytest.mark.django_db


def _member_action(channel, user, action: str) -> str:
    return reverse("channels_app:member_action", args=[channel.pk, user.pk, action])


def _admins(channel) -> set[int]:
    return set(
        channel.memberships.filter(role=Membership.Role.ADMIN).values_list("user", flat=True)
    )


@pytest.mark.parametrize("role", ["member", "moderator"])
def test_the_only_administrator_cannot_step_down(client, closed_room, role):
    room = closed_room
    client.force_login(room.owner)
    response = client.post(_member_action(room.channel, room.owner, role), follow=True)
    assert response.status_code == HTTPStatus.OK
    assert [str(m) for m in response.context["messages"]]  # told why
    assert _admins(room.channel) == {room.owner.pk}
    with pytest.raises(ValidationError):
        services.set_role(room.channel, by=room.owner, user=room.owner, role=role)
    assert _admins(room.channel) == {room.owner.pk}


def test_the_only_administrator_cannot_remove_themselves(client, closed_room):
    room = closed_room
    client.force_login(room.owner)
    response = client.post(_member_action(room.channel, room.owner, "remove"), follow=True)
    assert response.status_code == HTTPStatus.OK
    assert [str(m) for m in response.context["messages"]]
    assert _admins(room.channel) == {room.owner.pk}
    with pytest.raises(ValidationError):
        services.remove_member(room.channel, by=room.owner, user=room.owner)
    assert _admins(room.channel) == {room.owner.pk}


def test_with_a_second_administrator_either_may_step_down_or_go(closed_room):
    room = closed_room
    services.set_role(room.channel, by=room.owner, user=room.member, role="admin")
    services.set_role(room.channel, by=room.owner, user=room.owner, role="member")
    assert _admins(room.channel) == {room.member.pk}
    services.set_role(room.channel, by=room.member, user=room.owner, role="admin")
    services.remove_member(room.channel, by=room.owner, user=room.owner)
    assert _admins(room.channel) == {room.member.pk}
    assert not room.channel.memberships.filter(user=room.owner).exists()


def test_refusals_use_the_same_words_as_leaving(closed_room):
    room = closed_room
    with pytest.raises(ValidationError) as leaving:
        services.leave(room.channel, room.owner)
    with pytest.raises(ValidationError) as stepping_down:
        services.set_role(room.channel, by=room.owner, user=room.owner, role="member")
    with pytest.raises(ValidationError) as removing:
        services.remove_member(room.channel, by=room.owner, user=room.owner)
    assert leaving.value.messages == stepping_down.value.messages == removing.value.messages


def test_the_last_person_in_a_channel_may_still_leave_it(closed_room):
    room = closed_room
    services.leave(room.channel, room.member)
    services.leave(room.channel, room.owner)
    assert not room.channel.memberships.exists()
