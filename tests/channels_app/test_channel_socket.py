"""The channel protocol over the websocket: owner, member, outsider; nothing lost.

Superusers and staff are outsiders too: a platform administrator's status opens no room.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels.db import database_sync_to_async

from channels_app import services
from channels_app.models import Membership, Message, Notification, Reaction
from tests.factories import ProfessionalFactory, SuperuserFactory, UserFactory
from tests.websocket import connect

pytestmark = pytest.mark.django_db(transaction=True)


async def receive_until(communicator, frame_type: str, timeout: float = 5) -> dict:
    """Skip presence and other side frames until ``frame_type`` arrives."""
    while True:
        frame = await communicator.receive_json_from(timeout)
        if frame["type"] == frame_type:
            return frame


async def subscribed(user, room_id: int):
    communicator, connected, _ = await connect("/ws/", user)
    assert connected
    await communicator.send_json_to({"type": "subscribe", "room": room_id, "ref": "s"})
    answer = await receive_until(communicator, "subscribed")
    assert answer["room"] == room_id
    return communicator


async def test_a_message_is_acknowledged_stored_and_delivered_to_members(closed_room):
    room = closed_room
    owner = await subscribed(room.owner, room.channel.pk)
    member = await subscribed(room.member, room.channel.pk)
    client_id = str(uuid.uuid4())
    await owner.send_json_to(
        {"type": "send", "room": room.channel.pk, "body": "Hallo *team*", "client_id": client_id,
         "ref": "1"}
    )  # fmt: skip
    ack = await receive_until(owner, "ack")
    assert ack["ref"] == "1" and ack["client_id"] == client_id and ack["seq"] == 1
    delivered = await receive_until(member, "message.created")
    assert delivered["id"] == ack["id"]
    assert delivered["html"].strip() == "<p>Hallo <em>team</em></p>"
    assert delivered["author"]["name"] == "Olga Eigenaar"
    stored = await database_sync_to_async(Message.objects.get)(pk=ack["id"])
    assert stored.body == "Hallo *team*"
    await owner.disconnect()
    await member.disconnect()


async def test_a_retried_send_stores_one_message_and_acks_the_same_id(closed_room):
    room = closed_room
    owner = await subscribed(room.owner, room.channel.pk)
    frame = {
        "type": "send",
        "room": room.channel.pk,
        "body": "Eén keer",
        "client_id": str(uuid.uuid4()),
    }
    await owner.send_json_to(frame)
    first = await receive_until(owner, "ack")
    await owner.send_json_to(frame)
    second = await receive_until(owner, "ack")
    assert first["id"] == second["id"]
    count = await database_sync_to_async(Message.objects.filter(body="Eén keer").count)()
    assert count == 1
    await owner.disconnect()


async def test_outsiders_and_unverified_users_cannot_subscribe_or_send(closed_room):
    room = closed_room
    outsider, connected, _ = await connect("/ws/", room.outsider)
    assert connected
    await outsider.send_json_to({"type": "subscribe", "room": room.channel.pk})
    assert (await receive_until(outsider, "error"))["code"] == "not_found"
    await outsider.send_json_to({"type": "send", "room": room.channel.pk, "body": "Binnen?"})
    assert (await receive_until(outsider, "error"))["code"] == "not_found"
    await outsider.send_json_to({"type": "sync", "room": room.channel.pk, "after": 0})
    assert (await receive_until(outsider, "error"))["code"] == "not_found"
    # a room that does not exist looks exactly the same
    await outsider.send_json_to({"type": "subscribe", "room": 987654})
    assert (await receive_until(outsider, "error"))["code"] == "not_found"
    assert not await database_sync_to_async(Message.objects.exists)()
    await outsider.disconnect()
    _, connected, _ = await connect("/ws/", room.unverified)
    assert not connected


async def test_sync_replays_what_a_client_missed(closed_room):
    room = closed_room
    for n in range(5):
        await database_sync_to_async(services.post_message)(
            room.channel.pk, author=room.owner, body=f"Bericht {n}"
        )
    member = await subscribed(room.member, room.channel.pk)
    await member.send_json_to({"type": "sync", "room": room.channel.pk, "after": 2, "ref": "r"})
    replayed = [await receive_until(member, "message.created") for _ in range(3)]
    assert [f["seq"] for f in replayed] == [3, 4, 5]
    done = await receive_until(member, "synced")
    assert done == {
        "type": "synced",
        "ref": "r",
        "room": room.channel.pk,
        "last_seq": 5,
        "more": False,
    }
    await member.disconnect()


async def test_a_removed_member_stops_receiving_at_once(closed_room):
    room = closed_room
    member = await subscribed(room.member, room.channel.pk)
    await database_sync_to_async(services.remove_member)(
        room.channel, by=room.owner, user=room.member
    )
    removed = await receive_until(member, "membership.removed")
    assert removed["room"] == room.channel.pk
    await database_sync_to_async(services.post_message)(
        room.channel.pk, author=room.owner, body="Na het verwijderen"
    )
    await asyncio.sleep(0.3)
    while not await member.receive_nothing(0.2):
        frame = await member.receive_json_from()
        assert frame["type"] != "message.created", frame
    await member.send_json_to({"type": "send", "room": room.channel.pk, "body": "Nog hier?"})
    assert (await receive_until(member, "error"))["code"] == "not_found"
    await member.disconnect()


async def test_bad_sends_get_error_frames_and_store_nothing(closed_room, settings):
    room = closed_room
    owner = await subscribed(room.owner, room.channel.pk)
    cases = [
        ({"type": "send", "room": room.channel.pk, "body": ""}, "invalid"),
        ({"type": "send", "room": room.channel.pk, "body": "x" * 4001}, "invalid"),
        ({"type": "send", "room": room.channel.pk, "body": "x", "client_id": "nope"}, "invalid"),
        ({"type": "send", "room": "1", "body": "x"}, "bad_frame"),
        ({"type": "send", "room": room.channel.pk, "body": "x", "parent": 424242}, "invalid"),
        ({"type": "edit", "id": 424242, "body": "x"}, "not_found"),
        ({"type": "react", "id": "x", "emoji": "👍"}, "bad_frame"),
    ]
    for frame, code in cases:
        await owner.send_json_to(frame)
        error = await receive_until(owner, "error")
        assert error["code"] == code, (frame, error)
        assert error["message"]
    assert not await database_sync_to_async(Message.objects.exists)()
    await owner.disconnect()


async def test_the_rate_limit_answers_with_an_error_frame(closed_room, settings):
    settings.MESSAGE_RATE_LIMIT = (3, 60)
    room = closed_room
    owner = await subscribed(room.owner, room.channel.pk)
    codes = []
    for n in range(5):
        await owner.send_json_to({"type": "send", "room": room.channel.pk, "body": f"snel {n}"})
        frame = await owner.receive_json_from()
        while frame["type"] not in {"ack", "error"}:
            frame = await owner.receive_json_from()
        codes.append(frame.get("code", "ack"))
    assert codes == ["ack", "ack", "ack", "rate_limited", "rate_limited"]
    assert await database_sync_to_async(Message.objects.count)() == 3
    await owner.disconnect()


async def test_a_send_to_a_room_that_does_not_exist_or_is_closed_to_you_spends_nothing(
    closed_room, settings
):
    """``not_found``, the socket stays open, and the rate limit counts only real posts."""
    settings.MESSAGE_RATE_LIMIT = (2, 60)
    room = closed_room
    owner = await subscribed(room.owner, room.channel.pk)
    outsider_room = await database_sync_to_async(services.create_channel)(
        by=room.outsider, kind="closed", name="Elders"
    )
    for target in (987654, outsider_room.pk, 987655, outsider_room.pk):
        await owner.send_json_to({"type": "send", "room": target, "body": "Hallo", "ref": "x"})
        error = await receive_until(owner, "error")
        assert (error["code"], error["ref"]) == ("not_found", "x")
    for n in range(2):
        await owner.send_json_to({"type": "send", "room": room.channel.pk, "body": f"Echt {n}"})
        await receive_until(owner, "ack")
    await owner.send_json_to({"type": "send", "room": room.channel.pk, "body": "Te veel"})
    assert (await receive_until(owner, "error"))["code"] == "rate_limited"
    assert await database_sync_to_async(Message.objects.count)() == 2
    await owner.disconnect()


async def test_edit_delete_react_reach_other_members(closed_room):
    room = closed_room
    owner = await subscribed(room.owner, room.channel.pk)
    member = await subscribed(room.member, room.channel.pk)
    await owner.send_json_to({"type": "send", "room": room.channel.pk, "body": "Eerste versie"})
    message_id = (await receive_until(owner, "ack"))["id"]
    await owner.send_json_to({"type": "edit", "id": message_id, "body": "Tweede versie"})
    updated = await receive_until(member, "message.updated")
    assert updated["edited"] and updated["body"] == "Tweede versie"
    await member.send_json_to({"type": "react", "id": message_id, "emoji": "👍"})
    reaction = await receive_until(owner, "reaction")
    assert reaction["reactions"] == {"👍": [room.member.pk]}
    # a member cannot edit someone else's message
    await member.send_json_to({"type": "edit", "id": message_id, "body": "Gekaapt"})
    assert (await receive_until(member, "error"))["code"] == "not_found"
    await owner.send_json_to({"type": "delete", "id": message_id})
    deleted = await receive_until(member, "message.deleted")
    assert deleted["deleted"] and deleted["html"] == "" and deleted["body"] == ""
    await owner.disconnect()
    await member.disconnect()


async def test_typing_goes_to_the_room(closed_room):
    room = closed_room
    owner = await subscribed(room.owner, room.channel.pk)
    member = await subscribed(room.member, room.channel.pk)
    await owner.send_json_to({"type": "typing", "room": room.channel.pk})
    typing = await receive_until(member, "typing")
    assert typing["user"]["name"] == "Olga Eigenaar"
    assert typing["parent"] is None
    # in a thread: the frame names it, so that the thread shows it and the channel does not
    await owner.send_json_to({"type": "typing", "room": room.channel.pk, "parent": 7})
    typing = await receive_until(member, "typing")
    assert typing["parent"] == 7
    await owner.send_json_to({"type": "typing", "room": room.channel.pk, "parent": "7"})
    error = await receive_until(owner, "error")
    assert error["code"] == "bad_frame"
    await owner.disconnect()
    await member.disconnect()


async def test_sync_returns_edits_deletions_and_reactions_made_while_away(closed_room):
    room = closed_room
    post = database_sync_to_async(services.post_message)
    first, _ = await post(room.channel.pk, author=room.owner, body="Eerste versie")
    doomed, _ = await post(room.channel.pk, author=room.owner, body="Dit gaat weg")
    liked, _ = await post(room.channel.pk, author=room.owner, body="Goed idee")
    untouched, _ = await post(room.channel.pk, author=room.owner, body="Blijft zo")

    @database_sync_to_async
    def last_change() -> int:
        room.channel.refresh_from_db()
        return room.channel.last_change

    # The member saw everything up to here, then lost the connection.
    seen_seq, seen_change = untouched.seq, await last_change()
    await database_sync_to_async(services.edit_message)(first, by=room.owner, body="Tweede versie")
    await database_sync_to_async(services.delete_message)(doomed, by=room.owner)
    await database_sync_to_async(services.toggle_reaction)(liked, by=room.owner, emoji="👍")
    new, _ = await post(room.channel.pk, author=room.owner, body="Nieuw bericht")

    member = await subscribed(room.member, room.channel.pk)
    await member.send_json_to({
        "type": "sync", "room": room.channel.pk, "after": seen_seq,
        "changes_after": seen_change, "ref": "r",
    })  # fmt: skip
    frames = []
    while not frames or frames[-1]["type"] != "synced":
        frame = await member.receive_json_from(5)
        if frame["type"] != "presence":
            frames.append(frame)
    await member.disconnect()

    *changes, done = frames
    assert [(f["type"], f["id"]) for f in changes] == [
        ("message.updated", first.pk), ("reaction", first.pk),
        ("message.deleted", doomed.pk), ("reaction", doomed.pk),
        ("message.updated", liked.pk), ("reaction", liked.pk),
        ("message.created", new.pk),
    ]  # fmt: skip
    assert changes[0]["body"] == "Tweede versie" and changes[0]["edited"]
    assert changes[2]["deleted"] and changes[2]["body"] == "" and changes[2]["html"] == ""
    assert changes[5]["reactions"] == {"👍": [room.owner.pk]}
    assert changes[1]["reactions"] == {} and changes[3]["reactions"] == {}
    assert untouched.pk not in {f["id"] for f in changes}
    current = await last_change()
    assert done == {
        "type": "synced", "ref": "r", "room": room.channel.pk, "last_seq": new.seq,
        "last_change": current, "more": False,
    }  # fmt: skip
    # Every change numbers the frame that announced it, in order.
    numbers = [f["change"] for f in changes]
    assert numbers == sorted(numbers) and numbers[-1] == current


async def test_sync_of_changes_comes_in_batches(closed_room, monkeypatch):
    monkeypatch.setattr(services.CHANNELS, "sync_batch", 2)
    room = closed_room
    for n in range(3):
        await database_sync_to_async(services.post_message)(
            room.channel.pk, author=room.owner, body=f"Bericht {n}"
        )
    member = await subscribed(room.member, room.channel.pk)
    await member.send_json_to(
        {"type": "sync", "room": room.channel.pk, "after": 0, "changes_after": 0}
    )
    first = [await receive_until(member, "message.created") for _ in range(2)]
    batch = await receive_until(member, "synced")
    assert batch["more"] and batch["last_change"] == first[-1]["change"]
    await member.send_json_to({
        "type": "sync", "room": room.channel.pk, "after": 0,
        "changes_after": batch["last_change"],
    })  # fmt: skip
    rest = await receive_until(member, "message.created")
    done = await receive_until(member, "synced")
    assert [f["body"] for f in [*first, rest]] == ["Bericht 0", "Bericht 1", "Bericht 2"]
    assert not done["more"]
    await member.disconnect()


async def test_subscribed_tells_the_counts_behind_the_unread_badges(closed_room):
    """Messages past the read marker, and the mentions among them that are not deleted."""
    room = closed_room
    name = room.member.display_name

    def post_three() -> None:
        services.post_message(room.channel.pk, author=room.owner, body="Even voorstellen")
        services.post_message(room.channel.pk, author=room.owner, body=f"@{name} kun jij dit?")
        deleted, _ = services.post_message(room.channel.pk, author=room.owner, body=f"@{name} ?")
        services.delete_message(deleted, by=room.owner)

    await database_sync_to_async(post_three)()
    communicator, connected, _ = await connect("/ws/", room.member)
    assert connected
    await communicator.send_json_to({"type": "subscribe", "room": room.channel.pk})
    answer = await receive_until(communicator, "subscribed")
    assert (answer["last_seq"], answer["last_read_seq"], answer["unread_mentions"]) == (3, 0, 1)

    await communicator.send_json_to({"type": "read", "room": room.channel.pk, "seq": 3})
    assert (await receive_until(communicator, "read"))["seq"] == 3
    await communicator.send_json_to({"type": "subscribe", "room": room.channel.pk})
    answer = await receive_until(communicator, "subscribed")
    assert (answer["last_read_seq"], answer["unread_mentions"]) == (3, 0)
    await communicator.disconnect()


async def test_a_mention_reaches_only_the_mentioned_persons_sockets(closed_room):
    """The notification frame carries what the notifications page shows of it."""
    room = closed_room
    sockets = {}
    for name, user in [("member", room.member), ("owner", room.owner), ("outsider", room.outsider)]:
        sockets[name], connected, _ = await connect("/ws/", user)
        assert connected
    await database_sync_to_async(services.post_message)(
        room.channel.pk, author=room.owner, body=f"@{room.member.display_name} kijk je even mee?"
    )
    frame = await receive_until(sockets["member"], "notification")
    stored = await database_sync_to_async(
        lambda: Notification.objects.get(user=room.member, kind="mention")
    )()
    assert frame == {
        "type": "notification",
        "id": stored.pk,
        "kind": "mention",
        "room": room.channel.pk,
        "message": stored.message_id,
        "actor": "Olga Eigenaar",
        "channel": "Samen Heerlen Gezond",
        "created_at": stored.created_at.isoformat(timespec="milliseconds"),
    }
    for name in ("owner", "outsider"):  # the author is not notified, an outsider hears nothing
        while not await sockets[name].receive_nothing(timeout=1):
            assert (await sockets[name].receive_json_from())["type"] != "notification"
    for socket in sockets.values():
        await socket.disconnect()


# ---- superusers and staff: their status opens no room -------------------------------------


@pytest.fixture(params=["superuser", "staff"])
def privileged(request, db):
    """The seeded platform administrator (superuser and staff), or a verified staff member."""
    if request.param == "superuser":
        return SuperuserFactory(display_name="Sara Superuser")
    return ProfessionalFactory(user=UserFactory(display_name="Stan Staff", is_staff=True)).user


async def _error_code(communicator, frame: dict) -> str:
    """The answer to ``frame``: an error's code or the frame's type; no message on the way."""
    await communicator.send_json_to({**frame, "ref": "x"})
    while True:
        answer = await communicator.receive_json_from(5)
        assert not answer["type"].startswith("message."), answer
        assert answer["type"] not in {"reaction", "typing"}, answer
        if answer.get("ref") == "x":
            return answer["code"] if answer["type"] == "error" else answer["type"]


async def test_superusers_and_staff_cannot_subscribe_sync_or_act_in_rooms_they_are_not_in(
    closed_room, privileged
):
    room = closed_room

    def rooms() -> list[tuple[int, int]]:
        direct = services.direct_channel(by=room.owner, others=[room.member])
        found = []
        for channel in (room.channel, direct):
            message, _ = services.post_message(channel.pk, author=room.owner, body="Vertrouwelijk")
            services.toggle_reaction(message, by=room.owner, emoji="👍")
            found.append((channel.pk, message.pk))
        return found

    targets = await database_sync_to_async(rooms)()
    communicator, connected, _ = await connect("/ws/", privileged)
    assert connected  # verified: the socket opens, for the rooms they are in
    for room_id, message_id in targets:
        for frame in (
            {"type": "subscribe", "room": room_id},
            {"type": "sync", "room": room_id, "after": 0},
            {"type": "sync", "room": room_id, "after": 0, "changes_after": 0},
            {"type": "send", "room": room_id, "body": "Beheer", "client_id": str(uuid.uuid4())},
            {"type": "read", "room": room_id, "seq": 1},
            {"type": "edit", "id": message_id, "body": "Gewijzigd"},
            {"type": "react", "id": message_id, "emoji": "👍"},
            {"type": "delete", "id": message_id},
        ):
            assert await _error_code(communicator, frame) == "not_found", frame
        typing = {"type": "typing", "room": room_id}
        assert await _error_code(communicator, typing) == "not_subscribed"
    # not in the rooms' groups: what is said there does not reach this socket
    for room_id, _message_id in targets:
        await database_sync_to_async(services.post_message)(
            room_id, author=room.owner, body="Na de poging"
        )
    while not await communicator.receive_nothing(timeout=0.5):
        frame = await communicator.receive_json_from()
        assert not frame["type"].startswith("message."), frame

    def stored() -> tuple[int, int, int, int]:
        return (
            Message.objects.filter(author=privileged).count(),
            Message.objects.exclude(edited_at=None, deleted_at=None).count(),
            Reaction.objects.filter(user=privileged).count(),
            Membership.objects.filter(user=privileged).count(),
        )

    assert await database_sync_to_async(stored)() == (0, 0, 0, 0)
    await communicator.disconnect()


async def test_a_superuser_member_subscribes_with_the_rights_of_their_role(closed_room):
    room = closed_room

    def superuser_member():
        superuser = SuperuserFactory(display_name="Sara Superuser")
        services._add_member(room.channel, superuser, Membership.Role.MEMBER)
        services.post_message(room.channel.pk, author=room.owner, body="Welkom")
        return superuser

    superuser = await database_sync_to_async(superuser_member)()
    communicator, connected, _ = await connect("/ws/", superuser)
    assert connected
    await communicator.send_json_to({"type": "subscribe", "room": room.channel.pk})
    answer = await receive_until(communicator, "subscribed")
    assert (answer["can_post"], answer["can_moderate"]) == (True, False)
    await communicator.send_json_to({"type": "sync", "room": room.channel.pk, "after": 0})
    assert (await receive_until(communicator, "message.created"))["body"] == "Welkom"
    await communicator.disconnect()


async def test_one_subscribe_frame_follows_many_rooms_and_names_those_it_may_not(closed_room):
    """The sidebar's rooms in one frame: a ``subscribed`` per readable room with its own counts,
    one ``not_found`` error naming the others, and broadcasts only from the rooms followed."""
    room = closed_room
    name = room.member.display_name

    def make_rooms() -> tuple[int, int, int]:
        open_channel = services.create_channel(by=room.outsider, kind="open", name="Wijk Noord")
        other_closed = services.create_channel(by=room.outsider, kind="closed", name="Alleen Otto")
        direct = services.direct_channel(by=room.owner, others=[room.outsider])
        services.post_message(room.channel.pk, author=room.owner, body=f"@{name} kijk je mee?")
        services.post_message(room.channel.pk, author=room.owner, body=f"@{name} en dit?")
        services.post_message(open_channel.pk, author=room.outsider, body="Welkom allemaal")
        return open_channel.pk, other_closed.pk, direct.pk

    open_id, other_closed_id, direct_id = await database_sync_to_async(make_rooms)()
    member, connected, _ = await connect("/ws/", room.member)
    assert connected
    asked = [room.channel.pk, open_id, other_closed_id, direct_id, 987654, 0, open_id]
    await member.send_json_to({"type": "subscribe", "rooms": asked, "ref": "follow-1"})
    answers = [await receive_until(member, "subscribed") for _ in range(2)]
    states = {a["room"]: (a["last_seq"], a["unread_mentions"], a["can_post"]) for a in answers}
    assert states == {room.channel.pk: (2, 2, True), open_id: (1, 0, False)}
    assert {a["ref"] for a in answers} == {"follow-1"}
    error = await receive_until(member, "error")
    assert error["code"] == "not_found" and error["ref"] == "follow-1"
    assert error["rooms"] == sorted([other_closed_id, direct_id, 987654, 0])

    # the rooms followed deliver, the others do not
    def post_everywhere() -> None:
        services.post_message(other_closed_id, author=room.outsider, body="Niet voor Mark")
        services.post_message(direct_id, author=room.owner, body="Tussen ons")
        services.post_message(open_id, author=room.outsider, body="Voor iedereen")

    await database_sync_to_async(post_everywhere)()
    created = await receive_until(member, "message.created")
    assert created["room"] == open_id
    assert await member.receive_nothing(0.5)
    await member.disconnect()


@pytest.mark.parametrize(
    "rooms",
    [[], "1", [1, "2"], [True], [1.5], list(range(1, 502)), None],
    ids=["empty", "text", "a-text", "bool", "float", "too-many", "null"],
)
async def test_a_bad_list_of_rooms_is_refused_and_follows_nothing(closed_room, rooms):
    room = closed_room
    member, connected, _ = await connect("/ws/", room.member)
    assert connected
    await member.send_json_to({"type": "subscribe", "rooms": rooms, "ref": "r"})
    error = await receive_until(member, "error")
    assert (error["code"], error["ref"]) == ("bad_frame", "r")
    await database_sync_to_async(services.post_message)(
        room.channel.pk, author=room.owner, body="Hoort Mark dit?"
    )
    assert await member.receive_nothing(0.5)
    # the socket stays open and answers the next frame
    await member.send_json_to({"type": "subscribe", "rooms": [room.channel.pk]})
    assert (await receive_until(member, "subscribed"))["room"] == room.channel.pk
    await member.disconnect()
