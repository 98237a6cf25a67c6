"""The chat engine under every kind of room: channels (``channels_app.engine``) and case rooms
(``privacy.engine``) are subclasses that say what is theirs.

A post is idempotent by the author's ``client_id``; it is refused (``PermissionDenied``) before
the rate limit spends a token when the room does not exist or the author may not post there,
and checked again with the room's row locked. The row lock numbers the room's messages (``seq``)
in the order their transactions commit, so a reader who has seen number N has seen all before
it; the frame goes to the room's group after commit (``broadcast_after_commit``). ``missed``
is what ``sync`` replays.

Hooks, each called inside the post's transaction unless said otherwise:

- ``may_post(user, room)``: the author's rights in ``room``; raises ``PermissionDenied`` (or a
  ``ValidationError``) when the author may not post.
- ``prepare(message, room, rights, extra)``: fill in the subclass's own fields before the
  message is saved; returns the room's fields it changed besides ``last_seq`` and
  ``last_message_at``.
- ``posted(message, room, rights, extra)``: everything else the post does (files, mentions,
  notifications, the access log, frames besides the message's own).
- ``abandon(extra)``: the post stored nothing (it failed, or a retry won): undo what happened
  outside the database, such as files written to disk. Outside the transaction.
- ``seen_again(message, user)``: a retried ``client_id`` found its message; may refuse.
- ``frame(message)`` and ``group(room)``: the frame for a message, and where it goes.
- ``metric_kind(room)``: the kind of room the post counts for in ``/metrics``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.template import engines
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.chat import RateLimited, check_rate, clean_body, parse_client_id, sequence_number
from core.metrics import MESSAGES_POSTED
from core.models import ChatMessage
from core.protocol import (
    Frame,
    FrameError,
    JsonFrameConsumer,
    broadcast_after_commit,
    frame_ref,
    is_number,
)
from core.rendering import render_markdown

M = TypeVar("M", bound=ChatMessage)
Extra = dict[str, Any]

logger = logging.getLogger(__name__)


@functools.cache
def templates_version() -> str:
    """Changes with every template and translation file: a release never shows a message's
    content as an earlier release cached it."""
    digest = hashlib.blake2b(digest_size=6)
    folders = [Path(folder) for engine in engines.all() for folder in engine.dirs]
    folders += [Path(folder) for folder in settings.LOCALE_PATHS]
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".html", ".mo"):
                digest.update(path.read_bytes())
    return digest.hexdigest()


class ChatEngine(Generic[M]):
    #: the room, with ``last_seq`` and ``last_message_at``
    room_model: type[Any]
    message_model: type[M]
    #: the model of a person's place in a room, with ``user`` and ``last_read_seq``
    member_model: type[Any]
    #: what ``missed`` loads with each message
    prefetch: tuple[str, ...] = ()
    #: what the row's content reads through foreign keys: selected with ``missed`` and
    #: ``stored``, prefetched for the contents ``with_contents`` renders
    related: tuple[str, ...] = ("author",)
    #: how many messages one ``sync`` answer carries at most; the client asks again for the rest
    sync_batch = 200
    #: the template of one message in the list: the only markup of a message, for the pages and
    #: for the socket alike
    row_template: str
    #: the part of the row that is the same for every reader, kept in the cache per message and
    #: language with the version it shows (``with_contents``); the row template puts it in the
    #: reader's list item as ``message.content``. Without one, the row template renders
    #: everything each time.
    content_template: str | None = None
    #: a changed message is rendered anew at once (``version``); this bounds how long a changed
    #: name or photo of its author takes to show
    content_seconds = 600

    @property
    def room_field(self) -> str:
        return str(self.message_model.room_field)

    # ---- hooks -------------------------------------------------------------------------------

    def may_post(self, user: Any, room: Any) -> Any:
        raise NotImplementedError

    def check(self, room: Any, author: Any, extra: Extra) -> None:
        """Refuses what ``prepare`` or ``posted`` would refuse, before a token of the rate limit
        is spent: a refused message spends nothing. Runs without locks; the hooks check again
        in the transaction."""

    def prepare(self, message: M, room: Any, rights: Any, extra: Extra) -> list[str]:
        return []

    def posted(self, message: M, room: Any, rights: Any, extra: Extra) -> None:
        pass

    def abandon(self, extra: Extra) -> None:
        pass

    def seen_again(self, message: M, user: Any) -> None:
        pass

    def frame(self, message: M, language: str | None = None) -> Frame:
        raise NotImplementedError

    def group(self, room: Any) -> str:
        return str(room.group_name)

    def metric_kind(self, room: Any) -> str:
        raise NotImplementedError

    def version(self, message: M) -> str:
        """Changes whenever the message's content changes (an edit, a reaction, a reply)."""
        return ""

    # ---- the engine --------------------------------------------------------------------------

    def stored(self, room_id: int, author: Any, client_id: Any) -> M | None:
        """The message ``author`` sent to the room with ``client_id``, if it was stored."""
        return (
            self.message_model._default_manager.filter(
                **{f"{self.room_field}_id": room_id}, author=author, client_id=client_id
            )
            .select_related(*self.related)
            .first()
        )

    def post(
        self,
        room_id: int,
        *,
        author: Any,
        body: Any,
        client_id: Any = None,
        allow_empty: bool = False,
        **extra: Any,
    ) -> tuple[M, bool]:
        """Store a message and broadcast it; a retried ``client_id`` returns the stored one.

        Returns (message, created). Raises PermissionDenied, ValidationError or RateLimited.
        """
        try:
            body = clean_body(body, allow_empty=allow_empty)
            client_uuid = parse_client_id(client_id)
            existing = self.stored(room_id, author, client_uuid)
            if existing is not None:
                self.seen_again(existing, author)
                self.abandon(extra)
                return existing, False
            room = self.room_model.objects.filter(pk=room_id).first()
            if room is None:
                raise PermissionDenied
            self.may_post(author, room)
            self.check(room, author, extra)
            check_rate(author)
            with transaction.atomic():
                room = self.room_model.objects.select_for_update().get(pk=room_id)
                rights = self.may_post(author, room)
                room.last_seq += 1
                room.last_message_at = timezone.now()
                message = self.message_model(
                    **{self.room_field: room},
                    seq=room.last_seq,
                    author=author,
                    client_id=client_uuid,
                    body=body,
                    body_html=render_markdown(body, chat=True),
                    created_at=room.last_message_at,
                )
                changed = self.prepare(message, room, rights, extra)
                room.save(update_fields=["last_seq", "last_message_at", *changed])
                message.save(force_insert=True)
                self.member_model.objects.filter(**{self.room_field: room}, user=author).update(
                    last_read_seq=room.last_seq
                )
                self.posted(message, room, rights, extra)
                broadcast_after_commit(self.group(room), self.frame(message))
                transaction.on_commit(MESSAGES_POSTED.labels(self.metric_kind(room)).inc)
        except IntegrityError:
            # the same client id raced in through another connection: that one was stored
            self.abandon(extra)
            existing = self.stored(room_id, author, client_uuid)
            if existing is None:
                raise
            return existing, False
        except BaseException:
            self.abandon(extra)
            raise
        return message, True

    def mark_read(self, room: Any, *, user: Any, seq: Any) -> int:
        """Move the user's read marker forward (never back); returns the marker."""
        marker = min(sequence_number(seq), int(room.last_seq))
        self.member_model.objects.filter(
            **{self.room_field: room}, user=user, last_read_seq__lt=marker
        ).update(last_read_seq=marker)
        return marker

    def missed(self, room: Any, after: int) -> list[M]:
        """The messages after sequence number ``after``, at most ``sync_batch`` of them."""
        return list(
            self.message_model._default_manager.filter(**{self.room_field: room}, seq__gt=after)
            .select_related(*self.related)
            .prefetch_related(*self.prefetch)
            .order_by("seq")[: self.sync_batch]
        )

    def rows(self, message: M, languages: Iterable[str] | None = None) -> dict[str, str]:
        """The message's row in each language of the platform, the same for every reader: what
        only some readers may use is marked (``data-needs``) and shown by the page's styles
        from the room's rights and ``data-mine``, which the client sets for its own messages.
        A broadcast carries every language; an answer to one socket only the socket's."""
        if self.content_template is None:
            prefetch_related_objects([message], *self.prefetch)
        rows: dict[str, str] = {}
        for language in languages or [code for code, _name in settings.LANGUAGES]:
            if getattr(message, "content_of", None) != (language, self.version(message)):
                self.with_contents([message], language)
            with translation.override(language):
                rows[language] = render_to_string(self.row_template, {"message": message})
        return rows

    def content_key(self, message: M, language: str) -> str:
        """One entry per message and language, holding its version and content: a new version
        replaces the old one, so an edited or deleted text does not stay in the cache."""
        label = self.message_model._meta.label_lower
        return f"content:{templates_version()}:{label}:{message.pk}:{language}"

    def forget_contents(self, message: M) -> None:
        """Drops the message's cached contents, for a change the version does not show (such
        as a moment of posting set afterwards, as the demo data does)."""
        languages = [code for code, _name in settings.LANGUAGES]
        cache.delete_many([self.content_key(message, language) for language in languages])

    def with_contents(self, messages: Sequence[M], language: str) -> Sequence[M]:
        """Gives every message its ``content`` in ``language``: from the cache, or rendered and
        cached. The messages need nothing loaded for it: what a content reads is loaded for
        the ones rendered only.

        Rendering every row of a page's fifty messages in full on every request took the
        ceiling from 1,500 to 1,000 users on one machine; with the contents cached it is
        healthy at 2,000 (docs/BENCHMARKS.md, "Ceiling")."""
        if self.content_template is None:
            return messages
        keys = {self.content_key(message, language): message for message in messages}
        try:
            cached = cache.get_many(list(keys))
        except Exception:
            logger.warning("Could not read message contents from the cache", exc_info=True)
            cached = {}
        versions = {key: self.version(message) for key, message in keys.items()}
        current = {
            key: entry[1]
            for key, entry in cached.items()
            if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == versions[key]
        }
        missing = [message for key, message in keys.items() if key not in current]
        prefetch_related_objects(missing, *self.related, *self.prefetch)
        rendered: dict[str, tuple[str, str]] = {}
        with translation.override(language):
            for key, message in keys.items():
                content = current.get(key)
                if content is None:
                    content = render_to_string(self.content_template, {"message": message})
                    rendered[key] = (versions[key], content)
                message.content = mark_safe(content)  # noqa: S308 (our template's output)
                message.content_of = (language, versions[key])
        if rendered:
            try:
                cache.set_many(rendered, self.content_seconds)
            except Exception:
                logger.warning("Could not cache message contents", exc_info=True)
        return messages

    def replay(
        self, room: Any, after: int, language: str | None = None
    ) -> tuple[list[Frame], dict[str, Any]]:
        """The frames of ``sync``: what came after ``after``, and the ``synced`` details; the
        rows in ``language`` only, where given."""
        return self.synced(room, self.missed(room, after), language)

    def synced(
        self, room: Any, messages: list[M], language: str | None = None
    ) -> tuple[list[Frame], dict[str, Any]]:
        """The frames of ``messages`` (from ``missed``) and the ``synced`` details."""
        more = bool(messages) and messages[-1].seq < room.last_seq
        if language:
            self.with_contents(messages, language)  # one cache round trip for them all
        frames = [self.frame(message, language) for message in messages]
        return frames, {"last_seq": room.last_seq, "more": more}


class ChatConsumer(JsonFrameConsumer):
    """What a chat room's socket answers the same way for every kind of room: service calls
    mapped to error frames, the ``ack`` of a send, and the ``sync`` replay."""

    #: the text of the ``not_found`` error: no hint whether the room or message exists
    not_found_text: Any = gettext_lazy("This channel or message does not exist.")

    def not_found(self) -> FrameError:
        return FrameError("not_found", str(self.not_found_text))

    async def call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``function`` in the database thread; its refusals become error frames."""
        try:
            return await database_sync_to_async(function)(*args, **kwargs)
        except (Http404, PermissionDenied, ObjectDoesNotExist):
            raise self.not_found() from None
        except RateLimited:
            raise FrameError(
                "rate_limited", _("You are sending messages too fast. Wait a moment.")
            ) from None
        except ValidationError as error:
            stopped = getattr(error, "code", None) == "content_stopped"
            raise FrameError(
                "content_stopped" if stopped else "invalid", " ".join(error.messages)
            ) from None

    async def acknowledge(self, frame: Frame, room: int, message: M) -> None:
        await self.send_frame({
            "type": "ack", "ref": frame_ref(frame), "room": room, "id": message.pk,
            "seq": message.seq, "client_id": str(message.client_id),
        })  # fmt: skip

    @staticmethod
    def after(frame: Frame) -> int:
        """The sequence number a ``sync`` frame asks to replay after (0: from the start)."""
        after = frame.get("after", 0)
        if not is_number(after):
            raise FrameError("bad_frame", _("“after” must be a sequence number."))
        return after

    #: at most this many rooms in one ``ping``
    max_ping_rooms = 10

    def followed_rooms(self) -> set[int]:
        """The rooms whose numbers a ``ping`` may ask for: those the socket follows."""
        return set()

    def latest(self, rooms: list[int]) -> list[Frame]:
        """The newest numbers of ``rooms`` (``last_seq``, and ``last_change`` where the room
        has one); run in the database thread."""
        return []

    async def handle_ping(self, frame: Frame) -> None:
        """``pong``; for a ``ping`` with ``rooms`` (the rooms the tab shows), with their newest
        numbers: a tab that missed a broadcast (the layer lost it) sees the gap at its next ping
        and asks ``sync`` for it. Rooms the socket does not follow are left out."""
        answer: Frame = {"type": "pong"}
        ref = frame_ref(frame)
        if ref is not None:
            answer["ref"] = ref
        asked = frame.get("rooms")
        if isinstance(asked, list) and asked:
            followed = self.followed_rooms()
            rooms = [
                room
                for room in asked[: self.max_ping_rooms]
                if is_number(room, minimum=1) and room in followed
            ]
            if rooms:
                answer["rooms"] = await database_sync_to_async(self.latest)(rooms)
        await self.send_frame(answer)

    async def replay(self, frame: Frame, room: int, frames: list[Frame], **done: Any) -> None:
        """Send what ``sync`` found, then ``synced`` with ``done`` (``last_seq``, ``more``…)."""
        for message_frame in frames:
            await self.send_frame(message_frame)
        await self.send_frame({"type": "synced", "ref": frame_ref(frame), "room": room, **done})
