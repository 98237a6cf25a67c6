"""Starting a direct conversation: the picker leaves the person choosing out, and the first
message tells the others that the conversation exists; later ones do not."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from channels_app import services
from channels_app.models import Notification

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_picker_lists_everyone_verified_but_the_person_choosing(closed_room):
    page = _client(closed_room.member).get(reverse("channels_app:direct")).content.decode()
    assert 'type="search"' in page
    page = page[page.index('id="people-options"') :]
    page = page[: page.index("</ul>")]
    assert "Olga Eigenaar" in page and "Otto Buiten" in page
    assert "Mark Lid" not in page  # the person choosing
    assert "Udo Onbevestigd" not in page  # not verified


def test_choosing_oneself_is_refused_and_starts_nothing(closed_room):
    client = _client(closed_room.member)
    response = client.post(reverse("channels_app:direct"), {"people": [closed_room.member.pk]})
    assert response.status_code == 400
    assert 'id="people-errors"' in response.content.decode()
    response = client.post(reverse("channels_app:direct"), {"people": [closed_room.owner.pk]})
    assert response.status_code == 302


def test_the_first_message_of_a_conversation_notifies_the_others_once(closed_room):
    direct = services.direct_channel(
        by=closed_room.member, others=[closed_room.owner, closed_room.outsider]
    )
    # an empty conversation tells nobody anything
    assert not Notification.objects.filter(kind=Notification.Kind.DIRECT).exists()
    services.post_message(direct.pk, author=closed_room.member, body="Hebben jullie even?")
    services.post_message(direct.pk, author=closed_room.member, body="Het gaat om een gezin.")
    notified = Notification.objects.filter(kind=Notification.Kind.DIRECT, channel=direct)
    assert sorted(notified.values_list("user_id", flat=True)) == sorted(
        [closed_room.owner.pk, closed_room.outsider.pk]
    )
    assert {n.actor_id for n in notified} == {closed_room.member.pk}


def test_the_sidebar_fragment_lists_the_new_conversation(closed_room):
    direct = services.direct_channel(by=closed_room.member, others=[closed_room.owner])
    services.post_message(direct.pk, author=closed_room.member, body="Hallo")
    response = _client(closed_room.owner).get(
        reverse("channels_app:index"), headers={"X-Wijk-Fragment": "sidebar"}
    )
    assert response["X-Wijk-Fragment"] == "sidebar"
    text = response.content.decode()
    assert text.lstrip().startswith("<nav")
    assert f'data-room="{direct.pk}"' in text and "Mark Lid" in text
