"""A right taken away ends at once on every open socket, in every process.

The sockets here are open on a daphne process of their own; every change is made in this test
process, as a view or a command would, and reaches that daphne only through Redis (the channel
layer) and PostgreSQL. For each kind of revocation, a socket that was only listening is closed
with a 44xx code within a second, and a ``sync`` and a ``send`` sent right after the change get
nothing: no messages, no acknowledgement, nothing stored.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from accounts.models import User
from accounts.roles import Role
from channels_app import services as channel_services
from channels_app.models import Message
from core.protocol import CLOSE_FORBIDDEN, CLOSE_REAUTHENTICATE, CLOSE_UNAUTHENTICATED
from directory import services as directory_services
from directory.access import is_verified
from directory.models import Membership, Professional
from privacy import services as case_services
from privacy.models import CaseMember, CaseMessage
from tests.factories import OrganisationFactory, UserFactory
from tests.privacy.fixtures import build_world, mark_signed_in
from tests.servers import daphne, free_port

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

#: how long a listening socket may take to notice (the issue's "within a second")
WITHIN = 1.0
PASSWORD = "Correct-horse-battery-9"


@pytest.fixture
def server(transactional_db):
    """A daphne process on the test database and Redis; the changes come from elsewhere.

    One per test: it has stopped (and with it whatever it still wrote, such as sealing the
    access log) before the test database is emptied for the next test.
    """
    env = {"REDIS_URL": settings.REDIS_URL, "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    with daphne(free_port(), **env) as base:
        yield base


def session_cookie(user, *, strong: bool = True, expiry: int | None = None) -> tuple[str, str]:
    client = Client()
    client.force_login(user)
    if strong:
        mark_signed_in(client, user)
    if expiry is not None:
        session = client.session
        session.set_expiry(expiry)
        session.save()
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return f"{settings.SESSION_COOKIE_NAME}={key}", key


async def open_socket(base: str, path: str, cookie: str):
    ws = await ws_connect(
        base.replace("http://", "ws://") + path,
        additional_headers={"Cookie": cookie, "Origin": base},
    )
    return ws


async def next_of(ws, frame_type: str, timeout: float = 5) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if frame["type"] == frame_type:
            return frame


async def frames_until_closed(ws, timeout: float) -> tuple[list[dict], int | None]:
    """Every frame until the server closes the socket; (frames, close code or None)."""
    frames: list[dict] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return frames, None
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), left)))
    except TimeoutError:
        return frames, None
    except ConnectionClosed as closed:
        return frames, closed.rcvd.code if closed.rcvd else None


def in_thread(function: Callable, *args, **kwargs):
    """``function`` in a thread of its own, whose database connection goes back to the pool at
    the end (the thread's connection is never closed otherwise, and the pool runs dry)."""

    def call():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return asyncio.to_thread(call)


CONTENT = {"message.created", "synced", "ack", "subscribed", "typing", "message.updated"}


async def assert_ends(ws, expected: set[int]) -> None:
    """Closed with one of ``expected`` within a second, and nothing of content before."""
    started = time.monotonic()
    frames, code = await frames_until_closed(ws, 5)
    assert code in expected, (code, frames)
    assert time.monotonic() - started < WITHIN
    leaked = [f for f in frames if f["type"] in CONTENT]
    assert leaked == [], leaked


# ---- the general socket /ws/ ---------------------------------------------------------------


def revoke_deactivate(user) -> None:
    user.is_active = False
    user.save()


def revoke_verification(user) -> None:
    """The organisation's administrator removes the membership: no longer verified."""
    membership = Membership.objects.get(professional__user=user)
    admin = UserFactory(roles=["platform_admin", "professional"])
    directory_services.remove_membership(membership, by=admin)


def revoke_password_change(user) -> None:
    """Changed in another session of the same person (allauth's own view)."""
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "Another-horse-8", "password2": "Another-horse-8"},
    )
    assert response.status_code == 302, response.content[:500]


def revoke_password_reset(user) -> None:
    """What completing a password reset does: a new password hash."""
    user.set_password("Reset-horse-battery-7")
    user.save()


def revoke_session_deleted(user, key: str) -> None:
    """Signing out everywhere or an administrator ending the session deletes it."""
    Session.objects.filter(session_key=key).delete()


def revoke_clearsessions(user, key: str) -> None:
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(1))
    call_command("clearsessions")


GENERAL = {
    "deactivated": revoke_deactivate,
    "verification_lost": revoke_verification,
    "password_changed": revoke_password_change,
    "password_reset": revoke_password_reset,
}
SESSION_ENDS = {"session_deleted": revoke_session_deleted, "clearsessions": revoke_clearsessions}
EXPECTED = {
    "deactivated": {CLOSE_UNAUTHENTICATED},
    "verification_lost": {CLOSE_FORBIDDEN},
    "password_changed": {CLOSE_UNAUTHENTICATED},
    "password_reset": {CLOSE_UNAUTHENTICATED},
    "session_deleted": {CLOSE_UNAUTHENTICATED},
    "clearsessions": {CLOSE_UNAUTHENTICATED},
    "mfa_removed": {CLOSE_REAUTHENTICATE},
    "removed": {CLOSE_FORBIDDEN},
    "not_covered": {CLOSE_FORBIDDEN},
}


def _member_with_password(closed_room):
    member = closed_room.member
    member.set_password(PASSWORD)
    member.save()
    return member


async def _listening_and_racing(server, path, cookie, room_frames, revoke, expected, body):
    """One socket only listens, a second sends ``sync`` and ``send`` right after the change."""
    listener = await open_socket(server, path, cookie)
    racer = await open_socket(server, path, cookie)
    try:
        for ws in (listener, racer):
            for frame in room_frames:
                await ws.send(json.dumps(frame))
            await next_of(ws, "subscribed")  # a case socket says so by itself
        await revoke()
        room = room_frames[0]["room"] if room_frames else None
        race = [
            {"type": "sync", "after": 0, "ref": "s"},
            {"type": "send", "body": body, "client_id": str(uuid.uuid4()), "ref": "p"},
        ]
        if room is not None:
            for frame in race:
                frame["room"] = room
        try:
            for frame in race:
                await racer.send(json.dumps(frame))
        except ConnectionClosed:
            pass  # closed already: nothing got through either
        await assert_ends(listener, expected)
        await assert_ends(racer, expected)
    finally:
        await listener.close()
        await racer.close()


@pytest.mark.parametrize("kind", [*GENERAL, *SESSION_ENDS])
def test_a_revocation_ends_the_general_socket_at_once(server, closed_room, kind):
    member = _member_with_password(closed_room)
    cookie, key = session_cookie(member, strong=False)
    room = closed_room.channel.pk
    body = f"Na intrekking ({kind})"

    async def revoke() -> None:
        if kind in GENERAL:
            await in_thread(GENERAL[kind], member)
        else:
            await in_thread(SESSION_ENDS[kind], member, key)

    asyncio.run(
        _listening_and_racing(
            server, "/ws/", cookie, [{"type": "subscribe", "room": room}], revoke,
            EXPECTED[kind], body,
        )
    )  # fmt: skip
    assert not Message.objects.filter(body=body).exists()


def _verified_only_as_administrator(member, kind: str) -> None:
    """The member's profile no longer verifies them: only being an administrator does."""
    if kind == "superuser_status_lost":
        member.is_superuser = True
        member.save()
    else:
        member.groups.add(Group.objects.get_or_create(name=Role.PLATFORM_ADMIN)[0])
    membership = Membership.objects.get(professional__user=member)
    directory_services.remove_membership(membership, by=UserFactory(roles=["platform_admin"]))
    assert not Professional.objects.get(user=member).verified
    assert is_verified(User.objects.get(pk=member.pk))


def revoke_superuser(member) -> None:
    """Unticked in the admin site."""
    member.is_superuser = False
    member.save()


def revoke_role_cleared(member) -> None:
    Group.objects.get(name=Role.PLATFORM_ADMIN).user_set.clear()


def revoke_role_deleted(member) -> None:
    Group.objects.get(name=Role.PLATFORM_ADMIN).delete()


ADMINISTRATOR = {
    "superuser_status_lost": revoke_superuser,
    "role_emptied": revoke_role_cleared,
    "role_deleted": revoke_role_deleted,
}


@pytest.mark.parametrize("kind", ADMINISTRATOR)
def test_an_administrators_lost_status_ends_the_socket_at_once(server, closed_room, kind):
    """Verified only as an administrator: losing that, in any way the admin site offers, is a
    lost verification."""
    member = _member_with_password(closed_room)
    _verified_only_as_administrator(member, kind)
    cookie, _key = session_cookie(member, strong=False)
    body = f"Na intrekking ({kind})"

    async def revoke() -> None:
        await in_thread(ADMINISTRATOR[kind], member)

    asyncio.run(
        _listening_and_racing(
            server, "/ws/", cookie, [{"type": "subscribe", "room": closed_room.channel.pk}],
            revoke, {CLOSE_FORBIDDEN}, body,
        )
    )  # fmt: skip
    assert not Message.objects.filter(body=body).exists()


def test_removal_from_a_closed_channel_ends_its_frames_at_once(server, closed_room):
    """The socket stays open for the rest; the channel is gone from it at once."""
    member = closed_room.member
    cookie, _key = session_cookie(member, strong=False)
    room = closed_room.channel.pk

    async def scenario() -> list[dict]:
        ws = await open_socket(server, "/ws/", cookie)
        try:
            await ws.send(json.dumps({"type": "subscribe", "room": room}))
            await next_of(ws, "subscribed")
            await in_thread(
                channel_services.remove_member, closed_room.channel,
                by=closed_room.owner, user=member,
            )  # fmt: skip
            await ws.send(json.dumps({"type": "sync", "room": room, "after": 0, "ref": "s"}))
            await ws.send(json.dumps({
                "type": "send", "room": room, "body": "Na verwijdering",
                "client_id": str(uuid.uuid4()), "ref": "p",
            }))  # fmt: skip
            await in_thread(
                channel_services.post_message, room, author=closed_room.owner,
                body="Alleen voor leden", client_id=str(uuid.uuid4()),
            )  # fmt: skip
            await ws.send(json.dumps({"type": "ping", "ref": "end"}))
            frames = []
            while (frame := json.loads(await asyncio.wait_for(ws.recv(), 5)))["type"] != "pong":
                frames.append(frame)
            return frames
        finally:
            await ws.close()

    frames = asyncio.run(scenario())
    errors = [f for f in frames if f["type"] == "error"]
    assert [f["ref"] for f in errors] == ["s", "p"]
    assert all(f["code"] == "not_found" for f in errors)
    assert not [f for f in frames if f["type"] in {"message.created", "synced", "ack"}]
    assert not Message.objects.filter(body="Na verwijdering").exists()


def test_a_socket_closes_when_its_session_expires(server, closed_room):
    member = closed_room.member
    cookie, _key = session_cookie(member, strong=False, expiry=3)

    async def scenario() -> tuple[list[dict], int | None, float]:
        ws = await open_socket(server, "/ws/", cookie)
        opened = time.monotonic()
        frames, code = await frames_until_closed(ws, 8)
        return frames, code, time.monotonic() - opened

    frames, code, after = asyncio.run(scenario())
    assert code == CLOSE_UNAUTHENTICATED
    assert {"type": "session.ended", "code": CLOSE_UNAUTHENTICATED} in frames
    assert 1.5 < after < 4 + WITHIN


# ---- the case-room socket /ws/cases/<id>/ --------------------------------------------------


def revoke_mfa(user) -> None:
    Authenticator.objects.filter(user=user).delete()


def revoke_case_removal(world) -> None:
    case_services.remove_member(world.room, by=world.coordinator, user=world.member)


def revoke_coverage(world) -> None:
    """The member now works at a pharmacy the consent does not cover, and left welfare."""
    member = world.member
    pharmacy = OrganisationFactory(name="Apotheek De Linde", slug="apotheek-de-linde")
    professional = member.professional
    Membership.objects.create(professional=professional, organisation=pharmacy, verified=True)
    admin = UserFactory(roles=["platform_admin", "professional"])
    welfare = Membership.objects.get(professional=professional, organisation=world.welfare)
    directory_services.remove_membership(welfare, by=admin)


CASE = {
    **GENERAL,
    "mfa_removed": revoke_mfa,
}


def _case_world():
    world = build_world()
    world.member.set_password(PASSWORD)
    world.member.save()
    return world


@pytest.mark.parametrize("kind", [*CASE, *SESSION_ENDS, "removed", "not_covered"])
def test_a_revocation_ends_the_case_room_socket_at_once(server, kind):
    world = _case_world()
    member = world.member
    cookie, key = session_cookie(member)
    body = f"Casusbericht na intrekking ({kind})"

    async def revoke() -> None:
        if kind in CASE:
            await in_thread(CASE[kind], member)
        elif kind in SESSION_ENDS:
            await in_thread(SESSION_ENDS[kind], member, key)
        elif kind == "removed":
            await in_thread(revoke_case_removal, world)
        else:
            await in_thread(revoke_coverage, world)

    asyncio.run(
        _listening_and_racing(
            server, f"/ws/cases/{world.room.pk}/", cookie, [], revoke, EXPECTED[kind], body
        )
    )
    assert not CaseMessage.objects.filter(room=world.room, author=member).exists()


def test_the_case_socket_stops_when_the_recent_sign_in_runs_out(server):
    """Opened 3 seconds before the recent sign-in expires: closed then, content stops then."""
    world = _case_world()
    member = world.member
    client = Client()
    client.force_login(member)
    mark_signed_in(client, member, seconds_ago=settings.CASE_REAUTHENTICATION_SECONDS - 3)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    async def scenario() -> tuple[list[dict], int | None, float]:
        ws = await open_socket(server, f"/ws/cases/{world.room.pk}/", cookie)
        opened = time.monotonic()
        await next_of(ws, "subscribed")
        frames, code = await frames_until_closed(ws, 4.5)
        if code is None:  # still open: a message now must not reach it
            await in_thread(
                case_services.post_message, world.room.pk, author=world.coordinator,
                body="Na het verlopen", client_id=str(uuid.uuid4()),
            )  # fmt: skip
            more, code = await frames_until_closed(ws, 3)
            frames += more
        return frames, code, time.monotonic() - opened

    frames, code, after = asyncio.run(scenario())
    assert code == CLOSE_REAUTHENTICATE
    assert {"type": "reauthentication.required", "code": CLOSE_REAUTHENTICATE} in frames
    assert not [f for f in frames if f["type"] == "message.created"]
    assert after < 3 + WITHIN + 0.5


def test_a_member_the_consent_no_longer_covers_is_suspended_and_restored(server):
    """Coverage at every access: HTTP and socket refuse, the coordinator is told; new consent
    that covers the member's organisation restores the membership."""
    world = _case_world()
    member = world.member
    revoke_coverage(world)
    membership = CaseMember.objects.get(room=world.room, user=member)
    assert membership.suspended_at is not None
    client = Client()
    client.force_login(member)
    mark_signed_in(client, member)
    for name in ("privacy:room", "privacy:plan", "privacy:members"):
        assert client.get(reverse(name, args=[world.room.pk])).status_code == 404
    coordinator = Client()
    coordinator.force_login(world.coordinator)
    mark_signed_in(coordinator, world.coordinator)
    members = coordinator.get(reverse("privacy:members", args=[world.room.pk])).content.decode()
    assert "Geschorst: valt niet onder de toestemming" in members
    told = [m for m in mail.outbox if world.coordinator.email in m.to]
    assert told and member.display_name in told[-1].body
    assert "Gezin K." not in told[-1].body  # never the pseudonym

    pharmacy = Membership.objects.get(
        professional__user=member, organisation__slug="apotheek-de-linde"
    ).organisation
    today = timezone.localdate()
    case_services.record_consent(
        world.room, by=world.coordinator, given_by="resident", given_on=today,
        valid_until=today + timedelta(days=365),
        organisations=[world.practice, world.welfare, pharmacy],
    )  # fmt: skip
    membership.refresh_from_db()
    assert membership.suspended_at is None
    assert client.get(reverse("privacy:room", args=[world.room.pk])).status_code == 200
