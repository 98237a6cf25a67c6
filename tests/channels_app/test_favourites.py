"""Favourites: a member stars a channel or conversation, which the sidebar then lists first;
only members can, and a bad value changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from channels_app import services
from channels_app.models import Membership

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _star(client: Client, channel, value: str, **headers):
    url = reverse("channels_app:favourite", args=[channel.pk])
    return client.post(url, {"favourite": value}, headers=headers)


def _favourite(room, user) -> bool:
    return Membership.objects.get(channel=room.channel, user=user).favourite


def test_a_member_stars_and_unstars_a_channel(closed_room):
    client = _client(closed_room.member)
    response = _star(client, closed_room.channel, "1")
    assert response.status_code == 302
    assert _favourite(closed_room, closed_room.member)
    assert not _favourite(closed_room, closed_room.owner)  # one's own list only
    response = _star(client, closed_room.channel, "0", Accept="application/json")
    assert response.json() == {"favourite": False}
    assert not _favourite(closed_room, closed_room.member)


def test_the_sidebar_lists_favourites_first_and_once(closed_room):
    other = services.create_channel(by=closed_room.member, kind="open", name="Aaa eerst")
    client = _client(closed_room.member)
    _star(client, closed_room.channel, "1")
    page = client.get(reverse("channels_app:channel", args=[other.pk])).content.decode()
    favourites = page.index("Favorieten")
    channels = page.index('id="sidebar-channels"')
    name = closed_room.channel.name
    assert favourites < page.index(f'<span class="wijk-sidebar__name">{name}</span>') < channels
    assert page.count(f'<span class="wijk-sidebar__name">{name}</span>') == 1
    assert page.index('<span class="wijk-sidebar__name">Aaa eerst</span>') > channels
    own = client.get(reverse("channels_app:channel", args=[closed_room.channel.pk]))
    assert 'aria-pressed="true"' in own.content.decode()


def test_no_favourites_no_heading(closed_room):
    page = _client(closed_room.member).get(
        reverse("channels_app:channel", args=[closed_room.channel.pk])
    )
    assert "Favorieten" not in page.content.decode()


def test_outsiders_and_strangers_get_404_and_change_nothing(closed_room):
    direct = services.direct_channel(by=closed_room.owner, others=[closed_room.member])
    client = _client(closed_room.outsider)
    assert _star(client, closed_room.channel, "1").status_code == 404
    assert _star(client, direct, "1").status_code == 404
    open_channel = services.create_channel(by=closed_room.owner, kind="open", name="Open")
    assert _star(client, open_channel, "1").status_code == 404  # not a member
    assert not Membership.objects.filter(favourite=True).exists()
    assert Client().post(reverse("channels_app:favourite", args=[direct.pk])).status_code == 302


def test_a_bad_value_is_refused_with_a_reason(closed_room):
    client = _client(closed_room.member)
    response = _star(client, closed_room.channel, "ja", Accept="application/json")
    assert response.status_code == 400
    assert "favourite=1" in response.json()["error"]
    assert _star(client, closed_room.channel, "").status_code == 302
    assert not _favourite(closed_room, closed_room.member)
    url = reverse("channels_app:favourite", args=[closed_room.channel.pk])
    assert client.get(url).status_code == 405
