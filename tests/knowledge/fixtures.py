from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import User
from knowledge import services
from knowledge.models import Article, LearningSession, Theme
from tests.factories import ProfessionalFactory, UserFactory


def verified(name: str, roles: list[str] | None = None) -> User:
    user = ProfessionalFactory(user=UserFactory(display_name=name)).user
    # transactional tests flush the role groups the data migration made: recreate them
    user.groups.add(*(Group.objects.get_or_create(name=role)[0] for role in roles or []))
    return user


def article_data(**overrides) -> dict:
    data = {
        "title": "Positieve Gezondheid in de wijk",
        "summary": "Over het andere gesprek met inwoners.",
        "body": "## Het spinnenweb\n\nVraag wat voor iemand **belangrijk** is.",
        "themes": list(Theme.objects.filter(slug="positieve-gezondheid")),
        "tag_names": ["spinnenweb"],
        "domains": ["medical", "social"],
        "audience": Article.Audience.ALL,
        "channels": [],
    }
    data.update(overrides)
    return data


def publish(trainer: User, **overrides) -> Article:
    article = services.save_article(None, by=trainer, data=article_data(**overrides))
    return services.set_published(article, by=trainer)


def png_bytes(size=(40, 30), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def pdf_bytes(text: str) -> bytes:
    """A small valid one-page PDF whose page shows ``text`` (ASCII)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@dataclass
class Library:
    trainer: User
    member: User
    outsider: User
    unverified: User
    public: Article
    restricted: Article
    channel: object


@pytest.fixture
def trainer(db) -> User:
    return verified("Tessa Trainer", ["trainer", "professional"])


@pytest.fixture
def library(db, trainer) -> Library:
    """A public and a channel-restricted article; a channel member and an outsider."""
    from channels_app import services as channel_services

    member = verified("Mark Lid")
    outsider = verified("Otto Buiten")
    unverified = ProfessionalFactory(
        user=UserFactory(display_name="Udo Onbevestigd"), organisation__verified=False
    ).user
    channel = channel_services.create_channel(
        by=trainer, kind="closed", name="Samen Heerlen Gezond"
    )
    invitation = channel_services.invite(channel, by=trainer, user=member)
    channel_services.decide(invitation, by=member, accept=True)
    public = publish(trainer, title="Leefstijl en bewegen", body="Wandelen in de wijk helpt.")
    restricted = publish(
        trainer,
        title="Werkafspraken pilot eenzaamheid",
        summary="Alleen voor de pilot.",
        body="Vertrouwelijke werkafspraken over eenzaamheid bij ouderen.",
        audience=Article.Audience.CHANNELS,
        channels=[channel],
    )
    return Library(trainer, member, outsider, unverified, public, restricted, channel)


def make_session(
    trainer: User, *, capacity: int = 2, days: int = 7, hours: int = 0, **extra
) -> LearningSession:
    starts = timezone.now() + timedelta(days=days, hours=hours)
    data = {
        "title": "Het andere gesprek",
        "description": "Oefenen met het spinnenweb.",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2),
        "location": "Buurthuis De Koumen",
        "online_url": "",
        "capacity": capacity,
        "registration_deadline": starts - timedelta(days=1 if days else 0, hours=0 if days else 1),
        "article": None,
        "themes": [],
    }
    data.update(extra)
    return services.save_session(None, by=trainer, data=data)
