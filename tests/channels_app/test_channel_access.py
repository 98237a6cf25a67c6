"""Owner, member, outsider and unverified user over HTTP, for closed, open and direct rooms.

Superusers and staff are outsiders too: a platform administrator's status opens no room.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels_app import access, services
from channels_app.models import Attachment, Membership, Message, Reaction, Report
from tests.factories import ProfessionalFactory, SuperuserFactory, UserFactory

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


def test_the_channel_page_sent_twice_without_its_script_stores_one_message(client, open_room):
    """The page's form carries a client id of its own: a double click or the browser's
    "resend" of the same page stores the message once."""
    client.force_login(open_room.member)
    page = client.get(reverse("channels_app:channel", args=[open_room.channel.pk]))
    client_id = page.context["form"]["client_id"].value()
    assert client_id
    assert f'value="{client_id}"' in page.content.decode()
    url = reverse("channels_app:post", args=[open_room.channel.pk])
    for _ in range(2):
        client.post(url, {"body": "Twee keer op versturen gedrukt", "client_id": str(client_id)})
    assert Message.objects.filter(body="Twee keer op versturen gedrukt").count() == 1
    again = client.get(reverse("channels_app:channel", args=[open_room.channel.pk]))
    assert again.context["form"]["client_id"].value() != client_id  # a new one for a new page


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


# ---- superusers and staff: their status opens no room -------------------------------------


@pytest.fixture(params=["superuser", "staff"])
def privileged(request, db):
    """The seeded platform administrator (superuser and staff), or a verified staff member."""
    if request.param == "superuser":
        return SuperuserFactory(display_name="Sara Superuser")
    return ProfessionalFactory(user=UserFactory(display_name="Stan Staff", is_staff=True)).user


def _pdf(name: str = "verslag.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n", "application/pdf")


def _shared(channel, author, body: str) -> tuple[Message, Attachment]:
    """A pinned message with a file in ``channel``."""
    file = services.upload_attachment(channel, by=author, upload=_pdf())
    message, _ = services.post_message(
        channel.pk, author=author, body=body, attachment_ids=[file.pk]
    )
    services.pin_message(message, by=author)
    return message, file


def _room_urls(channel, message, file) -> list[str]:
    pk = channel.pk
    return [
        reverse("channels_app:thread", args=[pk, message.pk]),
        reverse("channels_app:permalink", args=[pk, message.seq]),
        reverse("channels_app:attachment", args=[pk, file.pk]),
        reverse("channels_app:members", args=[pk]),
        reverse("channels_app:info", args=[pk]),
        reverse("channels_app:settings", args=[pk]),
    ]


def _room_posts(channel, message) -> list[tuple[str, dict]]:
    pk, mid = channel.pk, message.pk

    def action(name: str) -> str:
        return reverse("channels_app:message_action", args=[pk, mid, name])

    return [
        (reverse("channels_app:post", args=[pk]), {"body": "Van de beheerder"}),
        (reverse("channels_app:post", args=[pk]), {"body": "Met bijlage", "files": [_pdf()]}),
        (reverse("channels_app:upload", args=[pk]), {"file": _pdf()}),
        (action("unpin"), {}),
        (action("pin"), {}),
        (action("delete"), {}),
        (action("edit"), {"body": "Gewijzigd door de beheerder"}),
        (action("react"), {"emoji": "👍"}),
        (reverse("channels_app:report", args=[pk, mid]), {"reason": "Bekijken"}),
        (reverse("channels_app:membership_action", args=[pk, "archive"]), {}),
        (reverse("channels_app:favourite", args=[pk]), {"favourite": "1"}),
        (reverse("channels_app:member_action", args=[pk, channel.created_by_id, "remove"]), {}),
    ]


def _assert_untouched(channel, message, privileged) -> None:
    message.refresh_from_db()
    assert message.pinned_at is not None and not message.is_deleted and not message.edited_at
    assert not Message.objects.filter(author=privileged).exists()
    assert not Attachment.objects.filter(uploader=privileged).exists()
    assert not Reaction.objects.filter(user=privileged).exists()
    assert not Report.objects.filter(reporter=privileged).exists()
    assert not Membership.objects.filter(user=privileged).exists()
    channel.refresh_from_db()
    assert not channel.is_archived
    assert channel.memberships.filter(user=channel.created_by_id).exists()


def test_it_hides_a_direct_conversation_from_superusers_and_staff(
    client, closed_room, privileged, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    room = closed_room
    direct = services.direct_channel(by=room.owner, others=[room.member])
    message, file = _shared(direct, room.member, "Alleen voor ons")
    client.force_login(privileged)
    page = reverse("channels_app:channel", args=[direct.pk])
    for url in [page, *_room_urls(direct, message, file)]:
        response = client.get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND, url
        assert b"Alleen voor ons" not in response.content, url
    for url, data in _room_posts(direct, message):
        assert client.post(url, data).status_code == HTTPStatus.NOT_FOUND, url
    _assert_untouched(direct, message, privileged)
    # the conversation is not listed either
    assert b"Alleen voor ons" not in client.get(reverse("channels_app:index")).content


def test_it_shows_a_closed_channel_to_superusers_and_staff_as_to_any_outsider(
    client, closed_room, privileged, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    room = closed_room
    message, file = _shared(room.channel, room.owner, "Geheim overleg")
    client.force_login(privileged)
    response = client.get(reverse("channels_app:channel", args=[room.channel.pk]))
    assert response.status_code == HTTPStatus.OK  # name and description, to ask to join
    assert "Geheim overleg" not in response.content.decode()
    rights = response.context["rights"]
    assert not (rights.member or rights.can_read or rights.can_post or rights.can_moderate)
    for url in _room_urls(room.channel, message, file):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url
    for url, data in _room_posts(room.channel, message):
        assert client.post(url, data).status_code == HTTPStatus.NOT_FOUND, url
    join = reverse("channels_app:membership_action", args=[room.channel.pk, "join"])
    client.post(join)
    _assert_untouched(room.channel, message, privileged)


def test_it_gives_superusers_and_staff_nothing_in_access_for(closed_room, privileged):
    room = closed_room
    direct = services.direct_channel(by=room.owner, others=[room.member])
    for channel in (room.channel, direct):
        rights = access.access_for(privileged, channel)
        assert (rights.member, rights.can_read, rights.can_post) == (False, False, False)
        assert (rights.can_moderate, rights.can_administer) == (False, False)


@pytest.mark.parametrize("role", Membership.Role.values)
def test_a_superuser_who_is_a_member_has_exactly_the_rights_of_their_role(closed_room, role):
    room = closed_room
    superuser = SuperuserFactory(display_name="Sara Superuser")
    services._add_member(room.channel, superuser, role)
    rights = access.access_for(superuser, room.channel)
    granted = access.ROLE_PERMISSIONS[role]
    assert rights.member and rights.can_read
    assert rights.can_post == (access.POST in granted)
    assert rights.can_moderate == (access.MODERATE in granted)
    assert rights.can_administer == (access.ADMINISTER in granted)


def test_a_superuser_member_posts_but_does_not_moderate_or_administer(client, closed_room):
    room = closed_room
    superuser = SuperuserFactory(display_name="Sara Superuser")
    services._add_member(room.channel, superuser, Membership.Role.MEMBER)
    message, _ = services.post_message(room.channel.pk, author=room.owner, body="Van de eigenaar")
    client.force_login(superuser)
    pk = room.channel.pk
    page = client.get(reverse("channels_app:channel", args=[pk]))
    assert "Van de eigenaar" in page.content.decode()
    client.post(reverse("channels_app:post", args=[pk]), {"body": "Als lid"})
    assert Message.objects.filter(author=superuser, body="Als lid").exists()
    for action in ("pin", "delete"):
        url = reverse("channels_app:message_action", args=[pk, message.pk, action])
        assert client.post(url).status_code == HTTPStatus.NOT_FOUND
    message.refresh_from_db()
    assert message.pinned_at is None and not message.is_deleted
    assert client.get(reverse("channels_app:settings", args=[pk])).status_code == 404
    remove = reverse("channels_app:member_action", args=[pk, room.member.pk, "remove"])
    assert client.post(remove).status_code == HTTPStatus.NOT_FOUND
    assert room.channel.memberships.filter(user=room.member).exists()


def test_working_out_the_rights_in_a_channel_costs_one_query(
    closed_room, django_assert_num_queries
):
    superuser = SuperuserFactory(display_name="Sara Superuser")
    for person in (closed_room.member, closed_room.outsider, superuser):
        with django_assert_num_queries(1):
            access.access_for(person, closed_room.channel)


@pytest.mark.parametrize("kind", ["open", "closed"])
def test_an_archived_channel_offers_no_way_in(client, open_room, closed_room, kind):
    """Joining or asking to join an archived channel is refused: the page does not offer it."""
    room = open_room if kind == "open" else closed_room
    services.archive(room.channel, by=room.owner)
    client.force_login(room.outsider)
    response = client.get(reverse("channels_app:channel", args=[room.channel.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "membership_action" not in page and "/join/" not in page and "/request/" not in page
    assert "gearchiveerd" in page


def test_a_replys_thread_is_its_parents(client, open_room):
    root, _ = services.post_message(open_room.channel.pk, author=open_room.owner, body="Vraag")
    reply, _ = services.post_message(
        open_room.channel.pk, author=open_room.member, body="Antwoord", parent_id=root.pk
    )
    client.force_login(open_room.member)
    response = client.get(reverse("channels_app:thread", args=[open_room.channel.pk, reply.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "channels_app:thread", args=[open_room.channel.pk, root.pk]
    )
