"""Editing one's own message over HTTP: the page without JavaScript, the text as JSON for the
live client's edit in place (which saves over the socket)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from channels_app import services
from channels_app.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def message(closed_room) -> Message:
    posted, _created = services.post_message(
        closed_room.channel.pk, author=closed_room.member, body="Ik bel **morgen** de POH."
    )
    return posted


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(message: Message, channel_id: int | None = None) -> str:
    return reverse("channels_app:edit", args=[channel_id or message.channel_id, message.pk])


def test_the_author_gets_the_page_and_the_text_as_written(closed_room, message):
    client = _client(closed_room.member)
    page = client.get(_url(message))
    assert page.status_code == 200
    assert "Bericht bewerken" in page.content.decode()
    assert "Ik bel **morgen** de POH." in page.content.decode()
    answer = client.get(_url(message), headers={"accept": "application/json"})
    assert answer.status_code == 200
    assert answer.json() == {"id": message.pk, "body": "Ik bel **morgen** de POH."}


def test_saving_edits_the_message_and_returns_to_it(closed_room, message):
    response = _client(closed_room.member).post(_url(message), {"body": "Ik bel vandaag."})
    assert response.status_code == 302
    assert response.url == reverse("channels_app:permalink", args=[message.channel_id, message.seq])
    message.refresh_from_db()
    assert message.body == "Ik bel vandaag." and message.edited_at is not None
    assert message.body_html.strip() == "<p>Ik bel vandaag.</p>"


def test_an_empty_text_is_refused_with_the_reason_and_changes_nothing(closed_room, message):
    response = _client(closed_room.member).post(_url(message), {"body": "  "})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    message.refresh_from_db()
    assert message.body == "Ik bel **morgen** de POH." and message.edited_at is None


@pytest.mark.parametrize("who", ["owner", "outsider", "unverified"])
def test_nobody_but_the_author_can_edit_or_read_the_text(closed_room, message, who):
    """The owner moderates the channel but edits nobody's words; outsiders learn nothing (and
    someone whose organisation has not confirmed them is stopped at the door)."""
    client = _client(getattr(closed_room, who))
    for response in (
        client.get(_url(message)),
        client.get(_url(message), headers={"accept": "application/json"}),
        client.post(_url(message), {"body": "Gekaapt"}),
    ):
        assert response.status_code == (403 if who == "unverified" else 404)
        assert b"morgen" not in response.content
    message.refresh_from_db()
    assert message.body == "Ik bel **morgen** de POH." and message.edited_at is None


def test_a_deleted_message_or_another_rooms_address_is_not_found(closed_room, message, open_room):
    client = _client(closed_room.member)
    services.join(open_room.channel, closed_room.member)
    assert client.get(_url(message, open_room.channel.pk)).status_code == 404
    services.delete_message(message, by=closed_room.member)
    assert client.get(_url(message)).status_code == 404
    assert client.post(_url(message), {"body": "Terug"}).status_code == 404


def test_a_member_who_left_cannot_edit_any_more(closed_room, message):
    services.leave(closed_room.channel, closed_room.member)
    response = _client(closed_room.member).post(_url(message), {"body": "Na vertrek"})
    assert response.status_code == 404
    message.refresh_from_db()
    assert message.edited_at is None
