from __future__ import annotations

from dataclasses import dataclass

import pytest

from accounts.models import User
from channels_app import services
from channels_app.models import Channel
from tests.factories import ProfessionalFactory, UserFactory


@dataclass
class Room:
    channel: Channel
    owner: User
    member: User
    outsider: User
    unverified: User


def _verified(name: str) -> User:
    return ProfessionalFactory(user=UserFactory(display_name=name)).user


@pytest.fixture
def closed_room(db) -> Room:
    owner, member, outsider = (
        _verified("Olga Eigenaar"),
        _verified("Mark Lid"),
        _verified("Otto Buiten"),
    )
    unverified = ProfessionalFactory(
        user=UserFactory(display_name="Udo Onbevestigd"), organisation__verified=False
    ).user
    channel = services.create_channel(by=owner, kind="closed", name="Samen Heerlen Gezond")
    invitation = services.invite(channel, by=owner, user=member)
    services.decide(invitation, by=member, accept=True)
    return Room(channel, owner, member, outsider, unverified)


@pytest.fixture
def open_room(db) -> Room:
    owner, member, outsider = _verified("Anna Open"), _verified("Bert Open"), _verified("Cor Open")
    unverified = ProfessionalFactory(organisation__verified=False).user
    channel = services.create_channel(by=owner, kind="open", name="Wijk Hoensbroek")
    services.join(channel, member)
    return Room(channel, owner, member, outsider, unverified)
