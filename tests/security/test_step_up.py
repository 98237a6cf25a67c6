"""Case rooms count only steps with the member's own second factor (privacy.access
.signed_in_recently): a password, at sign-in or at a step-up, is not enough; a change of
credentials ends every earlier step; the step-up page is allauth's second-factor page."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from config.asgi import application
from tests.accounts.test_invitations import totp_now
from tests.privacy.fixtures import TOTP_SECRET, build_world, mark_signed_in, strong_client

pytestmark = pytest.mark.django_db


def password_only(user) -> Client:
    """Signed in with the password; the session has no second-factor step."""
    client = Client()
    client.force_login(user)
    mark_signed_in(client, user, second_factor=False)
    return client


def step_up_url(path: str) -> str:
    return f"{reverse('mfa_reauthenticate')}?{urlencode({'next': path})}"


def test_a_password_sign_in_alone_does_not_open_a_case_room(world):
    room = reverse("privacy:room", args=[world.room.pk])
    response = password_only(world.member).get(room)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == step_up_url(room)


def test_the_index_sends_to_the_second_factor_step_up(world):
    response = password_only(world.member).get(reverse("privacy:index"))
    assert response.status_code == HTTPStatus.OK
    assert step_up_url(reverse("privacy:index")).replace("&", "&amp;").encode() in response.content
    assert world.room.pseudonym.encode() not in response.content


def test_the_step_up_takes_the_authenticator_code_and_returns(world):
    room = reverse("privacy:room", args=[world.room.pk])
    client = password_only(world.member)
    response = client.post(step_up_url(room), {"code": totp_now(TOTP_SECRET)})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == room
    assert client.get(room).status_code == HTTPStatus.OK


def test_a_password_step_up_does_not_count(world, password):
    room = reverse("privacy:room", args=[world.room.pk])
    client = password_only(world.member)
    response = client.post(
        f"{reverse('account_reauthenticate')}?{urlencode({'next': room})}",
        {"password": password},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert client.get(room)["Location"] == step_up_url(room)


def test_a_posted_message_waits_for_the_step_up_and_is_then_sent(world):
    post = reverse("privacy:post", args=[world.room.pk])
    client = password_only(world.member)
    response = client.post(post, {"body": "Na de stap met de code"})
    assert response["Location"] == step_up_url(post)
    assert not world.room.messages.filter(body="Na de stap met de code").exists()
    client.post(step_up_url(post), {"code": totp_now(TOTP_SECRET)})
    assert world.room.messages.filter(body="Na de stap met de code").exists()


def test_a_change_of_credentials_closes_the_room_until_the_next_code(world):
    room = reverse("privacy:room", args=[world.room.pk])
    client = strong_client(world.member)
    assert client.get(room).status_code == HTTPStatus.OK
    member = world.member
    member.email = "mirjam.nieuw@wijk.example"  # any change: password, address, second factor
    member.save()
    assert client.get(room)["Location"] == step_up_url(room)
    client.post(step_up_url(room), {"code": totp_now(TOTP_SECRET)})
    assert client.get(room).status_code == HTTPStatus.OK


@database_sync_to_async
def _password_only_cookie(user) -> str:
    return f"sessionid={password_only(user).cookies['sessionid'].value}"


@pytest.mark.django_db(transaction=True)
async def test_the_socket_also_wants_the_second_factor():
    world = await database_sync_to_async(build_world)()
    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"cookie", (await _password_only_cookie(world.member)).encode()),
    ]
    communicator = WebsocketCommunicator(
        application, f"/ws/cases/{world.room.pk}/", headers=headers
    )
    connected, _detail = await communicator.connect(timeout=5)
    assert not connected


@database_sync_to_async
def _strong_cookie(user) -> str:
    return f"sessionid={strong_client(user).cookies['sessionid'].value}"


@database_sync_to_async
def _change_address(user) -> None:
    user.email = "nieuw-adres@wijk.example"
    user.save()  # autocommit: rights_changed goes out at once


@pytest.mark.django_db(transaction=True)
async def test_a_change_of_credentials_closes_an_open_case_room_socket():
    world = await database_sync_to_async(build_world)()
    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"cookie", (await _strong_cookie(world.member)).encode()),
    ]
    communicator = WebsocketCommunicator(
        application, f"/ws/cases/{world.room.pk}/", headers=headers
    )
    connected, _detail = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(5))["type"] == "subscribed"
    await _change_address(world.member)
    frame = await communicator.receive_json_from(5)
    assert frame["type"] == "reauthentication.required"
    assert (await communicator.receive_output(5))["type"] == "websocket.close"
