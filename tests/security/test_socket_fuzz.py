"""Websocket frame fuzzing: whatever a client sends, the socket answers and stays open.

Hypothesis generates arbitrary text, binary data, JSON of any shape and frames of every type of
the protocol with one field made wrong (a wrong type, a number out of range, an unknown id, a
huge string). For each frame, on both ``/ws/`` and ``/ws/cases/<id>/``:

- the consumer answers with exactly one ``error`` frame that carries a code and a message, and
  never with ``internal_error`` (an unexpected exception on the server);
- the socket stays open: a ``ping`` sent after the frame gets its ``pong``;
- nothing is stored.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from channels_app import services as channel_services
from channels_app.models import Message, Reaction
from config.asgi import application
from privacy.models import CaseMessage
from tests.privacy.fixtures import build_world, strong_client

pytestmark = pytest.mark.django_db(transaction=True)

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: ids no test database reaches, and numbers outside every integer column
UNKNOWN_IDS = st.sampled_from([0, -1, 987_654_321, 2**31, 2**63, -(2**63) - 1, 10**30])
NOT_AN_INT = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
TOO_LONG = st.integers(4_001, 6_000).map(lambda n: "x" * n)
#: text PostgreSQL cannot store: a NUL, half of a UTF-16 pair (JSON's "\\ud800")
UNSTORABLE = st.sampled_from(["a\x00b", "\x00", "hallo \ud800", "\udfff wereld"])
NOT_A_STRING = st.one_of(
    st.none(), st.integers(), st.floats(), st.booleans(), st.lists(st.text(max_size=5), max_size=3)
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@dataclass
class Target:
    path: str
    user: Any
    cookie: str
    room: int
    message: int


# ---- frames ---------------------------------------------------------------------------------


def _frames_for_platform(room: int, message: int) -> st.SearchStrategy[dict[str, Any]]:
    """Frames of every type of ``/ws/`` with one field wrong."""
    valid_send = {"body": "Hallo", "client_id": str(uuid.uuid4())}
    return st.one_of(
        # the room: missing, not a number, or a room nobody can see
        st.builds(lambda t, r: {"type": t, "room": r},
                  st.sampled_from(["subscribe", "unsubscribe", "typing", "read", "sync", "send"]),
                  NOT_AN_INT),
        st.builds(lambda t, r: {"type": t, "room": r},
                  st.sampled_from(["subscribe", "read", "sync", "send"]), UNKNOWN_IDS),
        st.builds(lambda t: {"type": t}, st.sampled_from(["subscribe", "typing", "send", "sync"])),
        # typing in a room this socket did not subscribe to
        st.just({"type": "typing", "room": room}),
        # send: every field wrong in turn
        st.builds(lambda b: {"type": "send", "room": room, **valid_send, "body": b},
                  NOT_A_STRING | st.just("") | st.just("   ") | TOO_LONG | UNSTORABLE),
        st.builds(lambda c: {"type": "send", "room": room, **valid_send, "client_id": c},
                  NOT_A_STRING.filter(lambda v: v is not None)
                  | st.text(max_size=40).filter(lambda s: not _is_uuid(s))),
        st.builds(lambda p: {"type": "send", "room": room, **valid_send, "parent": p},
                  NOT_AN_INT.filter(lambda v: v is not None) | UNKNOWN_IDS),
        st.builds(lambda a: {"type": "send", "room": room, **valid_send, "attachments": a},
                  st.one_of(st.text(min_size=1, max_size=5), st.integers(),
                            st.lists(NOT_AN_INT | UNKNOWN_IDS, min_size=1, max_size=3))),
        # edit, delete, react: the message id, the body, the emoji
        st.builds(lambda t, i: {"type": t, "id": i, "body": "Nieuw", "emoji": "👍"},
                  st.sampled_from(["edit", "delete", "react"]), NOT_AN_INT | UNKNOWN_IDS),
        st.builds(lambda b: {"type": "edit", "id": message, "body": b},
                  NOT_A_STRING | st.just("") | TOO_LONG | UNSTORABLE),
        st.builds(lambda e: {"type": "react", "id": message, "emoji": e},
                  NOT_A_STRING | st.text(min_size=30, max_size=60)),
        # read and sync: the sequence numbers
        st.builds(lambda s: {"type": "read", "room": room, "seq": s},
                  NOT_AN_INT | st.sampled_from([-1, 2**63, 10**30])),
        st.builds(lambda a: {"type": "sync", "room": room, "after": a},
                  NOT_AN_INT.filter(lambda v: v is not None) | st.sampled_from([-1, -(2**70)])),
        st.builds(lambda c: {"type": "sync", "room": room, "after": 0, "changes_after": c},
                  NOT_AN_INT.filter(lambda v: v is not None) | st.sampled_from([-5])),
    )  # fmt: skip


def _frames_for_case_room() -> st.SearchStrategy[dict[str, Any]]:
    """Frames of every type of ``/ws/cases/<id>/`` with one field wrong."""
    valid_send = {"body": "Afspraak gemaakt", "client_id": str(uuid.uuid4())}
    return st.one_of(
        st.builds(lambda b: {"type": "send", **valid_send, "body": b},
                  NOT_A_STRING | st.just("") | TOO_LONG | UNSTORABLE),
        st.builds(lambda c: {"type": "send", **valid_send, "client_id": c},
                  NOT_A_STRING.filter(lambda v: v is not None)
                  | st.text(max_size=40).filter(lambda s: not _is_uuid(s))),
        st.builds(lambda a: {"type": "sync", "after": a},
                  NOT_AN_INT.filter(lambda v: v is not None) | st.sampled_from([-1, -(2**70)])),
        st.builds(lambda s: {"type": "read", "seq": s},
                  NOT_AN_INT | st.sampled_from([-1, 2**63, 10**30])),
        st.builds(lambda t: {"type": t, "room": 1}, st.sampled_from(["subscribe", "edit", "x"])),
    )  # fmt: skip


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def _json_objects_without_a_known_type() -> st.SearchStrategy[str]:
    known = {"ping", "subscribe", "unsubscribe", "send", "edit", "delete", "react", "typing",
             "read", "sync"}  # fmt: skip
    objects = st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=5).filter(
        lambda d: d.get("type") not in known
    )
    return st.one_of(JSON_VALUES.filter(lambda v: not isinstance(v, dict)), objects).map(json.dumps)


RAW_TEXT = st.text(max_size=200).filter(lambda s: not _is_json_object_with_type(s))


def _is_json_object_with_type(text: str) -> bool:
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, dict) and "type" in value


# ---- the exchange ---------------------------------------------------------------------------


async def _exchange(target: Target, payloads: list[str | bytes]) -> list[list[dict]]:
    """Send each payload, then a ping; return the error frames each payload got."""
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"),
               (b"cookie", target.cookie.encode())]  # fmt: skip
    communicator = WebsocketCommunicator(application, target.path, headers=headers)
    connected, _detail = await communicator.connect(timeout=5)
    assert connected, f"{target.path} refused the member"
    answers: list[list[dict]] = []
    try:
        for number, payload in enumerate(payloads):
            # send_input rather than send_to, which refuses an empty frame
            key = "bytes" if isinstance(payload, bytes) else "text"
            await communicator.send_input({"type": "websocket.receive", key: payload})
            ref = f"probe-{number}"
            await communicator.send_json_to({"type": "ping", "ref": ref})
            errors: list[dict] = []
            while True:
                output = await communicator.receive_output(timeout=10)
                assert output["type"] == "websocket.send", (
                    f"the socket closed after {payload[:200]!r}: {output}"
                )
                frame = json.loads(output["text"])
                if frame == {"type": "pong", "ref": ref}:
                    break
                if frame["type"] == "error":
                    errors.append(frame)
            answers.append(errors)
    finally:
        await communicator.disconnect()
    return answers


def _assert_one_clean_error(payloads: list[str | bytes], answers: list[list[dict]]) -> None:
    for payload, errors in zip(payloads, answers, strict=True):
        shown = payload[:300]
        assert len(errors) == 1, f"{shown!r} got {errors}"
        error = errors[0]
        assert error["code"] != "internal_error", f"{shown!r} raised on the server: {error}"
        assert isinstance(error["code"], str) and error["code"]
        assert isinstance(error["message"], str) and error["message"]


def _stored() -> tuple[int, int, int, list[str]]:
    return (
        Message.objects.count(),
        Reaction.objects.count(),
        CaseMessage.objects.count(),
        list(Message.objects.order_by("pk").values_list("body", flat=True)),
    )


def _run(target: Target, payloads: list[str | bytes]) -> None:
    before = _stored()
    answers = async_to_sync(_exchange)(target, payloads)
    _assert_one_clean_error(payloads, answers)
    assert _stored() == before, "a refused frame changed what is stored"


# ---- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def platform(transactional_db) -> Target:
    world = build_world()
    member = world.member
    channel = channel_services.create_channel(by=member, kind="open", name="Fuzzkanaal")
    message, _created = channel_services.post_message(
        channel.pk, author=member, body="Eerste bericht", client_id=str(uuid.uuid4())
    )
    cookie = f"sessionid={strong_client(member).cookies['sessionid'].value}"
    return Target("/ws/", member, cookie, channel.pk, message.pk)


@pytest.fixture
def case_room(transactional_db) -> Target:
    world = build_world()
    cookie = f"sessionid={strong_client(world.member).cookies['sessionid'].value}"
    return Target(f"/ws/cases/{world.room.pk}/", world.member, cookie, world.room.pk, 0)


# ---- /ws/ -----------------------------------------------------------------------------------


@FUZZ
@given(payloads=st.lists(RAW_TEXT, min_size=1, max_size=4))
@example(payloads=["", "{", "null", '"type"', "[]", "{}", "\udcff"])
def test_arbitrary_text_gets_error_frames(platform, payloads):
    _run(platform, payloads)


@FUZZ
@given(payloads=st.lists(st.binary(min_size=1, max_size=200), min_size=1, max_size=4))
def test_binary_data_gets_error_frames(platform, payloads):
    _run(platform, payloads)


@FUZZ
@given(payloads=st.lists(_json_objects_without_a_known_type(), min_size=1, max_size=4))
@example(payloads=['{"type": null}', '{"type": ["send"]}', '{"type": "SEND"}', "[[[[[]]]]]"])
def test_json_of_any_shape_gets_error_frames(platform, payloads):
    _run(platform, payloads)


def test_oversized_and_deeply_nested_frames_get_error_frames(platform):
    _run(platform, [
        json.dumps({"type": "send", "room": platform.room, "body": "x" * 70_000}),
        "[" * 100_000 + "]" * 100_000,
        '{"type": "ping", "ref": ' + "[" * 5_000 + "]" * 5_000 + "}",
    ])  # fmt: skip


@FUZZ
@given(data=st.data())
@example(data=None)
def test_protocol_frames_with_a_wrong_field_get_error_frames(platform, data):
    if data is None:  # regression cases, checked first
        frames = [
            {"type": "send", "room": platform.room, "body": "Hoi", "client_id": "x", "parent": "1"},
            {"type": "send", "room": 2**63, "body": "Hoi", "client_id": str(uuid.uuid4())},
            {"type": "sync", "room": platform.room, "after": 2**70},
            {"type": "read", "room": platform.room, "seq": "12"},
            {"type": "react", "id": 2**64, "emoji": "👍"},
            {
                "type": "send",
                "room": platform.room,
                "body": "a\x00b",
                "client_id": str(uuid.uuid4()),
            },
            {"type": "send", "room": platform.room, "body": "hallo \ud800"},
            {"type": "edit", "id": platform.message, "body": "Eerste\x00 bericht"},
            {"type": "edit", "id": platform.message, "body": "\udfff"},
        ]
    else:
        strategy = _frames_for_platform(platform.room, platform.message)
        frames = data.draw(st.lists(strategy, min_size=1, max_size=4))
    _run(platform, [json.dumps(frame) for frame in frames])


# ---- /ws/cases/<id>/ ------------------------------------------------------------------------


@FUZZ
@given(payloads=st.lists(RAW_TEXT | _json_objects_without_a_known_type(), min_size=1, max_size=4))
def test_case_room_socket_answers_junk_with_error_frames(case_room, payloads):
    _run(case_room, payloads)


@FUZZ
@given(frames=st.lists(_frames_for_case_room(), min_size=1, max_size=4))
@example(frames=[{"type": "sync", "after": 2**70}, {"type": "read", "seq": 2**64}])
@example(frames=[{"type": "send", "body": "a\x00b"}, {"type": "send", "body": "hallo \ud800"}])
def test_case_room_frames_with_a_wrong_field_get_error_frames(case_room, frames):
    _run(case_room, [json.dumps(frame) for frame in frames])
