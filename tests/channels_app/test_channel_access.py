"""Owner, member, outsider and unverified user over HTTP, for closed, open and direct rooms."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from channels_app import services
from channels_app.models import Message

pytestmark = pytest.mark.django_db


def urls(channel, message) -> dict[str, str]:
    return {
        "members": reverse("channels_app:members", args=[channel.pk]),
        "thread": reverse("channels_app:thread", args=[channel.pk, message.pk]),
        "permalink": reverse("channels_app:permalink", args=[channel.pk, message.seq]),
    }


def test_closed_channel_messages_are_for_members_only(client, closed_room):
    room = closed_room
    message, _ = services.post_message(room.channel.pk, author=room.owner, body="Geheim overleg")
    page = reverse("channels_app:channel", args=[room.channel.pk])
    for person in (room.owner, room.member):
        client.force_login(person)
        response = client.get(page)
        assert response.status_code == HTTPStatus.OK
        assert "Geheim overleg" in response.content.decode()
        for url in urls(room.channel, message).values():
            assert client.get(url, follow=True).status_code == HTTPStatus.OK, url
    client.force_login(room.outsider)
    response = client.get(page)
    assert response.status_code == HTTPStatus.OK  # name and description, to ask to join
    assert "Geheim overleg" not in response.content.decode()
    for url in urls(room.channel, message).values():
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url
    post = client.post(reverse("channels_app:post", args=[room.channel.pk]), {"body": "Hallo?"})
    assert post.status_code == HTTPStatus.NOT_FOUND
    assert not Message.objects.filter(body="Hallo?").exists()


def test_unverified_users_get_nothing(client, closed_room):
    client.force_login(closed_room.unverified)
    for url in [
        reverse("channels_app:index"),
        reverse("channels_app:channel", args=[closed_room.channel.pk]),
    ]:
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN


def test_direct_conversations_do_not_exist_for_outsiders(client, closed_room):
    room = closed_room
    channel = services.direct_channel(by=room.owner, others=[room.member])
    services.post_message(channel.pk, author=room.member, body="Alleen voor ons")
    client.force_login(room.member)
    assert (
        "Alleen voor ons"
        in client.get(reverse("channels_app:channel", args=[channel.pk])).content.decode()
    )
    client.force_login(room.outsider)
    assert client.get(reverse("channels_app:channel", args=[channel.pk])).status_code == 404
    assert client.get(reverse("channels_app:channel", args=[99999])).status_code == 404


def test_a_direct_conversation_is_found_again_not_duplicated(closed_room):
    room = closed_room
    first = services.direct_channel(by=room.owner, others=[room.member])
    again = services.direct_channel(by=room.member, others=[room.owner])
    assert first == again


def test_posting_over_http_is_idempotent(client, open_room):
    client.force_login(open_room.member)
    url = reverse("channels_app:post", args=[open_room.channel.pk])
    data = {"body": "Dubbel verstuurd?", "client_id": "7f1f8c9e-7a43-4d0c-9a3e-6c7d1d0e2b11"}
    client.post(url, data)
    client.post(url, data)
    assert Message.objects.filter(body="Dubbel verstuurd?").count() == 1


def test_a_too_long_message_is_refused_with_a_reason(client, open_room):
    client.force_login(open_room.member)
    response = client.post(
        reverse("channels_app:post", args=[open_room.channel.pk]), {"body": "x" * 4001}, follow=True
    )
    assert "4000" in response.content.decode()
    assert not Message.objects.exists()


def test_open_channels_are_readable_by_verified_outsiders_who_must_join_to_post(client, open_room):
    room = open_room
    services.post_message(room.channel.pk, author=room.owner, body="Welkom allemaal")
    client.force_login(room.outsider)
    page = client.get(reverse("channels_app:channel", args=[room.channel.pk])).content.decode()
    assert "Welkom allemaal" in page
    response = client.post(reverse("channels_app:post", args=[room.channel.pk]), {"body": "Ik ook"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    client.post(reverse("channels_app:membership_action", args=[room.channel.pk, "join"]))
    client.post(reverse("channels_app:post", args=[room.channel.pk]), {"body": "Ik ook"})
    assert Message.objects.filter(body="Ik ook", author=room.outsider).exists()


def test_closed_channel_join_by_request_and_approval(client, closed_room):
    room = closed_room
    client.force_login(room.outsider)
    client.post(reverse("channels_app:membership_action", args=[room.channel.pk, "join"]))
    assert not room.channel.memberships.filter(user=room.outsider).exists()
    client.post(reverse("channels_app:membership_action", args=[room.channel.pk, "request"]))
    request = room.channel.requests.get(user=room.outsider)
    # a member who is not an administrator cannot approve
    client.force_login(room.member)
    assert (
        client.post(reverse("channels_app:decide", args=[request.pk, "accept"])).status_code == 404
    )
    client.force_login(room.owner)
    client.post(reverse("channels_app:decide", args=[request.pk, "accept"]))
    assert room.channel.memberships.filter(user=room.outsider).exists()


def test_only_administrators_manage_members(client, closed_room):
    room = closed_room
    remove = reverse("channels_app:member_action", args=[room.channel.pk, room.owner.pk, "remove"])
    for person in (room.member, room.outsider):
        client.force_login(person)
        assert client.post(remove).status_code == HTTPStatus.NOT_FOUND
    assert room.channel.memberships.filter(user=room.owner).exists()
    client.force_login(room.owner)
    client.post(
        reverse("channels_app:member_action", args=[room.channel.pk, room.member.pk, "remove"])
    )
    assert not room.channel.memberships.filter(user=room.member).exists()
    client.force_login(room.member)
    page = client.get(reverse("channels_app:channel", args=[room.channel.pk]))
    assert page.status_code == HTTPStatus.OK
    assert page.context["rights"].can_read is False


def test_moderators_delete_any_message_authors_their_own(client, closed_room):
    room = closed_room
    message, _ = services.post_message(room.channel.pk, author=room.owner, body="Van de eigenaar")
    url = reverse("channels_app:message_action", args=[room.channel.pk, message.pk, "delete"])
    client.force_login(room.member)
    client.post(url)
    message.refresh_from_db()
    assert not message.is_deleted
    reply, _ = services.post_message(room.channel.pk, author=room.member, body="Van het lid")
    client.force_login(room.owner)
    client.post(reverse("channels_app:message_action", args=[room.channel.pk, reply.pk, "delete"]))
    reply.refresh_from_db()
    assert reply.is_deleted and reply.body == ""
    page = client.get(reverse("channels_app:channel", args=[room.channel.pk])).content.decode()
    assert "Van het lid" not in page


def test_the_channel_list_shows_unread_counts_and_mentions_with_constant_queries(
    client, closed_room, django_assert_max_num_queries
):
    room = closed_room
    services.post_message(room.channel.pk, author=room.owner, body="Eén")
    services.post_message(room.channel.pk, author=room.owner, body="@Mark Lid kun je kijken?")
    client.force_login(room.member)
    response = client.get(reverse("channels_app:index"))
    membership = response.context["channels"][0]
    assert (membership.unread, membership.mention_count) == (2, 1)
    for n in range(10):
        services.create_channel(by=room.member, kind="open", name=f"Extra {n}")
    with django_assert_max_num_queries(14):
        client.get(reverse("channels_app:index"))
