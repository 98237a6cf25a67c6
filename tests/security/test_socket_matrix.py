"""The websocket half of the access matrix: every websocket route, every persona, every action.

Per persona in the order of ``PERSONAS``: ``refused`` (the connection is refused), ``-`` (no
connection to act on), or the reply to the action: ``ack``, ``subscribed``, ``synced``,
``unsubscribed``, ``pong``, or the code of the ``error`` frame. A refused action stores
nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.urls import URLPattern

from channels_app.models import Message, Reaction
from config.routing import websocket_urlpatterns
from tests.security.world import PERSONAS, World, build_world
from tests.servers import ROOT
from tests.websocket import connect

pytestmark = pytest.mark.django_db(transaction=True)

Frame = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Action:
    frame: Frame
    #: what each persona gets, in the order of PERSONAS
    expected: str


REFUSED = ("anonymous", "unverified", "privacy_officer")


def _room(world: World, target: str) -> int:
    return getattr(world, target).pk


def _message(world: World, target: str) -> int:
    return (world.message if target == "closed" else world.extra["direct_message"]).pk


ACTIONS: dict[str, Action] = {
    "ping": Action(lambda w: {"type": "ping"},
                   "refused refused pong pong pong pong pong refused pong"),
    "subscribe-closed": Action(
        lambda w: {"type": "subscribe", "room": _room(w, "closed")},
        "refused refused not_found subscribed subscribed not_found not_found refused not_found",
    ),
    "subscribe-direct": Action(
        lambda w: {"type": "subscribe", "room": _room(w, "direct")},
        "refused refused not_found subscribed not_found not_found not_found refused not_found",
    ),
    "send-closed": Action(
        lambda w: {"type": "send", "room": _room(w, "closed"), "body": "Hallo",
                   "client_id": str(uuid.uuid4())},
        "refused refused not_found ack ack not_found not_found refused not_found",
    ),
    "send-direct": Action(
        lambda w: {"type": "send", "room": _room(w, "direct"), "body": "Hallo",
                   "client_id": str(uuid.uuid4())},
        "refused refused not_found ack not_found not_found not_found refused not_found",
    ),
    "sync-closed": Action(
        lambda w: {"type": "sync", "room": _room(w, "closed"), "after": 0},
        "refused refused not_found synced synced not_found not_found refused not_found",
    ),
    "sync-direct": Action(
        lambda w: {"type": "sync", "room": _room(w, "direct"), "after": 0},
        "refused refused not_found synced not_found not_found not_found refused not_found",
    ),
    "edit-closed": Action(
        lambda w: {"type": "edit", "id": _message(w, "closed"), "body": "Gewijzigd"},
        "refused refused not_found ack not_found not_found not_found refused not_found",
    ),
    "react-closed": Action(
        lambda w: {"type": "react", "id": _message(w, "closed"), "emoji": "👍"},
        "refused refused not_found ack ack not_found not_found refused not_found",
    ),
    "react-direct": Action(
        lambda w: {"type": "react", "id": _message(w, "direct"), "emoji": "👍"},
        "refused refused not_found ack not_found not_found not_found refused not_found",
    ),
    "delete-direct": Action(
        lambda w: {"type": "delete", "id": _message(w, "direct")},
        "refused refused not_found not_found not_found not_found not_found refused not_found",
    ),
    "typing-closed": Action(
        lambda w: {"type": "typing", "room": _room(w, "closed")},
        "refused refused not_subscribed not_subscribed not_subscribed not_subscribed "
        "not_subscribed refused not_subscribed",
    ),
    "unsubscribe-closed": Action(
        lambda w: {"type": "unsubscribe", "room": _room(w, "closed")},
        "refused refused unsubscribed unsubscribed unsubscribed unsubscribed unsubscribed "
        "refused unsubscribed",
    ),
}  # fmt: skip

#: every websocket route and the actions tried on it
SOCKET_ROUTES: dict[str, tuple[str, list[str]]] = {
    "ws/": ("/ws/", list(ACTIONS)),
}


#: websocket routes whose matrix lives beside their app (the case rooms need MFA)
DELEGATED = {"ws/cases/<int:room_id>/": ("tests/privacy/test_case_socket.py", "/ws/cases/")}


def test_every_websocket_route_is_in_the_matrix():
    routes = {
        str(route.pattern) for route in websocket_urlpatterns if isinstance(route, URLPattern)
    }
    for route, (matrix, path) in DELEGATED.items():
        assert path in (ROOT / matrix).read_text(), f"{route} not in {matrix}"
    assert routes - set(DELEGATED) == set(SOCKET_ROUTES)


def _stored() -> tuple[int, int, int]:
    return (
        Message.objects.count(),
        Message.objects.filter(edited_at__isnull=False).count(),
        Reaction.objects.count(),
    )


async def _reply(communicator, ref: str) -> str:
    while True:
        frame = json.loads(await communicator.receive_from(timeout=5))
        if frame.get("ref") == ref:
            return frame["code"] if frame["type"] == "error" else frame["type"]


@pytest.mark.parametrize("action", list(ACTIONS))
async def test_socket_access(action):
    world = await database_sync_to_async(build_world)()
    path, _actions = SOCKET_ROUTES["ws/"]
    expected = ACTIONS[action].expected.split()
    got = []
    for persona, wanted in zip(PERSONAS, expected, strict=True):
        communicator, connected, _detail = await connect(path, world.users[persona])
        if not connected:
            got.append("refused")
            continue
        try:
            before = await database_sync_to_async(_stored)()
            ref = str(uuid.uuid4())
            await communicator.send_to(
                text_data=json.dumps({**ACTIONS[action].frame(world), "ref": ref})
            )
            got.append(await _reply(communicator, ref))
            if wanted not in {"ack"}:
                assert await database_sync_to_async(_stored)() == before, persona
        finally:
            await communicator.disconnect()
    assert got == expected, f"{action}: got {got}"
