"""The JSON frame protocol shared by the platform's websocket consumers.

Every frame is a JSON object with a ``type``. A bad frame (not JSON, too large, unknown type,
not allowed) is answered with an ``error`` frame carrying a code and a readable message; the
connection stays open and nothing is stored.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import logging
import os
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from types import SimpleNamespace
from typing import Any, ClassVar, TypeGuard

from asgiref.sync import SyncToAsync, async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user
from django.core.cache import cache
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core import layerwatch
from core.metrics import LAYER_ERRORS, OPEN_SOCKETS

logger = logging.getLogger(__name__)

_ProtocolClosed: type[Exception]
try:  # daphne's websocket protocol raises this for a send once the closing handshake began
    from autobahn.exception import Disconnected as _ProtocolClosed
except ImportError:  # another ASGI server: the specification asks for an OSError subclass
    _ProtocolClosed = OSError

#: What a send to a browser that has just gone raises.
SEND_AFTER_CLOSE = (OSError, _ProtocolClosed)

Frame = dict[str, Any]

#: Ids and sequence numbers are signed 64-bit integers in the database.
MAX_NUMBER = 2**63 - 1


def is_number(value: Any, *, minimum: int = 0) -> TypeGuard[int]:
    """True for an ``int`` (not a ``bool``) from ``minimum`` up to ``MAX_NUMBER``."""
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= MAX_NUMBER


#: Close codes sent before ``accept()`` are turned into an HTTP 403 by daphne; these are used
#: after accept, when a session ends while the socket is open.
CLOSE_UNAUTHENTICATED = 4401
#: the socket's user may no longer use it (deactivated, unverified, removed, not covered)
CLOSE_FORBIDDEN = 4403
#: a case room's recent sign-in with the second factor has run out: confirm it is you again
CLOSE_REAUTHENTICATE = 4428
#: the channel layer stopped delivering to this socket (``core.layerwatch``): connect again and
#: ``sync``; outside 4400–4499, so the client retries
CLOSE_RECONNECT = 4503


def broadcast_after_commit(group: str, frame: Frame, **control: Any) -> None:
    """Send ``frame`` to every socket in ``group`` once the transaction has committed.

    ``control`` travels beside the frame for the consumers themselves (e.g. which room to
    leave, or to close the socket); it is never sent to the browser. Consumers handle the
    event as ``frame_forward``.
    """
    # Serialised once here; consumers forward the text as it is to each recipient. A frame with
    # a message's rows in several languages is serialised once per language, and each socket
    # gets the one in its own (``forwarded_text``): a reader receives one row, not all.
    text = json.dumps(frame, separators=(",", ":"), default=str)
    event: dict[str, Any] = {"type": "frame.forward", "text": text, **control}
    rows = frame.get("rows")
    if isinstance(rows, dict) and len(rows) > 1:
        event["texts"] = {
            language: json.dumps({**frame, "rows": {language: row}}, separators=(",", ":"))
            for language, row in rows.items()
        }
    group_send_after_commit(group, event)


def user_group(user_id: int) -> str:
    """Every socket of one person: notifications, membership changes, read markers."""
    return f"user.{user_id}"


def rights_group(user_id: int) -> str:
    """The group of every open socket of one user, on every transport and in every process."""
    return f"rights.{user_id}"


#: a socket checks its rights in full at least this often while it receives frames
FULL_CHECK_SECONDS = 60
#: how long a user's rights version is kept; a missing one only causes a full check
RIGHTS_VERSION_SECONDS = 24 * 3600


def rights_version_key(user_id: int) -> str:
    return f"rights:{user_id}"


def _current_rights_version(user_id: int) -> str | None:
    try:
        version = cache.get(rights_version_key(user_id))
    except Exception:
        return None
    return None if version is None else str(version)


def rights_changed(user_id: int) -> None:
    """Something that may take rights away from this user has changed: every open socket of
    the user, in every process, checks its rights again as soon as the change has committed,
    and closes if they are gone.

    Called for deactivation, lost verification, credential changes, a removed second factor
    and ended sessions. At commit a new rights version is written to the shared cache first,
    so a frame that reaches a socket before the event is checked in full all the same.
    """

    def new_version() -> None:
        try:
            cache.set(rights_version_key(user_id), uuid.uuid4().hex, RIGHTS_VERSION_SECONDS)
        except Exception:
            # Sockets still get the event, and check in full every FULL_CHECK_SECONDS.
            logger.warning("Could not record a rights change for user %s", user_id, exc_info=True)

    transaction.on_commit(new_version)  # runs before the event below: callbacks keep order
    group_send_after_commit(rights_group(user_id), {"type": "rights.changed"})


def group_send_after_commit(group: str, event: dict[str, Any]) -> None:
    """Send a channel-layer ``event`` to ``group`` once the transaction has committed."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        loop = _event_loop_of_this_thread()
        if loop is not None:
            # Called from a socket's or request's database thread: hand the send to the event
            # loop and go on, instead of holding the thread until Redis has answered.
            future = asyncio.run_coroutine_threadsafe(layer.group_send(group, event), loop)
            future.add_done_callback(lambda done: _log_failure(group, done))
            return
        if _event_loop_of_this_thread(stopped=True) is not None:
            # The process is stopping (SIGTERM) and its event loop has ended: async_to_sync
            # would wait for that loop for ever and hold the process at exit. The change is
            # committed; the readers' clients fetch it with ``sync`` when they reconnect.
            logger.info("Not sent to %s: the server is stopping", group)
            return
        running = _running_loop()
        if running is not None:
            # Committed by code running inside an event loop's own thread (allowed to use the
            # ORM there): async_to_sync cannot wait here, so the loop sends it.
            task = running.create_task(layer.group_send(group, event))
            _pending_sends.add(task)
            task.add_done_callback(_pending_sends.discard)
            task.add_done_callback(lambda done: _log_failure(group, done))
            return
        try:
            async_to_sync(layer.group_send)(group, event)
        except Exception:
            # The change is committed; live delivery is best effort and clients fill any
            # gap with ``sync``. Failing here would tell the sender that nothing was stored.
            LAYER_ERRORS.labels("send").inc()
            logger.warning("Send to %s failed", group, exc_info=True)

    transaction.on_commit(send)


def _event_loop_of_this_thread(*, stopped: bool = False) -> asyncio.AbstractEventLoop | None:
    """The running event loop that called this thread through ``sync_to_async``, if any; with
    ``stopped``, that loop if it has stopped without being closed, where async_to_sync would
    hand it work that nobody runs."""
    # asgiref records it per thread for its own async_to_sync; None in management commands.
    threadlocal = SyncToAsync.threadlocal
    if getattr(threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(threadlocal, "main_event_loop", None)
    if loop is None or loop.is_closed():
        return None
    return loop if loop.is_running() != stopped else None


#: sends handed to a running loop, kept until done (the loop holds tasks only weakly)
_pending_sends: set[asyncio.Task[None]] = set()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _log_failure(group: str, done: concurrent.futures.Future[Any] | asyncio.Task[Any]) -> None:
    if done.cancelled():
        return
    error = done.exception()
    if error is not None:
        LAYER_ERRORS.labels("send").inc()
        logger.warning("Broadcast to %s failed", group, exc_info=error)


def session_group(session_key: str) -> str:
    """The group of every socket opened with one browser session (the key itself stays out)."""
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def end_session_sockets(session_key: str | None) -> None:
    """Close every socket opened with this session, in every process, once the transaction that
    ended the session has committed. Sockets also stop at their next frame: the session no
    longer exists."""
    if session_key:
        group_send_after_commit(session_group(session_key), {"type": "session.end"})


def fresh_session(session: Any) -> Any:
    """The socket's session as it is now in the store; None if it has ended or expired."""
    key = getattr(session, "session_key", None)
    if not key:
        return None
    store = session.__class__(key)
    store.items()  # loads it: an ended or expired session loads empty and loses its key
    return store if store.session_key == key else None


def session_expiry(session: Any) -> float:
    """When the session expires, as a timestamp (the database's own date where it has one)."""
    loaded = getattr(session, "loaded_expiry", None)
    if loaded is not None:  # read with the session itself (core.sessions)
        return float(loaded.timestamp())
    model = getattr(session, "get_model_class", None)
    if model is None:
        return float(session.get_expiry_date().timestamp())
    expires = (
        model()
        .objects.filter(session_key=session.session_key)
        .values_list("expire_date", flat=True)
        .first()
    )
    return expires.timestamp() if expires is not None else time.time()


class FrameError(Exception):
    """Raised by a frame handler to answer with an ``error`` frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def frame_ref(frame: Frame | None) -> str | None:
    """The client's own reference for a frame, echoed so it can match the answer."""
    if frame is not None and isinstance(frame.get("ref"), str | int):
        return str(frame["ref"])[:64]
    return None


#: the process's accepted sockets until their ``websocket_disconnect``, for /metrics; weakly
#: held, so that a consumer whose handler failed (and that hears no disconnect) drops out too
_open_sockets: weakref.WeakSet[JsonFrameConsumer] = weakref.WeakSet()
OPEN_SOCKETS.set_function(lambda: len(_open_sockets))


class JsonFrameConsumer(AsyncWebsocketConsumer):
    """Authenticated websocket that dispatches JSON frames to ``handle_<type>`` methods."""

    # Larger frames are answered with ``too_large``; the server process (config.daphne) lets
    # frames far larger than this through so that they get that answer, and closes the socket
    # with 1009 only beyond its own limit.
    max_frame_bytes: ClassVar[int] = 64 * 1024
    #: frame type -> name of the coroutine method that handles it
    frame_handlers: ClassVar[dict[str, str]] = {"ping": "handle_ping"}

    language: str = settings.LANGUAGE_CODE
    groups: list[str]

    def forwarded_text(self, event: dict[str, Any]) -> str:
        """The text of a ``frame.forward`` event for this socket: in its language, where the
        frame comes in several (``broadcast_after_commit``)."""
        texts = event.get("texts")
        return str(texts.get(self.language, event["text"]) if texts else event["text"])

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        # Join the session's and the user's groups before anything else, so that signing out
        # or losing a right reaches this socket from any process.
        session = self.scope.get("session")
        key = getattr(session, "session_key", None)
        groups: list[str] = list(self.groups or [])
        self.groups = [*groups, session_group(key)] if key else groups
        user = self.scope.get("user")
        if getattr(user, "is_authenticated", False):
            self.groups.append(rights_group(user.pk))
        await super().websocket_connect(message)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        self._cancel_rights_timer()
        self._unwatch()
        _open_sockets.discard(self)
        await super().websocket_disconnect(message)

    async def session_end(self, event: dict[str, Any]) -> None:
        """The browser session behind this socket signed out: nothing more reaches it."""
        await self.end_socket(CLOSE_UNAUTHENTICATED)

    async def rights_changed(self, event: dict[str, Any]) -> None:
        """Something that may take rights away has changed for this user: check them now."""
        if getattr(self, "accepted", False):
            await self.enforce_rights()

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close()
            return
        self.user = user
        if not await self.authorise(user):
            await self.close()
            return
        # The first full check, before the handshake is answered: refused at the door, and no
        # first frame waits behind it.
        code, next_check = await database_sync_to_async(self._check_rights)()
        if code is not None:
            await self.close()
            return
        self.language = self._language_from_cookie()
        await self.accept()
        self.accepted = True
        _open_sockets.add(self)
        await self.on_accepted()
        # from now on the process joins the socket's groups again if the layer loses them
        self._watch: layerwatch.LayerWatch | None = layerwatch.watch(self.channel_layer)
        self._watch.add(self)
        if await self.rights_unchanged():  # nothing changed while the handshake was answered
            self._schedule_rights_check(next_check)
        else:
            await self.enforce_rights()

    # ---- rights for the whole life of the socket -------------------------------------------

    async def enforce_rights(self) -> bool:
        """Check the socket's rights in full; close it if they are gone. True while they hold.

        After the check at the handshake, runs on every ``rights.changed`` event, when a deadline
        passes (the session's expiry, a case room's recent sign-in), and before a frame whenever
        ``rights_unchanged`` cannot vouch for the last check.
        """
        if getattr(self, "ended", False):
            return False
        code, next_check = await database_sync_to_async(self._check_rights)()
        if code is not None:
            await self.end_socket(code)
            return False
        self._schedule_rights_check(next_check)
        return True

    async def rights_unchanged(self) -> bool:
        """Whether the last full check still holds, at the cost of one cache read.

        ``rights_changed`` writes a new version for the user in the shared cache when the
        change commits, before any event is sent: a frame that reaches any process after the
        change finds the version changed and gets a full check. A full check at least every
        ``FULL_CHECK_SECONDS`` covers changes made without the signals (raw SQL). (A full check
        before every frame cost 2.5–3 ms a frame: a cheap ``sync`` took 6–8 ms instead of 3.5–4.5.)
        """
        if (
            self.past_deadline()
            or time.monotonic() - getattr(self, "_checked_at", -FULL_CHECK_SECONDS)
            >= FULL_CHECK_SECONDS
        ):
            return False
        try:
            version = await cache.aget(rights_version_key(self.user.pk))
        except Exception:  # the cache is unavailable: the database decides
            return False
        return bool(version == getattr(self, "_rights_version", object()))

    def past_deadline(self) -> bool:
        """Whether the time the last full check vouched for (session expiry, recent sign-in)
        has passed."""
        return time.time() >= getattr(self, "_valid_until", 0)

    def _check_rights(self) -> tuple[int | None, float | None]:
        # Read before the check, so a change during it is seen by the next frame; kept only if
        # the rights hold (a failed check vouches for nothing).
        version = _current_rights_version(self.user.pk)
        session = fresh_session(self.scope.get("session"))
        if session is None:
            return CLOSE_UNAUTHENTICATED, None
        user = get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]
        if not user.is_authenticated or user.pk != self.user.pk:
            # signed out, expired, password changed elsewhere, or the account was deactivated
            return CLOSE_UNAUTHENTICATED, None
        self.user = user  # a fresh object: nothing cached from before (verification, roles)
        code, deadline = self.rights_hold(user, session)
        if code is not None:
            return code, None
        expiry = session_expiry(session)
        until = expiry if deadline is None else min(deadline, expiry)
        self._rights_version = version
        self._checked_at = time.monotonic()
        self._valid_until = until
        return None, until

    def rights_hold(self, user: Any, session: Any) -> tuple[int | None, float | None]:
        """The consumer's own rule, run in a thread with a fresh user and session.

        Returns a close code if the rights are gone, else None, and the time at which they
        must be checked again (None: only the session's expiry).
        """
        return None, None

    async def end_socket(self, code: int) -> None:
        """Rights ended: say why, leave every group, close. Nothing more reaches this socket."""
        if getattr(self, "ended", False):
            return
        self.ended = True
        self._cancel_rights_timer()
        self._unwatch()
        kind = {
            CLOSE_UNAUTHENTICATED: "session.ended",
            CLOSE_REAUTHENTICATE: "reauthentication.required",
        }.get(code, "access.ended")
        await self.send_frame({"type": kind, "code": code})
        await self.leave_groups()
        await self.close(code=code)

    async def leave_groups(self) -> None:
        """Leave every group this socket joined (overridden by consumers with their own)."""
        for group in self.groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    def live_groups(self) -> list[str]:
        """Every group the socket is in now (extended by consumers that join their own); the
        process joins them again if the layer loses them (``core.layerwatch``)."""
        return [] if getattr(self, "ended", False) else list(self.groups)

    def _unwatch(self) -> None:
        watch = getattr(self, "_watch", None)
        if watch is not None:
            watch.discard(self)
            self._watch = None

    def _schedule_rights_check(self, at: float | None) -> None:
        self._cancel_rights_timer()
        if at is None:
            return
        delay = max(0.0, at - time.time()) + 0.05
        loop = asyncio.get_running_loop()
        self._rights_timer: asyncio.TimerHandle | None = loop.call_later(
            delay, self._rights_deadline
        )

    def _rights_deadline(self) -> None:
        self._rights_task = asyncio.ensure_future(self.enforce_rights())

    def _cancel_rights_timer(self) -> None:
        timer = getattr(self, "_rights_timer", None)
        if timer is not None:
            timer.cancel()
            self._rights_timer = None

    async def authorise(self, user: Any) -> bool:
        """Decide, before accepting, whether ``user`` may open this socket."""
        return True

    async def on_accepted(self) -> None:
        """Join groups and send the first frames once the socket is open."""

    def _language_from_cookie(self) -> str:
        headers = dict(self.scope.get("headers") or [])
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
        except Exception:  # a malformed cookie header must not stop the connection
            return settings.LANGUAGE_CODE
        morsel = cookie.get(settings.LANGUAGE_COOKIE_NAME)
        codes = {code for code, _name in settings.LANGUAGES}
        if morsel is not None and morsel.value in codes:
            return morsel.value
        return settings.LANGUAGE_CODE

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame: Frame | None = None
        if getattr(self, "ended", False):
            return  # rights ended: frames still on their way are not handled
        with translation.override(self.language):
            try:
                frame = self._parse(text_data, bytes_data)
                handler = self._handler_for(frame)
                if not await self.rights_unchanged() and not await self.enforce_rights():
                    return
                await handler(frame)
            except FrameError as error:
                await self.send_error(error.code, error.message, frame_ref(frame))
            except Exception:
                logger.exception("Websocket frame handler failed")
                await self.send_error(
                    "internal_error",
                    _("Something went wrong on the server. Nothing was changed."),
                    frame_ref(frame),
                )

    def _parse(self, text_data: str | None, bytes_data: bytes | None) -> Frame:
        if text_data is None:
            raise FrameError("bad_frame", _("Frames must be JSON text, not binary data."))
        # A character takes at least one byte: a frame longer in characters needs no encoding.
        if len(text_data) > self.max_frame_bytes or (
            len(text_data.encode("utf-8", "surrogatepass")) > self.max_frame_bytes
        ):
            raise FrameError(
                "too_large",
                _("This frame is larger than %(limit)d bytes.") % {"limit": self.max_frame_bytes},
            )
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):
            raise FrameError("bad_json", _("This frame is not valid JSON.")) from None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            raise FrameError("bad_frame", _("A frame must be a JSON object with a type."))
        return frame

    def _handler_for(self, frame: Frame) -> Callable[[Frame], Awaitable[None]]:
        name = self.frame_handlers.get(frame["type"])
        if name is None:
            raise FrameError(
                "unknown_type",
                _("Unknown frame type: %(type)s.") % {"type": frame["type"][:50]},
            )
        handler: Callable[[Frame], Awaitable[None]] = getattr(self, name)
        return handler

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        """Send to the browser; nothing happens if it has just gone.

        Between the browser closing and ``websocket.disconnect`` reaching this consumer, events
        for it (a broadcast, a read marker) can still arrive. Raising there would end the
        consumer before ``disconnect`` has left its groups; the browser fetches what it missed
        with ``sync`` when it comes back.
        """
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except SEND_AFTER_CLOSE:
            logger.debug("Dropped a frame for a socket that is closing")

    async def send_frame(self, frame: Frame) -> None:
        await self.send(text_data=json.dumps(frame, separators=(",", ":")))

    async def send_error(
        self, code: str, message: str, ref: str | None = None, **details: Any
    ) -> None:
        frame: Frame = {"type": "error", "code": code, "message": str(message)}
        if ref is not None:
            frame["ref"] = ref
        await self.send_frame({**frame, **details})

    async def handle_ping(self, frame: Frame) -> None:
        answer: Frame = {"type": "pong"}
        ref = frame_ref(frame)
        if ref is not None:
            answer["ref"] = ref
        await self.send_frame(answer)
