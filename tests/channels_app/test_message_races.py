"""A change of a message that waits for a delete of it: two connections, the delete holding
the room's lock while the change, which read the message before, waits for it. And the order
in which the removal of a reported message takes its locks."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from channels_app import access, services
from channels_app.models import Channel, Message, Reaction, Report
from tests.channels_app.test_channel_socket import receive_until, subscribed

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "Het adres is Dorpstraat 12"


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _waits_for_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def _while_held(hold: Callable[[], Any], wait: Callable[[], Any], meanwhile=None) -> Any:
    """Run ``hold`` in a transaction of one connection and keep it open until ``wait``, in a
    second connection, waits for a lock; then let ``meanwhile`` look, commit ``hold`` and
    return what ``wait`` returned or raised."""
    held, release = threading.Event(), threading.Event()
    pid: list[int] = []
    outcome: list[Any] = []

    def holder() -> None:
        try:
            with transaction.atomic():
                hold()
                held.set()
                release.wait(10)
        finally:
            held.set()
            connection.close()

    def waiter() -> None:
        try:
            pid.append(_backend_pid())
            outcome.append(wait())
        except Exception as error:
            outcome.append(error)
        finally:
            connection.close()

    first = threading.Thread(target=holder)
    first.start()
    assert held.wait(10)
    second = threading.Thread(target=waiter)
    second.start()
    try:
        deadline = time.monotonic() + 10
        while not (pid and _waits_for_a_lock(pid[0])):
            assert time.monotonic() < deadline, "the second connection never waited"
            assert second.is_alive(), outcome
            time.sleep(0.02)
        if meanwhile is not None:
            meanwhile()
    finally:
        release.set()
        first.join(10)
        second.join(10)
        connection.close()
    return outcome[0]


def _no_cached_content_shows(message: Message, *texts: str) -> None:
    for language, _name in settings.LANGUAGES:
        entry = cache.get(services.CHANNELS.content_key(message, language))
        for text in texts:
            assert entry is None or text not in entry[1], (language, entry)


async def _frames_until_quiet(communicator) -> list[str]:
    frames = []
    while not await communicator.receive_nothing(0.5):
        frames.append(await communicator.receive_from())
    return frames


async def _race_with_a_delete(room, change: Callable[[Message], Any]) -> tuple[Any, list[str], int]:
    """The member's message is deleted by its author while ``change`` (given a copy read
    before the delete, as a socket's frame or a request reads it) waits for the room's lock;
    returns the change's outcome, the frames a reader got after the delete, and the message."""
    posted, _ = await database_sync_to_async(services.post_message)(
        room.channel.pk, author=room.member, body=SECRET
    )
    stale, _rights = await database_sync_to_async(access.readable_message)(room.owner, posted.pk)
    reader = await subscribed(room.owner, room.channel.pk)

    def delete() -> None:
        services.delete_message(Message.objects.get(pk=posted.pk), by=room.member)

    outcome = await asyncio.to_thread(_while_held, delete, lambda: change(stale))
    deleted = await receive_until(reader, "message.deleted")
    assert deleted["id"] == posted.pk
    later = await _frames_until_quiet(reader)
    await reader.disconnect()
    return outcome, later, posted.pk


def _still_deleted(message_id: int, *texts: str) -> Message:
    message = Message.objects.get(pk=message_id)
    _no_cached_content_shows(message, SECRET, *texts)
    assert message.is_deleted and message.body == "" and message.body_html == ""
    assert message.edited_at is None and message.pinned_at is None
    assert not Reaction.objects.filter(message=message).exists()
    return message


def _refused_as_deleted(outcome: Any) -> None:
    assert isinstance(outcome, ValidationError), outcome
    assert outcome.messages == ["Dit bericht is verwijderd."]


async def test_an_edit_waiting_for_a_delete_writes_nothing_back(closed_room):
    room = closed_room
    outcome, later, message_id = await _race_with_a_delete(
        room, lambda stale: services.edit_message(stale, by=room.member, body="Nieuwe tekst")
    )
    _refused_as_deleted(outcome)
    assert not [frame for frame in later if SECRET in frame or "Nieuwe tekst" in frame]
    await database_sync_to_async(_still_deleted)(message_id, "Nieuwe tekst")


async def test_a_reaction_waiting_for_a_delete_shows_and_caches_nothing(closed_room):
    room = closed_room
    outcome, later, message_id = await _race_with_a_delete(
        room, lambda stale: services.toggle_reaction(stale, by=room.owner, emoji="👍")
    )
    _refused_as_deleted(outcome)
    assert not [frame for frame in later if SECRET in frame or '"type":"reaction"' in frame]
    await database_sync_to_async(_still_deleted)(message_id)


async def test_a_pin_waiting_for_a_delete_shows_and_caches_nothing(closed_room):
    room = closed_room
    outcome, later, message_id = await _race_with_a_delete(
        room, lambda stale: services.pin_message(stale, by=room.owner)
    )
    _refused_as_deleted(outcome)
    assert not [frame for frame in later if SECRET in frame]
    await database_sync_to_async(_still_deleted)(message_id)


async def test_a_second_delete_waiting_for_the_first_is_refused(closed_room):
    room = closed_room
    outcome, later, message_id = await _race_with_a_delete(
        room, lambda stale: services.delete_message(stale, by=room.owner)
    )
    _refused_as_deleted(outcome)
    assert not later
    message = await database_sync_to_async(_still_deleted)(message_id)
    assert message.deleted_by_id == room.member.pk


def test_removing_a_reported_message_locks_the_room_before_the_message(closed_room):
    """Every change of a message locks the room's row first; a removal that locked the message
    first and then waited for the room could wait for a change that waits for it."""
    room = closed_room
    message, _ = services.post_message(room.channel.pk, author=room.member, body=SECRET)
    report = services.report_message(message, by=room.owner, reason="Privégegevens")
    moderator = room.owner  # the channel's owner moderates it

    def hold_the_room() -> None:
        Channel.objects.select_for_update().get(pk=room.channel.pk)

    def remove() -> None:
        services.resolve_report(report, by=moderator, outcome=Report.Outcome.REMOVED)

    free: list[bool] = []

    def look() -> None:
        """While the removal waits for the room, the message is not locked by it."""
        try:
            with transaction.atomic():
                Message.objects.select_for_update(nowait=True).get(pk=message.pk)
            free.append(True)
        except DatabaseError:
            free.append(False)

    outcome = _while_held(hold_the_room, remove, look)
    assert outcome is None
    assert free == [True]
    message.refresh_from_db()
    assert message.is_deleted
    report.refresh_from_db()
    assert report.outcome == Report.Outcome.REMOVED
