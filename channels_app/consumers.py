"""The one socket per browser tab at ``/ws/``: channels, direct messages, notifications.

Thin by design: every frame becomes a call into ``channels_app.services`` or ``access``;
authorisation happens at subscribe time and again inside each service call.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.core.cache import cache
from django.utils.translation import gettext as _

from channels_app import access, services
from channels_app.models import Channel, Message
from core.engine import ChatConsumer
from core.protocol import CLOSE_FORBIDDEN, Frame, FrameError, frame_ref, is_number, user_group
from directory.access import is_verified

TYPING_INTERVAL = 3


def _room_id(frame: Frame) -> int:
    room = frame.get("room")
    if isinstance(room, bool) or not isinstance(room, int):
        raise FrameError("bad_frame", _("This frame needs a room number."))
    if not is_number(room, minimum=1):
        raise FrameError("not_found", str(ChatConsumer.not_found_text))
    return room


#: the most rooms one ``subscribe`` frame may name
MAX_SUBSCRIBE_ROOMS = 500


def _room_list(frame: Frame) -> list[int]:
    rooms = frame.get("rooms")
    if (
        not isinstance(rooms, list)
        or not rooms
        or len(rooms) > MAX_SUBSCRIBE_ROOMS
        or not all(isinstance(room, int) and not isinstance(room, bool) for room in rooms)
    ):
        raise FrameError(
            "bad_frame",
            _("“rooms” must be a list of 1 to %(most)d room numbers.")
            % {"most": MAX_SUBSCRIBE_ROOMS},
        )
    return rooms


class PlatformConsumer(ChatConsumer):
    frame_handlers = {
        "ping": "handle_ping",
        "subscribe": "handle_subscribe",
        "unsubscribe": "handle_unsubscribe",
        "send": "handle_send",
        "edit": "handle_edit",
        "delete": "handle_delete",
        "react": "handle_react",
        "typing": "handle_typing",
        "read": "handle_read",
        "sync": "handle_sync",
    }

    def rights_hold(self, user: Any, session: Any) -> tuple[int | None, float | None]:
        # Channel rights themselves are checked in every service call; removal from a room
        # takes the socket out of its group (``leave_room``).
        return (None if is_verified(user) else CLOSE_FORBIDDEN), None

    async def on_accepted(self) -> None:
        self.rooms: set[int] = set()
        await self.channel_layer.group_add(user_group(self.user.pk), self.channel_name)

    async def leave_groups(self) -> None:
        await super().leave_groups()
        if not hasattr(self, "rooms"):
            return
        for room in list(self.rooms):
            await self.channel_layer.group_discard(f"channel.{room}", self.channel_name)
        self.rooms.clear()
        await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)

    def live_groups(self) -> list[str]:
        if not hasattr(self, "rooms") or getattr(self, "ended", False):
            return super().live_groups()
        rooms = [f"channel.{room}" for room in self.rooms]
        return [*super().live_groups(), user_group(self.user.pk), *rooms]

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "rooms"):
            return
        await self.leave_groups()

    # ---- events from the channel layer ------------------------------------------------------

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") == "frame.forward":
            # The hot path: one event per recipient of every broadcast. Channels' dispatch
            # first runs close_old_connections through the one thread that does all database
            # work of this process, so every delivery would queue behind whatever query runs
            # there (a post, a subscribe). Forwarding touches no database: skip that hop.
            await self.frame_forward(message)
            return
        await super().dispatch(message)

    async def frame_forward(self, event: dict[str, Any]) -> None:
        if getattr(self, "ended", False):
            return  # rights ended: the groups are being left
        room = event.get("leave_room")
        if room is not None and room in self.rooms:
            # removed from the room: this socket stops receiving it before anything else
            self.rooms.discard(room)
            await self.channel_layer.group_discard(f"channel.{room}", self.channel_name)
        await self.send(text_data=self.forwarded_text(event))

    # ---- frames from the browser -------------------------------------------------------------

    async def handle_subscribe(self, frame: Frame) -> None:
        """``subscribed`` with the room's state, for ``room``; for ``rooms`` (the rooms of a
        page's sidebar, followed for their counts) one ``subscribed`` per room that may be
        read, and one ``error`` naming the ``rooms`` that may not, if any.

        A tab subscribes to every room of its sidebar each time it connects: after a server
        restart a thousand tabs do so within seconds, so a list costs three queries in all, not
        three per room (docs/BENCHMARKS.md, "Restart of one process")."""
        listed = "rooms" in frame
        rooms = _room_list(frame) if listed else [_room_id(frame)]
        states = await database_sync_to_async(self._subscribe_states)(
            [room for room in rooms if is_number(room, minimum=1)]
        )
        if not listed and not states:
            raise self.not_found()
        ref = frame_ref(frame)
        for state in states:
            room = state["room"]
            self.rooms.add(room)
            await self.channel_layer.group_add(f"channel.{room}", self.channel_name)
            await self.send_frame({"type": "subscribed", "ref": ref, **state})
        refused = sorted(set(rooms) - {state["room"] for state in states})
        if listed and refused:
            error = self.not_found()
            await self.send_error(error.code, error.message, ref, rooms=refused)

    async def handle_unsubscribe(self, frame: Frame) -> None:
        room = _room_id(frame)
        self.rooms.discard(room)
        await self.channel_layer.group_discard(f"channel.{room}", self.channel_name)
        await self.send_frame({"type": "unsubscribed", "room": room, "ref": frame_ref(frame)})

    async def handle_send(self, frame: Frame) -> None:
        room = _room_id(frame)
        message, _created = await self.call(
            services.post_message,
            room,
            author=self.user,
            body=frame.get("body"),
            client_id=frame.get("client_id"),
            parent_id=frame.get("parent"),
            attachment_ids=frame.get("attachments", []),
        )
        await self.acknowledge(frame, room, message)

    async def handle_edit(self, frame: Frame) -> None:
        message = await self._message(frame)
        await self.call(services.edit_message, message, by=self.user, body=frame.get("body"))
        await self.send_frame({"type": "ack", "ref": frame_ref(frame), "id": message.pk})

    async def handle_delete(self, frame: Frame) -> None:
        message = await self._message(frame)
        await self.call(services.delete_message, message, by=self.user)
        await self.send_frame({"type": "ack", "ref": frame_ref(frame), "id": message.pk})

    async def handle_react(self, frame: Frame) -> None:
        message = await self._message(frame)
        await self.call(services.toggle_reaction, message, by=self.user, emoji=frame.get("emoji"))
        await self.send_frame({"type": "ack", "ref": frame_ref(frame), "id": message.pk})

    async def handle_typing(self, frame: Frame) -> None:
        room = _room_id(frame)
        if room not in self.rooms:
            raise FrameError("not_subscribed", _("Subscribe to this channel first."))
        # typing in a thread (its first message's id) shows there, not in the channel
        parent = frame.get("parent")
        if parent is not None and not is_number(parent, minimum=1):
            raise FrameError("bad_frame", _("“parent” must be a message number."))
        key = f"typing:{room}:{parent or 0}:{self.user.pk}"
        if await database_sync_to_async(cache.add)(key, 1, TYPING_INTERVAL):
            await self.channel_layer.group_send(
                f"channel.{room}",
                {"type": "frame.forward", "text": self._typing_text(room, parent)},
            )

    async def handle_read(self, frame: Frame) -> None:
        room = _room_id(frame)
        rights = await self._readable(room)
        await self.call(services.mark_read, rights.channel, user=self.user, seq=frame.get("seq"))

    async def handle_sync(self, frame: Frame) -> None:
        room = _room_id(frame)
        after = self.after(frame)
        changes_after = frame.get("changes_after")
        if changes_after is not None and not is_number(changes_after):
            raise FrameError("bad_frame", _("“changes_after” must be a change number."))
        rights = await self._readable(room)
        if changes_after is None:
            frames, done = await self.call(
                services.CHANNELS.replay, rights.channel, after, self.language
            )
        else:
            frames, done = await self.call(
                services.CHANNELS.changed, rights.channel, after, changes_after, self.language
            )
        await self.replay(frame, room, frames, **done)

    # ---- helpers (run in a thread: they touch the database) --------------------------------

    async def _message(self, frame: Frame) -> Message:
        message_id = frame.get("id")
        if isinstance(message_id, bool) or not isinstance(message_id, int):
            raise FrameError("bad_frame", _("This frame needs a message id."))
        if not is_number(message_id, minimum=1):
            raise self.not_found()
        message, _rights = await self.call(access.readable_message, self.user, message_id)
        return message

    async def _readable(self, room: int) -> access.ChannelAccess:
        return await self.call(access.readable_channel, self.user, room)

    def _subscribe_states(self, rooms: list[int]) -> list[dict[str, Any]]:
        readable = access.readable_channels(self.user, rooms)
        read_up_to = {
            room: rights.membership.last_read_seq if rights.membership else 0
            for room, rights in readable.items()
        }
        # a room read to its end has no unread mentions: only the others are counted
        behind = {
            room: seq for room, seq in read_up_to.items() if seq < readable[room].channel.last_seq
        }
        mentions = services.unread_mention_counts(self.user, behind)
        # What the room on the screen and the sidebar's counts need, and no more: a page
        # subscribes to every room in its sidebar, so a list of who is online (one cache read
        # per member) cost every socket a read per member of each of its rooms, and no client
        # used it (docs/BENCHMARKS.md, "Ceiling").
        return [
            {
                "room": room,
                "last_seq": readable[room].channel.last_seq,
                "last_read_seq": read_up_to[room],
                "unread_mentions": mentions.get(room, 0),
                "can_post": readable[room].can_post,
                "can_moderate": readable[room].can_moderate,
            }
            for room in dict.fromkeys(rooms)
            if room in readable
        ]

    def followed_rooms(self) -> set[int]:
        return set(getattr(self, "rooms", ()))

    def latest(self, rooms: list[int]) -> list[Frame]:
        return [
            {"room": room, "last_seq": seq, "last_change": change}
            for room, seq, change in Channel.objects.filter(pk__in=rooms).values_list(
                "pk", "last_seq", "last_change"
            )
        ]

    def _typing_text(self, room: int, parent: int | None) -> str:
        import json

        return json.dumps({
            "type": "typing", "room": room, "parent": parent,
            "user": {"id": self.user.pk, "name": self.user.display_name},
        })  # fmt: skip
