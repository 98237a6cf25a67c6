"""People and a case room for the privacy tests.

``CaseRoomWorld`` has one person per row of the access matrix. Members have a TOTP
authenticator; ``strong_client`` signs someone in as if they had just entered their password and
authenticator code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.utils import timezone

from accounts.models import User
from directory.models import Organisation
from privacy import services
from privacy.models import CaseRoom
from tests.factories import OrganisationFactory, ProfessionalFactory, UserFactory

TOTP_SECRET = "JBSWY3DPEHPK3PXP"


@dataclass
class CaseRoomWorld:
    room: CaseRoom
    practice: Organisation
    welfare: Organisation
    elsewhere: Organisation
    coordinator: User
    member: User
    member_without_mfa: User
    outsider: User
    uncovered: User
    unverified: User
    privacy_officer: User
    platform_admin: User


def with_mfa(user: User, secret: str = TOTP_SECRET) -> User:
    TOTP.activate(user, secret)
    return user


def professional(name: str, organisation: Organisation, **kwargs) -> User:
    return ProfessionalFactory(
        user=UserFactory(display_name=name), organisation=organisation, **kwargs
    ).user


def mark_signed_in(
    client: Client, user: User, *, seconds_ago: float = 0, second_factor: bool = True
) -> None:
    """What allauth stores in the session when someone signs in with their password and then
    their authenticator code (case rooms count only the second step); with
    ``second_factor=False``, a sign-in with the password alone."""
    at = time.time() - seconds_ago
    records = [{"method": "password", "at": at, "email": user.email}]
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if second_factor and totp is not None:
        records.append({"method": "mfa", "at": at, "id": totp.pk, "type": "totp"})
    session = client.session
    session["account_authentication_methods_user"] = str(user.pk)
    session["account_authentication_methods"] = records
    session.save()


def strong_client(user: User | None, *, seconds_ago: float = 0) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
        mark_signed_in(client, user, seconds_ago=seconds_ago)
    return client


def build_world() -> CaseRoomWorld:
    practice = OrganisationFactory(name="Huisartsenpraktijk Kasteelpark", slug="hp-kasteelpark")
    welfare = OrganisationFactory(name="Welzijn Samen Hoensbroek", slug="welzijn-samen")
    elsewhere = OrganisationFactory(name="Fysiotherapie Het Anker", slug="fysio-het-anker")
    coordinator = with_mfa(professional("Anouk Regie", practice))
    member = with_mfa(professional("Mirjam Welzijn", welfare))
    member_without_mfa = professional("Bram Zonder", welfare)
    outsider = with_mfa(professional("Otto Buiten", welfare))
    uncovered = with_mfa(professional("Floor Fysio", elsewhere))
    unverified = ProfessionalFactory(
        user=UserFactory(display_name="Udo Onbevestigd"), organisation=welfare,
        organisation__verified=False,
    ).user  # fmt: skip
    privacy_officer = with_mfa(UserFactory(display_name="Petra Privacy", roles=["privacy_officer"]))
    platform_admin = with_mfa(
        UserFactory(display_name="Bea Beheer", roles=["platform_admin", "professional"])
    )
    room = services.create_room(
        by=coordinator,
        pseudonym="Gezin K., Hoensbroek",
        purpose="Afstemming zorg en ondersteuning rond schulden en gezondheid.",
        legal_ground="consent",
    )
    today = timezone.localdate()
    services.record_consent(
        room,
        by=coordinator,
        given_by="resident",
        given_on=today,
        valid_until=today + timedelta(days=365),
        organisations=[practice, welfare],
    )
    for user in (member, member_without_mfa):
        services.invite(room, by=coordinator, user=user)
        services.respond(room, user=user, accept=True)
    room.refresh_from_db()
    return CaseRoomWorld(
        room, practice, welfare, elsewhere, coordinator, member, member_without_mfa, outsider,
        uncovered, unverified, privacy_officer, platform_admin,
    )  # fmt: skip


@pytest.fixture
def world(db) -> CaseRoomWorld:
    return build_world()
