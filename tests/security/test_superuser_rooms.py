"""The superuser rows of the access matrices: case rooms, their socket, every ``/ws/`` frame.

The persona is the platform administrator as ``seed_demo`` makes one: the role, staff and
superuser. Django grants a superuser every model permission; superuser status must grant no
access to direct messages, closed channels or case rooms (DESIGN.md, "Revocation and
administrators"). The HTTP routes of direct conversations and closed channels have their
superuser column in ``test_access_matrix.py``.
"""

from __future__ import annotations

import json
import uuid
from http import HTTPStatus

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import reverse

from privacy import audit
from privacy import services as case_services
from privacy.models import AccessLogEntry, CaseRoom
from tests.factories import SuperuserFactory
from tests.privacy.fixtures import CaseRoomWorld, strong_client, with_mfa
from tests.privacy.test_case_socket import open_socket
from tests.security import test_socket_matrix as socket_matrix
from tests.security.routes import named_routes
from tests.security.world import PERSONAS, build_world
from tests.websocket import connect


def _superuser():
    return with_mfa(SuperuserFactory(display_name="Sara Superuser"))


# ---- case rooms over HTTP ----------------------------------------------------------------------


def _case_routes(world: CaseRoomWorld) -> dict[str, tuple[dict, dict]]:
    """Each room route's arguments and what is posted to it (enough to change something if it
    were let through), about a message with a file and a goal in the world's room."""
    pdf = SimpleUploadedFile("verslag.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    message, _created = case_services.post_message(
        world.room.pk, author=world.coordinator, body="Verslag huisbezoek", uploads=[pdf]
    )
    goal = case_services.add_goal(world.room, by=world.coordinator, title="Rust in de financiën")
    return {
        "room": ({}, {}),
        "post": ({}, {"body": "Van de beheerder"}),
        "file": ({"file_id": message.files.get().pk}, {}),
        "search": ({}, {"q": "verslag"}),
        "members": ({}, {"user": world.outsider.pk}),
        "remove_member": ({"user_id": world.member.pk}, {}),
        "join": ({}, {"decision": "accept"}),
        "consent": ({}, {}),
        "withdraw_consent": ({}, {}),
        "settings": ({}, {}),
        "close": ({}, {}),
        "plan": ({}, {"form": "goal", "title": "Doel van de beheerder"}),
        "plan_status": ({"kind": "goal", "item_id": goal.pk}, {"status": "done"}),
        "plan_edit": ({"kind": "goal", "item_id": goal.pk}, {"title": "Doel van de beheerder"}),
        "plan_remove": ({"kind": "goal", "item_id": goal.pk}, {}),
        "health": ({}, {}),
        "log": ({}, {}),
        "report": ({}, {}),
        "report_csv": ({}, {}),
    }


#: the case-room routes about one room (those with a ``pk``)
ROOM_ROUTES = sorted(
    name.removeprefix("privacy:")
    for name, pattern in named_routes().items()
    if name.startswith("privacy:") and "<int:pk>" in pattern
)


def _written() -> dict[str, int]:
    """Rows inserted, updated or deleted so far per table, but for the access log (refusals on
    a real room are logged) and the sessions."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables "
            "WHERE relname <> 'django_session' AND relname <> ALL(%s)",
            [list(audit.LOG_TABLES)],
        )
        return dict(cursor.fetchall())


@pytest.mark.django_db
def test_every_case_room_route_is_tried(world):
    assert sorted(_case_routes(world)) == ROOM_ROUTES


@pytest.mark.django_db
@pytest.mark.parametrize("name", ROOM_ROUTES)
def test_a_superuser_outside_a_case_room_gets_404_and_changes_nothing(
    world, settings, tmp_path, name
):
    settings.MEDIA_ROOT = tmp_path
    kwargs, posted = _case_routes(world)[name]
    superuser = _superuser()
    client = strong_client(superuser)
    url = reverse(f"privacy:{name}", kwargs={"pk": world.room.pk, **kwargs})
    for method in ("get", "post"):
        with transaction.atomic():
            before = _written()
            response = client.get(url) if method == "get" else client.post(url, posted)
            assert response.status_code == HTTPStatus.NOT_FOUND, (method, url)
            assert world.room.pseudonym.encode() not in response.content
            assert _written() == before, f"{method.upper()} {url} changed something"
    refused = AccessLogEntry.objects.filter(user_id_ref=superuser.pk, room_id_ref=world.room.pk)
    assert refused.count() == 2 and {e.outcome for e in refused} == {"denied"}
    assert CaseRoom.objects.get(pk=world.room.pk).status == "open"


@pytest.mark.django_db
def test_the_case_room_list_shows_a_superuser_no_room_of_others(world):
    client = strong_client(_superuser())
    response = client.get(reverse("privacy:index"))
    assert response.status_code == HTTPStatus.OK
    assert world.room.pseudonym.encode() not in response.content
    all_logs = client.get(reverse("privacy:all_logs"))
    assert all_logs.status_code == HTTPStatus.NOT_FOUND


# ---- sockets ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_case_room_socket_is_refused_to_a_superuser(world):
    superuser = await database_sync_to_async(_superuser)()
    communicator, connected = await open_socket(superuser, world.room.pk)
    assert not connected
    await communicator.disconnect()


async def _reply(communicator, ref: str) -> str:
    """The answer to the frame sent with ``ref``; no room content may come before it."""
    while True:
        frame = json.loads(await communicator.receive_from(timeout=5))
        if frame.get("ref") == ref:
            return frame["code"] if frame["type"] == "error" else frame["type"]
        assert not frame["type"].startswith("message."), frame
        assert frame["type"] not in {"reaction", "typing", "notification"}, frame


@pytest.mark.django_db(transaction=True)
async def test_every_frame_of_the_socket_matrix_gives_a_superuser_what_the_administrator_gets():
    """The ``/ws/`` matrix's superuser row: as the platform administrator, an outsider."""
    world = await database_sync_to_async(build_world)()
    superuser = await database_sync_to_async(_superuser)()
    admin = PERSONAS.index("admin")
    expected, got, changed = {}, {}, []
    for name, action in socket_matrix.ACTIONS.items():
        expected[name] = action.expected.split()[admin]
        communicator, connected, _detail = await connect("/ws/", superuser)
        assert connected
        try:
            before = await database_sync_to_async(socket_matrix._stored)()
            ref = str(uuid.uuid4())
            await communicator.send_to(text_data=json.dumps({**action.frame(world), "ref": ref}))
            got[name] = await _reply(communicator, ref)
            if await database_sync_to_async(socket_matrix._stored)() != before:
                changed.append(name)
        finally:
            await communicator.disconnect()
    assert got == expected
    assert changed == [], "refused, yet stored"
    in_rooms = {code for name, code in got.items() if "closed" in name or "direct" in name}
    assert in_rooms <= {"not_found", "not_subscribed", "unsubscribed"}
