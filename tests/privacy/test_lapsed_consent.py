"""Consent that passes its end date ends reading for everyone but the coordinator, on pages and
on open sockets, until new consent is recorded."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.protocol import CLOSE_FORBIDDEN
from privacy import access, services
from privacy.models import Consent
from tests.privacy.fixtures import build_world, strong_client
from tests.privacy.test_case_socket import open_socket, receive_until


def _lapse(room) -> None:
    Consent.objects.filter(room=room).update(valid_until=timezone.localdate() - timedelta(days=1))


def _renew(world) -> None:
    today = timezone.localdate()
    services.record_consent(
        world.room, by=world.coordinator, given_by="resident", given_on=today,
        valid_until=today + timedelta(days=90), organisations=[world.practice, world.welfare],
    )  # fmt: skip


@pytest.mark.django_db
def test_only_the_coordinator_reads_a_room_whose_consent_lapsed(client):
    world = build_world()
    room_url = reverse("privacy:room", args=[world.room.pk])
    member, coordinator = strong_client(world.member), strong_client(world.coordinator)
    assert member.get(room_url).status_code == 200
    _lapse(world.room)
    assert access.consent_lapsed(world.room)
    assert member.get(room_url).status_code == 404
    assert member.get(reverse("privacy:plan", args=[world.room.pk])).status_code == 404
    assert coordinator.get(room_url).status_code == 200
    # the member's list still names the room, without a link, and says why
    listing = member.get(reverse("privacy:index")).content.decode()
    assert world.room.pseudonym in listing and "toestemming verlopen" in listing
    assert f'href="{room_url}"' not in listing

    _renew(world)
    assert not access.consent_lapsed(world.room)
    assert member.get(room_url).status_code == 200


@pytest.mark.django_db
def test_the_deadline_of_a_members_socket_is_the_consents_last_day():
    world = build_world()
    ends = access.consent_ends_at(world.room)
    last_day = access.current_consent(world.room).valid_until
    moment = timezone.localtime(datetime.fromtimestamp(ends, UTC))
    assert (moment.date(), moment.hour, moment.minute) == (last_day + timedelta(days=1), 0, 0)
    _lapse(world.room)
    assert access.consent_ends_at(world.room) is None


@pytest.mark.django_db(transaction=True)
async def test_an_open_member_socket_closes_when_the_consent_runs_out(monkeypatch):
    world = await database_sync_to_async(build_world)()
    # the consent runs out a moment from now (instead of at midnight)
    monkeypatch.setattr(access, "consent_ends_at", lambda room: time.time() + 1.0)
    member, connected = await open_socket(world.member, world.room.pk)
    assert connected
    await receive_until(member, "subscribed")
    coordinator, connected = await open_socket(world.coordinator, world.room.pk)
    assert connected
    await receive_until(coordinator, "subscribed")
    await database_sync_to_async(_lapse)(world.room)

    ended = await receive_until(member, "access.ended")
    assert ended["code"] == CLOSE_FORBIDDEN
    closed = await member.receive_output(5)
    assert closed == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
    await coordinator.send_json_to({"type": "ping", "ref": "still-there"})
    assert (await receive_until(coordinator, "pong"))["ref"] == "still-there"
    await coordinator.disconnect()
    _socket, connected = await open_socket(world.member, world.room.pk)
    assert not connected


def _consent_for(world, organisations, *, valid_until=None) -> None:
    today = timezone.localdate()
    services.record_consent(
        world.room, by=world.coordinator, given_by="resident", given_on=today,
        valid_until=valid_until or today + timedelta(days=90), organisations=organisations,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_member_the_consent_no_longer_covers_does_not_find_the_room_in_their_list():
    world = build_world()
    member, coordinator = strong_client(world.member), strong_client(world.coordinator)
    index = reverse("privacy:index")
    assert world.room.pseudonym in member.get(index).content.decode()

    _consent_for(world, [world.practice])  # the member works for the welfare organisation

    assert world.room.pseudonym not in member.get(index).content.decode()
    assert member.get(reverse("privacy:room", args=[world.room.pk])).status_code == 404
    assert world.room.pseudonym in coordinator.get(index).content.decode()
    _consent_for(world, [world.practice, world.welfare])
    assert world.room.pseudonym in member.get(index).content.decode()


@pytest.mark.django_db
def test_consent_runs_at_most_five_years():
    world = build_world()
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        _consent_for(world, [world.practice, world.welfare], valid_until=date(9999, 12, 31))
    assert "valid_until" in refused.value.message_dict
    _consent_for(world, [world.practice, world.welfare], valid_until=today + timedelta(days=1825))
    assert access.current_consent(world.room).valid_until == today + timedelta(days=1825)


@pytest.mark.django_db
def test_a_consent_to_the_calendars_last_day_gives_a_socket_no_deadline():
    world = build_world()
    Consent.objects.filter(room=world.room).update(valid_until=date.max)
    assert access.consent_ends_at(world.room) is None


@pytest.mark.django_db
@pytest.mark.parametrize("before", ["²", "-3", "x"])
def test_a_page_of_older_messages_with_a_bad_number_is_not_found(before):
    world = build_world()
    services.post_message(world.room.pk, author=world.member, body="Eerste verslag")
    url = reverse("privacy:room", args=[world.room.pk])
    member = strong_client(world.member)
    assert member.get(url, {"before": "2"}).status_code == 200
    assert member.get(url, {"before": before}).status_code == 404


@pytest.mark.django_db
def test_an_invitation_the_consent_no_longer_covers_opens_nothing():
    world = build_world()
    services.invite(world.room, by=world.coordinator, user=world.outsider)
    invitee = strong_client(world.outsider)
    join, index = reverse("privacy:join", args=[world.room.pk]), reverse("privacy:index")
    assert invitee.get(join).status_code == 200

    _consent_for(world, [world.practice])  # the invitee works for the welfare organisation

    assert invitee.get(join).status_code == 404
    assert world.room.pseudonym not in invitee.get(index).content.decode()
    _consent_for(world, [world.practice, world.welfare])
    assert invitee.get(join).status_code == 200
