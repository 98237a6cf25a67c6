"""The one socket per browser tab at ``/ws/``: channels, direct messages, notifications.

Thin by design: every frame becomes a call into ``channels_app.services`` or ``access``;
authorisation happens at subscribe time and again inside each service call.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from channels_app import access, services
from channels_app.models import Channel, Message
from core.chat import RateLimited
from core.protocol import (
    CLOSE_FORBIDDEN,
    Frame,
    FrameError,
    JsonFrameConsumer,
    frame_ref,
    is_number,
    user_group,
)
from directory.access import is_verified

SYNC_BATCH = 200
PRESENCE_TTL = 120
TYPING_INTERVAL = 3


def _room_id(frame: Frame) -> int:
    room = frame.get("room")
    if isinstance(room, bool) or not isinstance(room, int):
        raise FrameError("bad_frame", _("This frame needs a room number."))
    if not is_number(room, minimum=1):
        raise _not_found()
    return room


def _not_found() -> FrameError:
    return FrameError("not_found", _("This channel or message does not exist."))


class PlatformConsumer(JsonFrameConsumer):
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
        await database_sync_to_async(self._presence)(1)

    async def leave_groups(self) -> None:
        await super().leave_groups()
        if not hasattr(self, "rooms"):
            return
        for room in list(self.rooms):
            await self.channel_layer.group_discard(f"channel.{room}", self.channel_name)
        self.rooms.clear()
        await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "rooms"):
            return
        await self.leave_groups()
        await database_sync_to_async(self._presence)(-1)

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
        await self.send(text_data=event["text"])

    # ---- frames from the browser -------------------------------------------------------------

    async def handle_ping(self, frame: Frame) -> None:
        await database_sync_to_async(cache.touch)(self._presence_key(), PRESENCE_TTL)
        await super().handle_ping(frame)

    async def handle_subscribe(self, frame: Frame) -> None:
        room = _room_id(frame)
        state = await database_sync_to_async(self._subscribe_state)(room)
        self.rooms.add(room)
        await self.channel_layer.group_add(f"channel.{room}", self.channel_name)
        await self.send_frame({"type": "subscribed", "ref": frame_ref(frame), **state})

    async def handle_unsubscribe(self, frame: Frame) -> None:
        room = _room_id(frame)
        self.rooms.discard(room)
        await self.channel_layer.group_discard(f"channel.{room}", self.channel_name)
        await self.send_frame({"type": "unsubscribed", "room": room, "ref": frame_ref(frame)})

    async def handle_send(self, frame: Frame) -> None:
        room = _room_id(frame)
        message, _created = await self._call(
            services.post_message,
            room,
            author=self.user,
            body=frame.get("body"),
            client_id=frame.get("client_id"),
            parent_id=frame.get("parent"),
            attachment_ids=frame.get("attachments", []),
        )
        await self.send_frame({
            "type": "ack", "ref": frame_ref(frame), "room": room, "id": message.pk,
            "seq": message.seq, "client_id": str(message.client_id),
        })  # fmt: skip

    async def handle_edit(self, frame: Frame) -> None:
        message = await self._message(frame)
        await self._call(services.edit_message, message, by=self.user, body=frame.get("body"))
        await self.send_frame({"type": "ack", "ref": frame_ref(frame), "id": message.pk})

    async def handle_delete(self, frame: Frame) -> None:
        message = await self._message(frame)
        await self._call(services.delete_message, message, by=self.user)
        await self.send_frame({"type": "ack", "ref": frame_ref(frame), "id": message.pk})

    async def handle_react(self, frame: Frame) -> None:
        message = await self._message(frame)
        await self._call(services.toggle_reaction, message, by=self.user, emoji=frame.get("emoji"))
        await self.send_frame({"type": "ack", "ref": frame_ref(frame), "id": message.pk})

    async def handle_typing(self, frame: Frame) -> None:
        room = _room_id(frame)
        if room not in self.rooms:
            raise FrameError("not_subscribed", _("Subscribe to this channel first."))
        key = f"typing:{room}:{self.user.pk}"
        if await database_sync_to_async(cache.add)(key, 1, TYPING_INTERVAL):
            await self.channel_layer.group_send(
                f"channel.{room}",
                {"type": "frame.forward", "text": self._typing_text(room)},
            )

    async def handle_read(self, frame: Frame) -> None:
        room = _room_id(frame)
        rights = await self._readable(room)
        await self._call(services.mark_read, rights.channel, user=self.user, seq=frame.get("seq"))

    async def handle_sync(self, frame: Frame) -> None:
        room = _room_id(frame)
        after = frame.get("after", 0)
        if not is_number(after):
            raise FrameError("bad_frame", _("“after” must be a sequence number."))
        changes_after = frame.get("changes_after")
        if changes_after is not None and not is_number(changes_after):
            raise FrameError("bad_frame", _("“changes_after” must be a change number."))
        if changes_after is None:
            frames, last_seq = await database_sync_to_async(self._missed)(room, after)
            more = bool(frames) and frames[-1]["seq"] < last_seq
            done = {"last_seq": last_seq, "more": more}
        else:
            frames, done = await database_sync_to_async(self._changed)(room, after, changes_after)
        for message_frame in frames:
            await self.send_frame(message_frame)
        await self.send_frame({"type": "synced", "ref": frame_ref(frame), "room": room, **done})

    # ---- helpers (run in a thread: they touch the database) --------------------------------

    async def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await database_sync_to_async(function)(*args, **kwargs)
        except (Http404, PermissionDenied, Message.DoesNotExist, Channel.DoesNotExist):
            raise _not_found() from None
        except RateLimited:
            raise FrameError(
                "rate_limited", _("You are sending messages too fast. Wait a moment.")
            ) from None
        except ValidationError as error:
            raise FrameError("invalid", " ".join(error.messages)) from None

    async def _message(self, frame: Frame) -> Message:
        message_id = frame.get("id")
        if isinstance(message_id, bool) or not isinstance(message_id, int):
            raise FrameError("bad_frame", _("This frame needs a message id."))
        if not is_number(message_id, minimum=1):
            raise _not_found()
        message, _rights = await self._call(access.readable_message, self.user, message_id)
        return message

    async def _readable(self, room: int) -> access.ChannelAccess:
        return await self._call(access.readable_channel, self.user, room)

    def _subscribe_state(self, room: int) -> dict[str, Any]:
        try:
            rights = access.readable_channel(self.user, room)
        except Http404:
            raise _not_found() from None
        last_read = rights.membership.last_read_seq if rights.membership else 0
        mentions = services.unread_mentions(self.user, rights.channel, last_read).count()
        member_ids = list(rights.channel.memberships.values_list("user_id", flat=True)[:500])
        online = cache.get_many([f"presence:{uid}" for uid in member_ids])
        return {
            "room": room,
            "last_seq": rights.channel.last_seq,
            "last_read_seq": last_read,
            "unread_mentions": mentions,
            "can_post": rights.can_post,
            "can_moderate": rights.can_moderate,
            "online": [uid for uid in member_ids if online.get(f"presence:{uid}")],
        }

    def _missed(self, room: int, after: int) -> tuple[list[Frame], int]:
        try:
            rights = access.readable_channel(self.user, room)
        except Http404:
            raise _not_found() from None
        messages = (
            Message.objects.filter(channel=rights.channel, seq__gt=after)
            .select_related("author")
            .prefetch_related("attachments")
            .order_by("seq")[:SYNC_BATCH]
        )
        return [services.message_frame(m) for m in messages], rights.channel.last_seq

    def _changed(
        self, room: int, after: int, changes_after: int
    ) -> tuple[list[Frame], dict[str, Any]]:
        """Every message that changed after ``changes_after``, in the order of the changes.

        New messages (sequence number above ``after``) come as ``message.created``; older ones
        as ``message.updated`` or ``message.deleted`` (a tombstone) followed by their current
        reactions. ``last_change`` in the answer is the number to sync from next time.
        """
        try:
            rights = access.readable_channel(self.user, room)
        except Http404:
            raise _not_found() from None
        # Read before the messages: whatever committed after this is found the next time.
        last_change = rights.channel.last_change
        messages = list(
            Message.objects.filter(channel=rights.channel, change_seq__gt=changes_after)
            .select_related("author")
            .prefetch_related("attachments", "reactions")
            .order_by("change_seq")[:SYNC_BATCH]
        )
        more = len(messages) == SYNC_BATCH
        frames: list[Frame] = []
        for message in messages:
            if message.seq > after:
                frames.append(services.message_frame(message))
            else:
                kind = "message.deleted" if message.is_deleted else "message.updated"
                frames.append(services.message_frame(message, kind))
            if message.seq <= after or message.reactions.all():
                summary: dict[str, list[int]] = {}
                for reaction in sorted(message.reactions.all(), key=lambda r: r.created_at):
                    summary.setdefault(reaction.emoji, []).append(reaction.user_id)
                frames.append(services.reaction_frame(message, summary))
        return frames, {
            "last_seq": rights.channel.last_seq,
            "last_change": messages[-1].change_seq if more else max(last_change, changes_after),
            "more": more,
        }

    def _typing_text(self, room: int) -> str:
        import json

        return json.dumps({
            "type": "typing", "room": room,
            "user": {"id": self.user.pk, "name": self.user.display_name},
        })  # fmt: skip

    def _presence_key(self) -> str:
        return f"presence:{self.user.pk}"

    def _presence(self, delta: int) -> None:
        """Count this user's open sockets across processes; announce 0 ↔ 1 changes."""
        key = self._presence_key()
        if delta > 0:
            if cache.add(key, 1, PRESENCE_TTL):
                count = 1
            else:
                count = cache.incr(key)
                cache.touch(key, PRESENCE_TTL)
        else:
            try:
                count = cache.decr(key)
            except ValueError:
                count = 0
            if count <= 0:
                cache.delete(key)
        if (delta > 0 and count == 1) or (delta < 0 and count <= 0):
            services.announce_presence(self.user, online=delta > 0)
