"""Hostile uploads through every field that takes a file.

Surfaces: a channel file (the upload endpoint the chat uses, and the form post), an article
attachment, a learning session's material, a case-room file, a profile photo. For each:

- an SVG with script, HTML named and declared as a PDF, and a file just over the size limit
  are refused with a readable reason, and nothing is stored: no row, no file on disk;
- names that try to leave the upload folder (``../``, ``..\\``, absolute paths, NUL bytes,
  a right-to-left override, 300 characters) are accepted only with harmless bytes, stored
  under a generated name inside ``MEDIA_ROOT``, and shown and served under a cleaned name.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from channels_app import services as channel_services
from channels_app.models import Attachment
from directory.models import Professional
from knowledge import services as knowledge_services
from knowledge.models import ArticleAttachment, SessionMaterial
from privacy.models import CaseFile
from tests.directory.test_profile_edit import form_data as profile_form
from tests.factories import ProfessionalFactory
from tests.knowledge.fixtures import article_data, make_session, pdf_bytes, verified
from tests.privacy.fixtures import build_world, strong_client

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.cookie)</script></svg>"
)
HTML_AS_PDF = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"

HOSTILE = {
    "svg-with-script": ("logo.svg", SVG_WITH_SCRIPT, "image/svg+xml"),
    "svg-named-png": ("logo.png", SVG_WITH_SCRIPT, "image/png"),
    "html-as-pdf": ("verslag.pdf", HTML_AS_PDF, "application/pdf"),
}

TRAVERSAL_NAMES = [
    "../../../../etc/passwd.png",
    "..\\..\\..\\windows\\win.ini.png",
    "/etc/cron.d/foto.png",
    "foto\x00.sh.png",
    "\u202egnp.exe.png",
    "a" * 300 + ".png",
]


@dataclass
class Surface:
    """One place that takes a file: how to post there and what it stores."""

    client: Client
    post: Callable[[SimpleUploadedFile], object]
    stored: Callable[[], list]
    limit: int
    #: the name shown for a stored file, and the URL that serves it (None: not served as a file)
    shown: Callable[[object], str]
    served: Callable[[object], str | None]


def _channel(kind: str) -> Surface:
    owner = ProfessionalFactory().user
    channel = channel_services.create_channel(by=owner, kind="closed", name="Uploads")
    client = Client()
    client.force_login(owner)

    def post(upload):
        if kind == "endpoint":
            return client.post(reverse("channels_app:upload", args=[channel.pk]), {"file": upload})
        return client.post(
            reverse("channels_app:post", args=[channel.pk]), {"body": "Bijlage", "files": [upload]}
        )

    return Surface(
        client, post, lambda: list(Attachment.objects.all()), 10 * MB,
        shown=lambda item: item.name,
        served=lambda item: reverse("channels_app:attachment", args=[channel.pk, item.pk]),
    )  # fmt: skip


def _article() -> Surface:
    trainer = verified("Tessa Trainer", ["trainer", "professional"])
    article = knowledge_services.save_article(None, by=trainer, data=article_data())
    client = Client()
    client.force_login(trainer)
    return Surface(
        client,
        lambda upload: client.post(
            reverse("knowledge:attachment_upload", args=[article.pk]), {"file": upload}
        ),
        lambda: list(ArticleAttachment.objects.all()),
        10 * MB,
        shown=lambda item: item.name,
        served=lambda item: reverse("knowledge:attachment", args=[article.pk, item.pk]),
    )


def _material() -> Surface:
    trainer = verified("Tessa Trainer", ["trainer", "professional"])
    session = make_session(trainer)
    client = Client()
    client.force_login(trainer)
    return Surface(
        client,
        lambda upload: client.post(
            reverse("knowledge:material_upload", args=[session.pk]), {"file": upload}
        ),
        lambda: list(SessionMaterial.objects.all()),
        10 * MB,
        shown=lambda item: item.name,
        served=lambda item: reverse("knowledge:material", args=[session.pk, item.pk]),
    )


def _case_room() -> Surface:
    world = build_world()
    client = strong_client(world.member)
    return Surface(
        client,
        lambda upload: client.post(
            reverse("privacy:post", args=[world.room.pk]), {"body": "Het plan", "file": upload}
        ),
        lambda: list(CaseFile.objects.all()),
        10 * MB,
        shown=lambda item: item.name,
        served=lambda item: reverse("privacy:file", args=[world.room.pk, item.pk]),
    )


def _photo() -> Surface:
    user = ProfessionalFactory().user
    client = Client()
    client.force_login(user)
    return Surface(
        client,
        lambda upload: client.post(
            reverse("directory:profile_edit"), profile_form(photo_upload=upload)
        ),
        lambda: [p for p in Professional.objects.filter(user=user) if p.photo],
        5 * MB,
        shown=lambda item: os.path.basename(item.photo.name),
        served=lambda item: None,
    )


SURFACES = {
    "channel-upload": lambda: _channel("endpoint"),
    "channel-form": lambda: _channel("form"),
    "article-attachment": _article,
    "session-material": _material,
    "case-room-file": _case_room,
    "profile-photo": _photo,
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def _files_on_disk(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _refused(response) -> str:
    """The reason the platform gave for refusing (form error, flash message or JSON)."""
    assert response.status_code in {HTTPStatus.OK, HTTPStatus.FOUND, HTTPStatus.BAD_REQUEST}, (
        response.status_code
    )
    if response.get("Content-Type") == "application/json":
        return response.json()["error"]
    reasons = [str(m) for m in response.wsgi_request._messages if m.level_tag == "error"]
    context = getattr(response, "context", None)
    if context and "form" in context and context["form"].errors:
        reasons += [str(e) for errors in context["form"].errors.values() for e in errors]
    assert reasons, "refused without saying why"
    return " ".join(reasons)


@pytest.mark.parametrize("surface_name", SURFACES)
@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_files_are_refused_with_a_reason_and_nothing_is_stored(
    surface_name, hostile, media
):
    surface = SURFACES[surface_name]()
    name, content, claimed = HOSTILE[hostile]
    response = surface.post(SimpleUploadedFile(name, content, claimed))
    assert _refused(response)
    assert surface.stored() == []
    assert _files_on_disk(media) == []


@pytest.mark.parametrize("surface_name", SURFACES)
def test_a_file_over_the_limit_is_refused(surface_name, media, settings):
    surface = SURFACES[surface_name]()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    head = _png() if surface_name == "profile-photo" else pdf_bytes("Groot")
    content = head + b"\0" * (surface.limit + 1 - len(head))
    name = "groot.png" if surface_name == "profile-photo" else "groot.pdf"
    reason = _refused(surface.post(SimpleUploadedFile(name, content, "application/pdf")))
    assert re.search(r"\d+\s*MB", reason), reason
    assert surface.stored() == []
    assert _files_on_disk(media) == []


@pytest.mark.parametrize("surface_name", SURFACES)
def test_names_that_try_to_leave_the_upload_folder_stay_inside(surface_name, media):
    surface = SURFACES[surface_name]()
    for name in TRAVERSAL_NAMES:
        surface.post(SimpleUploadedFile(name, _png(), "image/png"))
    stored = surface.stored()
    assert stored, "a harmless image under a strange name should still be accepted"
    on_disk = _files_on_disk(media)
    assert on_disk
    for path in on_disk:
        assert path.resolve().is_relative_to(media.resolve())
        assert not {".", ".."} & set(path.relative_to(media).parts)
        assert path.name.isascii() and "\x00" not in path.name and len(path.name) < 120
    for item in stored:
        shown = surface.shown(item)
        assert not re.search(r"[/\\\x00-\x1f\u202a-\u202e\u2066-\u2069]", shown), shown
        assert ".." not in shown.replace("...", "")
        assert len(shown) <= 110, shown
        url = surface.served(item)
        if url is None:
            continue
        response = surface.client.get(url)
        assert response.status_code == HTTPStatus.OK
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "image/png"
        disposition = response["Content-Disposition"]
        assert not re.search(r"[/\\\x00-\x1f\u202a-\u202e]|\.\./", disposition), disposition
        # read to the end: the test client then finishes the request as a server would
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
