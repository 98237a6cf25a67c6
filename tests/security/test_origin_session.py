"""Cross-site websockets, session fixation, and what signing out ends.

- A websocket opened from another site's page (a foreign ``Origin``, or none) is refused on
  every websocket route, even with a valid session cookie; the whole origin counts (scheme,
  host and port), as in Django's CSRF check. tests/security/test_origin_live.py does the same
  through a real daphne.
- Signing in, with a password and with the second factor, gives the browser a new session
  key; a key planted before sign-in (or seen half-way) opens nothing afterwards.
- Signing out ends the session for pages and sockets: the open sockets of that session are
  closed at once, a new one with the old cookie is refused, and other sessions of the same
  person stay open.
"""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from config.asgi import application
from config.routing import websocket_urlpatterns
from core.protocol import CLOSE_UNAUTHENTICATED
from tests.accounts.test_invitations import totp_now
from tests.privacy.fixtures import TOTP_SECRET, build_world, mark_signed_in

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Correct-horse-battery-9"  # what tests.factories.UserFactory sets
COOKIE = settings.SESSION_COOKIE_NAME

FOREIGN_ORIGINS = [
    "https://evil.example",
    "http://localhost.evil.example",
    "http://evil.example:8000",
    "https://localhost@evil.example",
    "null",
    "file://",
    # the same host with another scheme or port, or another name for this machine
    "https://testserver",
    "http://testserver:8000",
    "ws://testserver",
    "http://localhost",
]
OWN_ORIGIN = "http://testserver"  # WebsocketCommunicator: Host "testserver", scheme "ws"


@pytest.fixture
def world(transactional_db):
    return build_world()


def _paths(world) -> list[str]:
    return ["/ws/", f"/ws/cases/{world.room.pk}/"]


def test_the_origin_tests_cover_every_websocket_route():
    routes = sorted(str(pattern.pattern) for pattern in websocket_urlpatterns)
    assert routes == ["ws/", "ws/cases/<int:room_id>/"], (
        "a new websocket route: add it to _paths() so its origin check is tested"
    )


def _signed_in_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    mark_signed_in(client, user)
    return client.cookies[COOKIE].value


async def _open(path: str, session_key: str | None, origin: str | None):
    headers = [(b"host", b"testserver")]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if session_key:
        headers.append((b"cookie", f"{COOKIE}={session_key}".encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _detail = await communicator.connect(timeout=5)
    return communicator, connected


# ---- origin ---------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", [*FOREIGN_ORIGINS, None])
async def test_a_socket_from_another_site_is_refused_on_every_route(world, origin):
    key = await database_sync_to_async(_signed_in_cookie)(world.member)
    for path in _paths(world):
        communicator, connected = await _open(path, key, origin)
        assert not connected, f"{path} accepted Origin {origin!r}"
        await communicator.disconnect()


async def test_the_sites_own_origin_is_accepted_on_every_route(world):
    key = await database_sync_to_async(_signed_in_cookie)(world.member)
    for path in _paths(world):
        communicator, connected = await _open(path, key, OWN_ORIGIN)
        assert connected, path
        await communicator.disconnect()


async def test_a_trusted_origin_is_accepted_on_every_route(world, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://wijk.example"]
    key = await database_sync_to_async(_signed_in_cookie)(world.member)
    for path in _paths(world):
        communicator, connected = await _open(path, key, "https://wijk.example")
        assert connected, path
        await communicator.disconnect()


# ---- session fixation -----------------------------------------------------------------------


def _planted_key(client: Client) -> str:
    """A session the visitor has before signing in (as an attacker could have planted it)."""
    session = client.session
    session["planted"] = True
    session.save()
    client.cookies[COOKIE] = session.session_key
    return session.session_key


def _is_signed_in_with(key: str) -> bool:
    other = Client()
    other.cookies[COOKIE] = key
    response = other.get(reverse("directory:index"))
    return response.status_code == HTTPStatus.OK


def test_signing_in_with_a_password_gives_a_new_session_key(world):
    client = Client()
    planted = _planted_key(client)
    response = client.post(
        reverse("account_login"), {"login": world.member_without_mfa.email, "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    key = client.cookies[COOKIE].value
    assert key != planted
    assert not SessionStore().exists(planted), "the planted session survived the sign-in"
    assert _is_signed_in_with(key)
    assert not _is_signed_in_with(planted)


def test_signing_in_with_a_second_factor_gives_a_new_session_key(world):
    client = Client()
    planted = _planted_key(client)
    response = client.post(
        reverse("account_login"), {"login": world.member.email, "password": PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("mfa_authenticate")
    half_way = client.cookies[COOKIE].value
    # between the two steps nobody is signed in, whatever key they hold
    assert not _is_signed_in_with(planted)
    assert not _is_signed_in_with(half_way)

    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(TOTP_SECRET)})
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    key = client.cookies[COOKIE].value
    assert key not in {planted, half_way}
    assert _is_signed_in_with(key)
    assert not _is_signed_in_with(planted)
    assert not _is_signed_in_with(half_way)


# ---- signing out ----------------------------------------------------------------------------


async def _receive_until_closed(communicator) -> tuple[list[dict], int | None]:
    frames = []
    while True:
        output = await communicator.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return frames, output.get("code")
        frames.append(json.loads(output["text"]))


async def test_signing_out_closes_that_sessions_sockets_and_no_other(world):
    client = Client()
    await database_sync_to_async(client.force_login)(world.member)
    await database_sync_to_async(mark_signed_in)(client, world.member)
    key = client.cookies[COOKIE].value
    other_key = await database_sync_to_async(_signed_in_cookie)(world.member)

    sockets = []
    for path in _paths(world):
        communicator, connected = await _open(path, key, OWN_ORIGIN)
        assert connected, path
        sockets.append(communicator)
    bystander, connected = await _open("/ws/", other_key, OWN_ORIGIN)
    assert connected

    response = await database_sync_to_async(client.post)(reverse("account_logout"))
    assert response.status_code == HTTPStatus.FOUND

    for communicator in sockets:
        frames, code = await _receive_until_closed(communicator)
        assert code == CLOSE_UNAUTHENTICATED
        assert {"type": "session.ended", "code": CLOSE_UNAUTHENTICATED} in frames
    # the same person's other session (another browser) is untouched
    await bystander.send_json_to({"type": "ping", "ref": "still-here"})
    while (frame := await bystander.receive_json_from(timeout=5))["type"] != "pong":
        pass
    assert frame["ref"] == "still-here"
    await bystander.disconnect()

    # the old cookie opens nothing any more, neither a socket nor a page
    for path in _paths(world):
        communicator, connected = await _open(path, key, OWN_ORIGIN)
        assert not connected, path
        await communicator.disconnect()
    assert not await database_sync_to_async(_is_signed_in_with)(key)
