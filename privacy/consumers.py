"""The socket of one case room at ``/ws/cases/<id>/``.

Stricter than ``/ws/``: the room is fixed by the URL and checked before ``accept()`` (active
member covered by the consent, two-factor authentication, recent sign-in), and again before
every frame, on every change to the member's rights and when the recent sign-in runs out, so
the socket stops at once when any of them ends. Opening the socket and every ``sync`` are
logged as reads; every forwarded event re-checks membership, and a removal closes the socket.
Frames: ``send`` (idempotent by ``client_id``, answered with ``ack``), ``sync`` (replay after
``after``), ``read``, ``ping``; errors as ``error`` frames, as on ``/ws/``.
"""

from __future__ import annotations

import time
from typing import Any

from channels.db import database_sync_to_async
from django.http import Http404
from django.utils.translation import gettext_lazy

from core.engine import ChatConsumer
from core.protocol import CLOSE_FORBIDDEN, CLOSE_REAUTHENTICATE, Frame
from privacy import access, audit, services
from privacy.models import CaseMember, CaseRoom

#: closed by the server because the member was removed or lost access
CLOSE_REMOVED = CLOSE_FORBIDDEN


class CaseRoomConsumer(ChatConsumer):
    not_found_text = gettext_lazy("This case room does not exist.")
    frame_handlers = {
        "ping": "handle_ping",
        "send": "handle_send",
        "sync": "handle_sync",
        "read": "handle_read",
    }

    async def authorise(self, user: Any) -> bool:
        self.user = user
        self.room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        return await database_sync_to_async(self._authorise)()

    def _authorise(self) -> bool:
        address = audit.client_address(self.scope)
        try:
            rights = access.room_for(self.user, self.room_id, address=address)
        except Http404:
            return False
        strong = access.has_mfa(self.user) and access.signed_in_recently(
            self.scope.get("session"), self.user
        )
        audit.record(
            action=audit.Action.READ,
            user=self.user,
            object_type="case_room",
            object_id=self.room_id,
            room_id=self.room_id,
            outcome=audit.Outcome.SUCCESS if strong else audit.Outcome.DENIED,
            role=rights.role,
            purpose=rights.purpose,
            address=address,
            detail="live connection" if strong else "live connection: needs MFA and recent sign-in",
        )
        self.can_write = rights.can_write
        self.last_seq = rights.room.last_seq
        return strong

    def rights_hold(self, user: Any, session: Any) -> tuple[int | None, float | None]:
        """Member, covered, recent second-factor step; the socket's deadline is the first of the
        step running out and (for members other than the coordinator) the consent's end."""
        try:
            rights = access.room_for(user, self.room_id, address=audit.client_address(self.scope))
        except Http404:
            return CLOSE_REMOVED, None
        fresh_until = access.recent_sign_in_until(session, user)
        if fresh_until is None or fresh_until <= time.time() or not access.has_mfa(user):
            return CLOSE_REAUTHENTICATE, None
        consent_ends = None if rights.is_coordinator else access.consent_ends_at(rights.room)
        return None, min(fresh_until, consent_ends or fresh_until)

    @property
    def groups_of_socket(self) -> list[str]:
        return [f"case.{self.room_id}", services.member_group(self.room_id, self.user.pk)]

    async def on_accepted(self) -> None:
        for group in self.groups_of_socket:
            await self.channel_layer.group_add(group, self.channel_name)
        self.joined = True
        await self.send_frame({
            "type": "subscribed", "room": self.room_id, "last_seq": self.last_seq,
            "can_post": self.can_write,
        })  # fmt: skip

    async def leave_groups(self) -> None:
        await super().leave_groups()
        for group in self.groups_of_socket:
            await self.channel_layer.group_discard(group, self.channel_name)

    def live_groups(self) -> list[str]:
        joined = getattr(self, "joined", False) and not getattr(self, "ended", False)
        return [*super().live_groups(), *(self.groups_of_socket if joined else [])]

    async def disconnect(self, code: int) -> None:
        if not getattr(self, "joined", False):
            return
        self.joined = False
        await self.leave_groups()

    # ---- events from the channel layer ------------------------------------------------------

    async def frame_forward(self, event: dict[str, Any]) -> None:
        if not getattr(self, "joined", False) or getattr(self, "ended", False):
            return
        if self.past_deadline() and not await self.enforce_rights():
            return  # the recent sign-in ran out: no case content after that moment
        if event.get("close"):
            # "membership.removed", then the close
            await self.send(text_data=self.forwarded_text(event))
            removed = True
        elif not await self.rights_unchanged() and not await self.enforce_rights():
            # The person's rights changed (suspended, no longer confirmed by their
            # organisation): the layer keeps no order between this room's group and their
            # rights group, and may drop an event, so one cache read per event decides.
            return
        elif await database_sync_to_async(self._still_member)():
            await self.send(text_data=self.forwarded_text(event))
            removed = False
        else:
            removed = True  # lost access while the control message went astray
        if removed:
            # nothing more reaches this socket
            self.ended = True
            await self.disconnect(CLOSE_REMOVED)
            await self.close(code=CLOSE_REMOVED)

    def followed_rooms(self) -> set[int]:
        return {self.room_id} if getattr(self, "joined", False) else set()

    def latest(self, rooms: list[int]) -> list[Frame]:
        seqs = CaseRoom.objects.filter(pk__in=rooms).values_list("pk", "last_seq")
        return [{"room": room, "last_seq": seq} for room, seq in seqs]

    def _still_member(self) -> bool:
        return CaseMember.objects.filter(
            room_id=self.room_id, user=self.user, status=CaseMember.Status.ACTIVE
        ).exists()

    # ---- frames from the browser -------------------------------------------------------------

    async def handle_send(self, frame: Frame) -> None:
        message, _created = await self.call(
            services.post_message,
            self.room_id,
            author=self.user,
            body=frame.get("body"),
            client_id=frame.get("client_id"),
            address=audit.client_address(self.scope),
        )
        await self.acknowledge(frame, self.room_id, message)

    async def handle_sync(self, frame: Frame) -> None:
        after = self.after(frame)
        frames, done = await self.call(self._missed, after)
        await self.replay(frame, self.room_id, frames, **done)

    async def handle_read(self, frame: Frame) -> None:
        rights = await self.call(access.room_for, self.user, self.room_id)
        seq = await self.call(services.mark_read, rights, user=self.user, seq=frame.get("seq"))
        await self.send_frame({"type": "read", "room": self.room_id, "seq": seq})

    # ---- helpers (run in a thread: they touch the database) --------------------------------

    def _missed(self, after: int) -> tuple[list[Frame], dict[str, Any]]:
        address = audit.client_address(self.scope)
        rights = access.room_for(self.user, self.room_id, address=address)
        messages = services.CASE_ROOMS.missed(rights.room, after)
        if messages:
            audit.record(
                action=audit.Action.READ,
                user=self.user,
                object_type="case_message",
                object_id=f"{messages[0].seq}-{messages[-1].seq}",
                room_id=self.room_id,
                role=rights.role,
                purpose=rights.purpose,
                address=address,
                detail="sync",
            )
        return services.CASE_ROOMS.synced(rights.room, messages, self.language)
