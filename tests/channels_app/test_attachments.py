from __future__ import annotations

import io
import zipfile
from http import HTTPStatus

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from channels_app import services
from channels_app.models import Attachment, Message
from tests.channels_app.test_channel_socket import receive_until, subscribed


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def pdf(name="verslag.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "application/pdf"
    )


def docx() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return SimpleUploadedFile("plan.docx", buffer.getvalue(), "application/octet-stream")


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "PNG")
    return SimpleUploadedFile("foto.png", buffer.getvalue(), "image/png")


@pytest.mark.django_db
def test_a_member_shares_files_and_members_download_them(client, closed_room):
    room = closed_room
    client.force_login(room.member)
    response = client.post(
        reverse("channels_app:post", args=[room.channel.pk]),
        {"body": "Het verslag", "files": [pdf(), docx(), png()]},
    )
    assert response.status_code == HTTPStatus.FOUND
    message = Message.objects.get(body="Het verslag")
    files = list(message.attachments.order_by("pk"))
    assert [(f.name, f.content_type) for f in files] == [
        ("verslag.pdf", "application/pdf"),
        ("plan.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("foto.png", "image/png"),
    ]
    page = client.get(reverse("channels_app:channel", args=[room.channel.pk])).content.decode()
    url = reverse("channels_app:attachment", args=[room.channel.pk, files[0].pk])
    assert url in page
    client.force_login(room.owner)
    download = client.get(url)
    assert download.status_code == HTTPStatus.OK
    assert download["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in download["Content-Security-Policy"]
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    client.force_login(room.outsider)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    client.logout()
    assert client.get(url).status_code == HTTPStatus.FOUND


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (SimpleUploadedFile("x.svg", b'<svg onload="alert(1)"><script>alert(1)</script></svg>',
                            "image/svg+xml"), "Alleen PDF"),
        (SimpleUploadedFile("rapport.pdf", b"<html><script>alert(1)</script></html>",
                            "application/pdf"), "Alleen PDF"),
        (SimpleUploadedFile("leeg.pdf", b"", "application/pdf"), "leeg"),
        (SimpleUploadedFile("archief.zip", b"PK\x03\x04rubbish", "application/zip"), "archief"),
    ],
)  # fmt: skip
def test_files_are_judged_by_their_bytes(client, closed_room, upload, reason):
    client.force_login(closed_room.member)
    response = client.post(
        reverse("channels_app:upload", args=[closed_room.channel.pk]), {"file": upload}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert reason in response.json()["error"]
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_oversized_files_are_refused(client, closed_room, monkeypatch):
    monkeypatch.setattr("core.files.MAX_BYTES", 10)
    client.force_login(closed_room.member)
    response = client.post(
        reverse("channels_app:upload", args=[closed_room.channel.pk]), {"file": pdf()}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "10 MB" in response.json()["error"]


@pytest.mark.django_db
def test_path_traversal_names_are_made_harmless(client, closed_room):
    client.force_login(closed_room.member)
    response = client.post(
        reverse("channels_app:upload", args=[closed_room.channel.pk]),
        {"file": pdf("../../etc/pass\x00wd<script>.exe")},
    )
    assert response.status_code == HTTPStatus.CREATED
    attachment = Attachment.objects.get()
    assert attachment.name.endswith(".pdf") and "/" not in attachment.name
    assert "<" not in attachment.name and "\x00" not in attachment.name
    assert ".." not in attachment.file.name


@pytest.mark.django_db
def test_outsiders_cannot_upload_and_unsent_files_are_private(client, closed_room):
    client.force_login(closed_room.outsider)
    response = client.post(
        reverse("channels_app:upload", args=[closed_room.channel.pk]), {"file": pdf()}
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    client.force_login(closed_room.member)
    response = client.post(
        reverse("channels_app:upload", args=[closed_room.channel.pk]), {"file": pdf()}
    )
    url = reverse("channels_app:attachment", args=[closed_room.channel.pk, response.json()["id"]])
    assert client.get(url).status_code == HTTPStatus.OK
    client.force_login(closed_room.owner)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.django_db(transaction=True)
async def test_files_go_along_with_a_websocket_send_once(closed_room):
    room = closed_room
    attachment = await database_sync_to_async(services.upload_attachment)(
        room.channel, by=room.member, upload=pdf()
    )
    member = await subscribed(room.member, room.channel.pk)
    owner = await subscribed(room.owner, room.channel.pk)
    await owner.send_json_to(
        {
            "type": "send",
            "room": room.channel.pk,
            "body": "Gestolen?",
            "attachments": [attachment.pk],
        }
    )
    assert (await receive_until(owner, "error"))["code"] == "invalid"
    await member.send_json_to(
        {"type": "send", "room": room.channel.pk, "body": "", "attachments": [attachment.pk]}
    )
    await receive_until(member, "ack")
    created = await receive_until(owner, "message.created")
    assert "verslag.pdf" in created["html"]
    await member.send_json_to(
        {
            "type": "send",
            "room": room.channel.pk,
            "body": "nog eens",
            "attachments": [attachment.pk],
        }
    )
    assert (await receive_until(member, "error"))["code"] == "invalid"
    assert await database_sync_to_async(Message.objects.count)() == 1
    await member.disconnect()
    await owner.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_send_refused_for_its_thread_or_its_files_spends_no_token(closed_room, settings):
    """A reply to a message that is not a thread's start here, or files that are not the
    author's unsent ones in this room, are ``invalid`` and count nothing against the limit."""
    room = closed_room

    def other_rooms_and_files():
        thread, _ = services.post_message(room.channel.pk, author=room.member, body="Draad")
        reply, _ = services.post_message(
            room.channel.pk, author=room.member, body="Antwoord", parent_id=thread.pk
        )
        elsewhere = services.create_channel(by=room.outsider, kind="closed", name="Elders")
        foreign, _ = services.post_message(elsewhere.pk, author=room.outsider, body="Daar")
        own_room = services.create_channel(by=room.owner, kind="closed", name="Eigen hoek")
        used = services.upload_attachment(room.channel, by=room.owner, upload=pdf())
        Attachment.objects.filter(pk=used.pk).update(message=thread)
        files = [
            services.upload_attachment(room.channel, by=room.member, upload=pdf()),
            services.upload_attachment(own_room, by=room.owner, upload=pdf()),
            used,
        ]
        return [{"parent": 987654}, {"parent": foreign.pk}, {"parent": reply.pk}] + [
            {"attachments": [file.pk]} for file in files
        ]

    refused = await database_sync_to_async(other_rooms_and_files)()
    settings.MESSAGE_RATE_LIMIT = (2, 60)
    owner = await subscribed(room.owner, room.channel.pk)
    for extra in refused:
        await owner.send_json_to(
            {"type": "send", "room": room.channel.pk, "body": "Fout", "ref": "x", **extra}
        )
        error = await receive_until(owner, "error")
        assert (error["code"], error["ref"]) == ("invalid", "x"), extra
    for n in range(2):
        await owner.send_json_to({"type": "send", "room": room.channel.pk, "body": f"Goed {n}"})
        await receive_until(owner, "ack")
    await owner.send_json_to({"type": "send", "room": room.channel.pk, "body": "Te veel"})
    assert (await receive_until(owner, "error"))["code"] == "rate_limited"
    mine = Message.objects.filter(author=room.owner)
    assert await database_sync_to_async(mine.count)() == 2
    assert not await database_sync_to_async(
        Attachment.objects.filter(uploader=room.owner, message__author=room.owner).exists
    )()
    await owner.disconnect()
