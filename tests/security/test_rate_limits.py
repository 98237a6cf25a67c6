"""Rate limits: guessing passwords and flooding a channel are stopped, with a clear answer.

- Sign-in: after five wrong passwords for one account, even the right password is refused
  for a while, with a message; other accounts can still sign in.
- Messages: past the per-user limit, websocket sends get ``rate_limited`` error frames and the
  form post a message; nothing over the limit is stored, the socket stays open, the limit is
  shared by all of the person's sockets and pages (it is counted in the shared cache), and
  other people can go on posting.
"""

from __future__ import annotations

import uuid
from http import HTTPStatus

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse

from channels_app import services
from channels_app.models import Message
from tests.factories import ProfessionalFactory, UserFactory
from tests.websocket import connect

PASSWORD = "Correct-horse-battery-9"  # what tests.factories.UserFactory sets
LIMIT = 3


@pytest.fixture
def tight_limit(settings):
    # a window of an hour: the test never straddles two windows in practice
    settings.MESSAGE_RATE_LIMIT = (LIMIT, 3600)


# ---- sign-in --------------------------------------------------------------------------------


def _sign_in(client: Client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


@pytest.mark.django_db
def test_repeated_wrong_passwords_block_the_account_for_a_while():
    victim = UserFactory(email="doelwit@wijk.example")
    bystander = UserFactory(email="collega@wijk.example")
    client = Client()
    for _attempt in range(5):
        response = _sign_in(client, victim.email, "raden-maar-1")
        assert response.status_code == HTTPStatus.OK
        assert "_auth_user_id" not in client.session

    response = _sign_in(client, victim.email, PASSWORD)
    assert response.status_code == HTTPStatus.OK, "the right password got through the limit"
    assert "_auth_user_id" not in client.session
    errors = response.context["form"].non_field_errors()
    assert "Te veel inlogpogingen. Probeer het later nogmaals." in errors

    # another account, from the same address, is not locked out
    response = _sign_in(Client(), bystander.email, PASSWORD)
    assert response.status_code == HTTPStatus.FOUND


# ---- messages -------------------------------------------------------------------------------


def _room():
    owner = ProfessionalFactory().user
    colleague = ProfessionalFactory().user
    channel = services.create_channel(by=owner, kind="open", name="Wijk Nieuw Lotbroek")
    services.join(channel, colleague)
    return channel, owner, colleague


async def _send(communicator, room: int, body: str, client_id: str | None = None) -> dict:
    await communicator.send_json_to({
        "type": "send", "room": room, "body": body,
        "client_id": client_id or str(uuid.uuid4()), "ref": body,
    })  # fmt: skip
    while True:
        frame = await communicator.receive_json_from(timeout=5)
        if frame.get("ref") == body and frame["type"] in {"ack", "error"}:
            return frame


@pytest.mark.django_db(transaction=True)
async def test_a_flood_of_messages_is_refused_past_the_limit(tight_limit):
    channel, owner, colleague = await database_sync_to_async(_room)()
    first, connected, _ = await connect("/ws/", owner)
    assert connected
    second, connected, _ = await connect("/ws/", owner)  # another tab of the same person
    assert connected

    answers = [await _send(first, channel.pk, f"bericht {n}") for n in range(LIMIT - 1)]
    answers.append(await _send(second, channel.pk, f"bericht {LIMIT - 1}"))
    assert [a["type"] for a in answers] == ["ack"] * LIMIT
    retried_id = answers[0]["client_id"]

    for socket in (first, second):
        refused = await _send(socket, channel.pk, "nog eentje")
        assert refused["type"] == "error"
        assert refused["code"] == "rate_limited"
        assert refused["message"]

    # a retry of an acknowledged message is still answered, and stores nothing new
    retried = await _send(first, channel.pk, "bericht 0", client_id=retried_id)
    assert retried["type"] == "ack" and retried["id"] == answers[0]["id"]

    # the socket stays open
    await first.send_json_to({"type": "ping", "ref": "p"})
    while (await first.receive_json_from(timeout=5))["type"] != "pong":
        pass

    # the form post counts against the same limit
    client = Client()
    await database_sync_to_async(client.force_login)(owner)
    response = await database_sync_to_async(client.post)(
        reverse("channels_app:post", args=[channel.pk]), {"body": "via het formulier"}, follow=True
    )
    assert "Je verstuurt te snel berichten. Wacht even." in response.content.decode()

    # someone else is not held back
    other, connected, _ = await connect("/ws/", colleague)
    assert connected
    assert (await _send(other, channel.pk, "ik mag wel"))["type"] == "ack"

    bodies = await database_sync_to_async(
        lambda: sorted(Message.objects.filter(channel=channel).values_list("body", flat=True))
    )()
    assert bodies == sorted([f"bericht {n}" for n in range(LIMIT)] + ["ik mag wel"])
    for socket in (first, second, other):
        await socket.disconnect()
