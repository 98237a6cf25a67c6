from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from channels_app.models import Channel, Message
from channels_app.models import Membership as ChannelMembership
from directory.models import Domain
from tests.factories import DisciplineFactory, ProfessionalFactory, UserFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


def say(channel: Channel, author, when: datetime, *, parent: Message | None = None, **extra):
    channel.last_seq += 1
    channel.save(update_fields=["last_seq"])
    return Message.objects.create(
        channel=channel,
        seq=channel.last_seq,
        author=author,
        body="…",
        body_html="<p>…</p>",
        parent=parent,
        created_at=when,
        **extra,
    )


def room(kind: str, *members, joined: datetime | None = None, name: str = "", places=()):
    channel = Channel.objects.create(kind=kind, name=name, slug=name.lower() or None)
    channel.neighbourhoods.set(places)
    for user in members:
        ChannelMembership.objects.create(
            channel=channel, user=user, joined_at=joined or at(2025, 12, 1)
        )
    return channel


@pytest.fixture
def people(town):
    """The town's GP, nurse and debt counsellor, a welfare worker in the north, an admin."""
    welfare = DisciplineFactory(name="Welzijnswerker", slug="welzijnswerker", domain=Domain.SOCIAL)
    north = town["nurse"].neighbourhoods.get()
    worker = ProfessionalFactory(
        user=UserFactory(display_name="Lotte Vossen", email="lotte@wijk.example"),
        disciplines=[welfare],
        neighbourhoods=[north],
    )
    return {
        "gp": town["gp"].user,
        "nurse": town["nurse"].user,
        "counsellor": town["counsellor"].user,
        "welfare": worker.user,
        "admin": UserFactory(email="beheer@wijk.example", roles=["platform_admin"]),
        "hoensbroek": town["gp"].neighbourhoods.get(),
        "north": north,
    }
