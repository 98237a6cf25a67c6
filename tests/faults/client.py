"""A chat client that behaves like the browser's: it reconnects, syncs and resends.

It sends its messages one at a time, each with its own client id, until every one is
acknowledged; after any reconnect it subscribes again, asks ``sync`` for what it missed and
resends what was never acknowledged. It records every message it sees per sequence number and
which of them arrived live (not through ``sync``).
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections import Counter
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

CONNECT_ERRORS = (OSError, ConnectionClosed, InvalidHandshake, asyncio.TimeoutError)


def connect_as(url: str, cookie: str, **options: Any) -> Any:
    """A socket to ``url`` with the session ``cookie``, as a browser of the site opens it."""
    return connect(
        url,
        additional_headers={
            "Cookie": f"sessionid={cookie}",
            "Origin": url.replace("ws://", "http://").removesuffix("/ws/"),
        },
        ping_interval=None,
        **options,
    )


class Reconnect(Exception):
    """The socket is gone or not answering: connect again."""


class ChatClient:
    def __init__(
        self, name: str, cookie: str, urls: list[str], room: int, messages: int, interval: float
    ) -> None:
        self.name = name
        self.cookie = cookie
        self.urls = urls
        self.room = room
        self.interval = interval
        self.to_send = [str(uuid.uuid4()) for _ in range(messages)]
        self.acked: dict[str, int] = {}
        self.history: dict[int, int] = {}  # seq → message id
        self.live: set[int] = set()  # seqs that arrived as live broadcasts
        self.contiguous = 0
        self.errors: Counter[str] = Counter()
        self.connections = 0
        self.closes: Counter[int | None] = Counter()  # close codes of the sockets it lost
        self.waiting: dict[str, asyncio.Future] = {}
        self.need_sync = False
        self.syncing = False

    # ---- state ---------------------------------------------------------------------------

    @property
    def unacked(self) -> list[str]:
        return [client_id for client_id in self.to_send if client_id not in self.acked]

    def _record(self, frame: dict[str, Any], *, live: bool) -> None:
        if frame.get("room") != self.room:
            return
        seq = frame["seq"]
        self.history[seq] = frame["id"]
        if live:
            self.live.add(seq)
        if seq > self.contiguous + 1:
            self.need_sync = True
        while self.contiguous + 1 in self.history:
            self.contiguous += 1

    def stop_sending(self) -> None:
        """Send nothing after the message under way: the ones not yet sent are dropped."""
        del self.to_send[len(self.acked) + 1 :]

    # ---- the connection ------------------------------------------------------------------

    def connect(self, url: str) -> Any:
        return connect_as(url, self.cookie, open_timeout=5, max_size=2**22)

    async def run(self, finished: asyncio.Event) -> None:
        """Send everything, then stay until ``finished`` and end with a complete history."""
        attempt = 0
        while True:
            url = self.urls[attempt % len(self.urls)]
            ws = None
            try:
                async with self.connect(url) as ws:
                    self.connections += 1
                    attempt = 0
                    await self._session(ws, finished)
                    return
            except (*CONNECT_ERRORS, Reconnect):
                if ws is not None:
                    self.closes[ws.close_code] += 1
                attempt += 1
                await asyncio.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))

    async def _session(self, ws, finished: asyncio.Event) -> None:
        reader = asyncio.create_task(self._read(ws))
        try:
            await self._request(ws, {"type": "subscribe", "room": self.room}, timeout=10)
            await self._sync(ws)
            while self.unacked:
                if self.need_sync:
                    await self._sync(ws)
                client_id = self.unacked[0]
                reply = await self._request(
                    ws,
                    {"type": "send", "room": self.room, "client_id": client_id,
                     "body": f"{self.name}: {client_id}"},
                    ref=client_id,
                )  # fmt: skip
                if reply["type"] == "ack":
                    self.acked[client_id] = reply["id"]
                    await asyncio.sleep(self.interval)
                else:
                    self.errors[reply.get("code", "?")] += 1
                    await asyncio.sleep(0.2)
            while not finished.is_set():
                if self.need_sync:
                    await self._sync(ws)
                await asyncio.sleep(0.1)
            await self._sync(ws)
        finally:
            reader.cancel()

    async def _read(self, ws) -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if frame.get("type") == "message.created":
                    self._record(frame, live=not self.syncing)
                ref = frame.get("ref")
                if ref is not None and ref in self.waiting and not self.waiting[ref].done():
                    self.waiting[ref].set_result(frame)
        except ConnectionClosed:
            pass
        finally:
            for future in self.waiting.values():
                if not future.done():
                    future.set_exception(Reconnect())

    async def _request(
        self, ws, frame: dict[str, Any], *, ref: str | None = None, timeout: float = 15
    ) -> dict[str, Any]:
        ref = ref or str(uuid.uuid4())
        future = asyncio.get_running_loop().create_future()
        self.waiting[ref] = future
        try:
            await ws.send(json.dumps({**frame, "ref": ref}))
            return await asyncio.wait_for(future, timeout)
        except (TimeoutError, ConnectionClosed):
            raise Reconnect() from None
        finally:
            self.waiting.pop(ref, None)

    async def _sync(self, ws) -> None:
        """Ask for everything after the last unbroken sequence number, until nothing is left."""
        self.need_sync = False
        self.syncing = True
        try:
            while True:
                reply = await self._request(
                    ws, {"type": "sync", "room": self.room, "after": self.contiguous}
                )
                if reply["type"] == "error":
                    self.errors[reply.get("code", "?")] += 1
                    await asyncio.sleep(0.2)
                    continue
                if not reply["more"] and self.contiguous >= reply["last_seq"]:
                    return
                if not reply["more"] and self.contiguous < reply["last_seq"]:
                    # a message committed after the replay's query: ask again
                    await asyncio.sleep(0.05)
        finally:
            self.syncing = False
