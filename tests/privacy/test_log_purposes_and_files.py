"""The log names the right purpose, and files leave the disk only with their rows.

Outsiders' refused attempts are not care coordination; an early purge on request is an erasure,
not the end of retention. A purge deletes files once its transaction has committed; a post that
fails leaves no file behind.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from privacy import audit, services
from privacy.models import AccessLogEntry, CaseFile, CaseMessage
from tests.privacy.fixtures import strong_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%x\n"


def _files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def _last(**filters) -> AccessLogEntry:
    return AccessLogEntry.objects.filter(**filters).order_by("-pk").first()


# ---- purposes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["outsider", "uncovered", "platform_admin"])
def test_an_outsiders_refused_attempt_is_logged_as_refused_not_as_care(world, persona):
    user = getattr(world, persona)
    strong_client(user).get(reverse("privacy:room", args=[world.room.pk]))
    entry = _last(user_id_ref=user.pk)
    assert (entry.outcome, entry.purpose) == ("denied", audit.Purpose.REFUSED)
    assert entry.room_id_ref == world.room.pk


def test_a_former_members_refused_attempt_is_logged_as_refused(world):
    services.withdraw_consent(world.room, by=world.coordinator)
    strong_client(world.member).get(reverse("privacy:plan", args=[world.room.pk]))
    entry = _last(user_id_ref=world.member.pk)
    assert (entry.outcome, entry.purpose) == ("denied", audit.Purpose.REFUSED)


def test_members_and_the_privacy_officer_keep_their_purposes(world):
    strong_client(world.member).get(reverse("privacy:room", args=[world.room.pk]))
    assert _last(user_id_ref=world.member.pk).purpose == audit.Purpose.CARE
    # a member asking for a coordinator's page is refused, still in their care role
    strong_client(world.member).get(reverse("privacy:settings", args=[world.room.pk]))
    entry = _last(user_id_ref=world.member.pk)
    assert (entry.outcome, entry.purpose) == ("denied", audit.Purpose.CARE)
    strong_client(world.privacy_officer).get(reverse("privacy:log", args=[world.room.pk]))
    assert _last(user_id_ref=world.privacy_officer.pk).purpose == audit.Purpose.SUPERVISION


def test_declining_an_invitation_is_logged_as_care(world):
    services.invite(world.room, by=world.coordinator, user=world.outsider)
    services.respond(world.room, user=world.outsider, accept=False)
    entry = _last(user_id_ref=world.outsider.pk, detail="declined")
    assert entry.purpose == audit.Purpose.CARE


def test_the_log_shows_the_new_purposes_in_dutch(world):
    strong_client(world.outsider).get(reverse("privacy:room", args=[world.room.pk]))
    html = strong_client(world.coordinator).get(reverse("privacy:log", args=[world.room.pk]))
    assert "poging zonder toegang (geweigerd)" in html.content.decode()


def test_an_early_erasure_is_logged_as_an_erasure_and_retention_as_retention(
    world, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    services.withdraw_consent(world.room, by=world.coordinator)
    # after a withdrawal, without closing: the usual erasure request (art. 17(1)(b))
    call_command("purge_case_rooms", "--room", str(world.room.pk), stdout=StringIO())
    entry = _last(room_id_ref=world.room.pk, action="delete", object_type="case_room")
    assert entry.purpose == audit.Purpose.ERASURE
    assert entry.detail == "content purged on an erasure request"

    other = services.create_room(by=world.coordinator, pseudonym="Gezin T., Heerlen",
                                 purpose="Samenwerken", legal_ground="consent")  # fmt: skip
    services.close_room(other, by=world.coordinator)
    services.purge_room(other)
    entry = _last(room_id_ref=other.pk, action="delete", object_type="case_room")
    assert entry.purpose == audit.Purpose.RETENTION


# ---- files and transactions --------------------------------------------------------------------


def _post_with_file(world, body: str = "Met bijlage") -> CaseFile:
    pdf = SimpleUploadedFile("brief.pdf", PDF, content_type="application/pdf")
    message, _created = services.post_message(
        world.room.pk, author=world.member, body=body, uploads=[pdf]
    )
    return message.files.get()


def test_a_purge_deletes_files_only_after_it_commits(
    world, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    stored = Path(_post_with_file(world).file.path)
    services.close_room(world.room, by=world.coordinator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.purge_room(world.room)
        assert stored.exists()  # rows gone in the transaction, the file not yet
    assert not CaseFile.objects.filter(room=world.room).exists()
    assert stored.exists()
    for callback in callbacks:  # the commit
        callback()
    assert not stored.exists()


def test_a_failed_purge_keeps_rows_and_files_together(
    world, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    stored = Path(_post_with_file(world).file.path)
    services.close_room(world.room, by=world.coordinator)
    with (
        django_capture_on_commit_callbacks(execute=True),
        mock.patch.object(services.audit, "record", side_effect=RuntimeError("log is down")),
        pytest.raises(RuntimeError),
    ):
        services.purge_room(world.room)
    assert stored.exists()
    assert CaseFile.objects.filter(room=world.room).exists()
    assert CaseMessage.objects.filter(room=world.room).exists()


def test_a_failed_post_leaves_no_file_on_disk(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    with (
        mock.patch.object(services, "_log", side_effect=RuntimeError("log is down")),
        pytest.raises(RuntimeError),
    ):
        _post_with_file(world)
    assert not CaseMessage.objects.filter(room=world.room).exists()
    assert _files(tmp_path) == []


def test_a_post_with_a_refused_second_file_leaves_no_first_file(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    good = SimpleUploadedFile("brief.pdf", PDF, content_type="application/pdf")
    bad = SimpleUploadedFile("script.pdf", b"#!/bin/sh\necho hi\n", content_type="application/pdf")
    with pytest.raises(ValidationError):
        services.post_message(world.room.pk, author=world.member, body="Twee", uploads=[good, bad])
    assert not CaseFile.objects.exists()
    assert _files(tmp_path) == []


def test_a_failed_post_over_http_leaves_no_file_on_disk(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    client = strong_client(world.member)
    pdf = SimpleUploadedFile("brief.pdf", PDF, content_type="application/pdf")
    with (
        mock.patch.object(services, "_log", side_effect=RuntimeError("log is down")),
        pytest.raises(RuntimeError),
    ):
        client.post(reverse("privacy:post", args=[world.room.pk]), {"body": "Hoi", "file": pdf})
    assert _files(tmp_path) == []


def test_a_successful_post_keeps_its_file(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    item = _post_with_file(world)
    assert Path(item.file.path).exists()
    assert _files(tmp_path) == [Path(item.file.path)]


def test_a_refused_file_spends_no_token_of_the_rate_limit(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    settings.MESSAGE_RATE_LIMIT = (1, 60)
    for attempt in range(3):
        bad = SimpleUploadedFile("script.pdf", b"#!/bin/sh\necho hi\n", "application/pdf")
        with pytest.raises(ValidationError) as refused:
            services.post_message(world.room.pk, author=world.member, body=f"{attempt}",
                                  uploads=[bad])  # fmt: skip
        assert refused.value.code == "refused_file"
    good = SimpleUploadedFile("brief.pdf", PDF, "application/pdf")
    services.post_message(
        world.room.pk, author=world.member, body="Nu met een goed bestand", uploads=[good]
    )
    assert CaseMessage.objects.filter(body="Nu met een goed bestand").count() == 1
    assert CaseFile.objects.count() == 1
