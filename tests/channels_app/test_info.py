"""A room's details (members, pinned messages, files): for those who may read the room, as a
page and as the live client's panel; nobody else learns anything from it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from channels_app import services

pytestmark = pytest.mark.django_db

INFO = {"X-Wijk-Fragment": "info"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(channel) -> str:
    return reverse("channels_app:info", args=[channel.pk])


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n", "application/pdf")


def _share(channel, author, body: str, name: str):
    file = services.upload_attachment(channel, by=author, upload=_pdf(name))
    message, _ = services.post_message(
        channel.pk, author=author, body=body, attachment_ids=[file.pk]
    )
    return message


@pytest.fixture
def shared(closed_room, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    channel = closed_room.channel
    pinned = _share(
        channel, closed_room.owner, "**Afspraken** voor het wijkoverleg", "afspraken.pdf"
    )
    services.pin_message(pinned, by=closed_room.owner)
    gone = _share(channel, closed_room.member, "Verkeerd bestand", "verkeerd.pdf")
    services.delete_message(gone, by=closed_room.member)
    services.upload_attachment(
        channel, by=closed_room.member, upload=_pdf("nog-niet-verstuurd.pdf")
    )
    services.post_message(channel.pk, author=closed_room.member, body="Niet vastgezet")
    return closed_room


def test_a_member_sees_the_members_pinned_messages_and_files(shared):
    response = _client(shared.member).get(_url(shared.channel))
    assert response.status_code == 200
    text = response.content.decode()
    assert "<h1" in text and "Over Samen Heerlen Gezond" in text
    for person in (shared.owner, shared.member):
        assert person.display_name in text
    assert shared.outsider.display_name not in text
    # the pinned message as read, without Markdown marks; the others are not pinned
    assert "Afspraken voor het wijkoverleg" in text and "**Afspraken**" not in text
    assert "Niet vastgezet" not in text
    # files of messages that still exist; not those deleted or not sent yet
    assert "afspraken.pdf" in text
    assert "verkeerd.pdf" not in text and "nog-niet-verstuurd.pdf" not in text


def test_the_panel_is_the_details_alone_with_ids_of_their_own(shared):
    client = _client(shared.member)
    panel = client.get(_url(shared.channel), headers=INFO)
    assert panel["X-Wijk-Fragment"] == "info"
    assert "X-Wijk-Fragment" in panel["Vary"]
    text = panel.content.decode()
    assert "<html" not in text and "wijk-sidebar" not in text and "<h1" not in text
    assert 'id="info-pinned-heading"' in text and "afspraken.pdf" in text
    assert "data-side-panel" in text


def test_the_room_header_links_to_the_details(shared):
    text = _client(shared.member).get(reverse("channels_app:channel", args=[shared.channel.pk]))
    page = text.content.decode()
    assert f'href="{_url(shared.channel)}" data-open-panel' in page
    assert f'href="{_url(shared.channel)}#pinned-heading" data-open-panel>1 vastgezet' in page


def test_outsiders_learn_nothing(shared):
    direct = services.direct_channel(by=shared.owner, others=[shared.member])
    client = _client(shared.outsider)
    for channel in (shared.channel, direct):
        for headers in ({}, INFO):
            response = client.get(_url(channel), headers=headers)
            assert response.status_code == 404
            assert "afspraken" not in response.content.decode()
    assert _client(shared.member).get(_url(direct)).status_code == 200


def test_an_open_channel_shows_its_details_to_every_verified_reader(open_room):
    response = _client(open_room.outsider).get(_url(open_room.channel))
    assert response.status_code == 200
