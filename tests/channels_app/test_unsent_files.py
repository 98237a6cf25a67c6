"""Files uploaded for the next message and then taken back, or never sent: deleted with their
bytes, by their uploader only; a file that went with a message stays."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels_app import services
from channels_app.models import Attachment

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, channel) -> dict:
    pdf = SimpleUploadedFile("notitie.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    response = client.post(reverse("channels_app:upload", args=[channel.pk]), {"file": pdf})
    assert response.status_code == 201
    return response.json()


def _on_disk(attachment_id: int) -> bool:
    item = Attachment.objects.filter(pk=attachment_id).first()
    return item is not None and item.file.storage.exists(item.file.name)


def test_the_uploader_takes_a_file_back_before_sending(closed_room):
    client = _client(closed_room.member)
    uploaded = _upload(client, closed_room.channel)
    assert _on_disk(uploaded["id"])
    name = Attachment.objects.get(pk=uploaded["id"]).file.name
    storage = Attachment._meta.get_field("file").storage
    assert client.delete(uploaded["url"]).status_code == 204
    assert not Attachment.objects.filter(pk=uploaded["id"]).exists()
    assert not storage.exists(name)
    assert client.delete(uploaded["url"]).status_code == 404


def test_nobody_else_takes_it_and_a_sent_file_stays(closed_room):
    uploaded = _upload(_client(closed_room.member), closed_room.channel)
    for user in (closed_room.owner, closed_room.outsider):
        assert _client(user).delete(uploaded["url"]).status_code == 404
    assert Client().delete(uploaded["url"]).status_code == 302  # to the sign-in page
    assert _on_disk(uploaded["id"])
    services.post_message(
        closed_room.channel.pk,
        author=closed_room.member,
        body="Met bijlage",
        attachment_ids=[uploaded["id"]],
    )
    assert _client(closed_room.member).delete(uploaded["url"]).status_code == 404
    assert _on_disk(uploaded["id"])


def test_the_purge_deletes_only_old_unsent_files(closed_room):
    client = _client(closed_room.member)
    old, recent, sent = (_upload(client, closed_room.channel) for _ in range(3))
    services.post_message(
        closed_room.channel.pk, author=closed_room.member, body="Mee", attachment_ids=[sent["id"]]
    )
    Attachment.objects.filter(pk__in=[old["id"], sent["id"]]).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    out = StringIO()
    call_command("purge_unsent_files", stdout=out)
    assert "Deleted 1 unsent file(s)." in out.getvalue()
    assert not Attachment.objects.filter(pk=old["id"]).exists()
    assert _on_disk(recent["id"]) and _on_disk(sent["id"])
