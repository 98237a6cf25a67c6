"""The quick switcher's answers (Ctrl+K): the person's own rooms, open channels and people;
never a closed channel or a conversation the person is not in."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from channels_app import services
from channels_app.models import Channel

pytestmark = pytest.mark.django_db


def _find(user, query: str = "") -> list[dict]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("channels_app:switcher"), {"q": query})
    assert response.status_code == 200
    return response.json()["results"]


def test_a_member_finds_the_closed_channel_and_an_outsider_does_not(closed_room):
    assert [r["name"] for r in _find(closed_room.member, "heerlen")] == ["Samen Heerlen Gezond"]
    assert _find(closed_room.member, "heerlen")[0]["kind"] == "closed"
    assert not [r for r in _find(closed_room.outsider, "heerlen") if r["kind"] != "person"]


def test_nobody_finds_a_conversation_they_are_not_in(closed_room):
    direct = services.direct_channel(by=closed_room.owner, others=[closed_room.member])
    url = reverse("channels_app:channel", args=[direct.pk])
    assert any(r.get("url") == url for r in _find(closed_room.member))
    for query in ("", "olga", "mark"):
        assert not any(r.get("url") == url for r in _find(closed_room.outsider, query))


def test_people_are_verified_others_without_a_conversation_yet(closed_room):
    services.direct_channel(by=closed_room.owner, others=[closed_room.member])
    names = {r["name"]: r for r in _find(closed_room.member, "o")}
    # Olga: a conversation exists, so she is listed as it; Otto: a person to start one with
    assert names["Olga Eigenaar"]["kind"] == "direct"
    assert names["Otto Buiten"]["kind"] == "person"
    assert "Mark Lid" not in names and "Udo Onbevestigd" not in names


def test_open_channels_not_joined_are_offered_to_join(open_room):
    results = _find(open_room.outsider, "hoensbroek")
    assert [(r["name"], r["kind"]) for r in results] == [("Wijk Hoensbroek", "join")]
    Channel.objects.filter(pk=open_room.channel.pk).update(archived_at="2026-01-01T00:00Z")
    assert _find(open_room.outsider, "hoensbroek") == []


def test_starting_a_conversation_from_the_switcher_answers_where_it_is(closed_room):
    client = Client()
    client.force_login(closed_room.member)
    start = reverse("channels_app:direct_with", args=[closed_room.outsider.pk])
    response = client.post(start, headers={"accept": "application/json"})
    direct = Channel.objects.get(kind="direct", memberships__user=closed_room.outsider)
    assert response.json() == {"url": reverse("channels_app:channel", args=[direct.pk])}
    assert client.post(start, headers={"accept": "application/json"}).json() == response.json()


def _people(user, channel, query: str = ""):
    client = Client()
    client.force_login(user)
    return client.get(reverse("channels_app:people", args=[channel.pk]), {"q": query})


def test_the_message_box_suggests_the_rooms_other_members_to_members_only(closed_room):
    names = [r["name"] for r in _people(closed_room.member, closed_room.channel).json()["results"]]
    assert names == ["kanaal", "Olga Eigenaar"]  # not Mark himself, not Otto from outside
    assert [
        r["name"] for r in _people(closed_room.owner, closed_room.channel, "ma").json()["results"]
    ] == ["Mark Lid"]
    assert _people(closed_room.outsider, closed_room.channel).status_code == 404
    direct = services.direct_channel(by=closed_room.owner, others=[closed_room.member])
    found = _people(closed_room.member, direct).json()["results"]
    assert [r["name"] for r in found] == ["Olga Eigenaar"]  # no @kanaal in a conversation
    assert _people(closed_room.outsider, direct).status_code == 404
