"""Every process checks that the channel layer still delivers to it, and joins its sockets'
groups again when the layer has lost them.

A socket joins its groups when it opens and when it subscribes; the standard layer keeps them
in Redis only, where a flush or a restart loses them and where each membership expires
``group_expiry`` seconds after it was added (a day by default). A socket left without its
groups stays open but deaf: no broadcast, no revocation reaches it.

So each process keeps a canary: a channel of its own in a group of its own on each of the
layer's Redis servers (its shards: channels_redis puts each group on one of them, by a hash of
the group's name), to which it sends itself a probe every ``PROBE_EVERY`` seconds. A probe that
does not come back within ``PROBE_WAIT`` means that shard lost the canary's group, and so
everyone's there: every open socket of the process joins its groups on that shard again
(``JsonFrameConsumer.live_groups``). If the next probe does not come back either, though the
layer takes sends, the process closes the sockets that have groups on that shard with
``CLOSE_RECONNECT``: their clients connect again and ``sync``. Every socket's groups are also
joined again before half the layer's ``group_expiry`` has passed since it last joined them, so
that no membership expires while the socket is open.

One watch per event loop (one per server process), running while it has sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.metrics import LAYER_ERRORS, LAYER_REPAIRS

try:
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubChannelLayer
except ImportError:  # pragma: no cover - only with another layer

    class RedisChannelLayer:  # type: ignore[no-redef]
        pass

    class RedisPubSubChannelLayer:  # type: ignore[no-redef]
        pass


if TYPE_CHECKING:
    from core.protocol import JsonFrameConsumer

logger = logging.getLogger(__name__)

#: seconds between probes
PROBE_EVERY = 2.0
#: seconds a probe may take to come back before the layer counts as having lost its groups
PROBE_WAIT = 2.0
#: memberships joined again at the same time (one pipeline on the standard Redis layer)
JOIN_CONCURRENCY = 50
JOIN_BATCH = 500
#: seconds after closing the sockets before the watch closes them again
CLOSE_PAUSE = 30.0


def shard_count(layer: Any) -> int:
    """How many Redis servers the layer spreads its groups over (1 for other layers)."""
    if isinstance(layer, RedisChannelLayer):
        return int(layer.ring_size)
    if isinstance(layer, RedisPubSubChannelLayer):
        return len(layer._get_layer()._shards)
    return 1


def shard_of(layer: Any, group: str) -> int:
    """The index of the Redis server that holds ``group``, as the layer itself chooses it."""
    if isinstance(layer, RedisChannelLayer):
        return int(layer.consistent_hash(group))
    if isinstance(layer, RedisPubSubChannelLayer):
        loop_layer = layer._get_layer()
        shard = loop_layer._get_shard(loop_layer._get_group_channel_name(group))
        return int(loop_layer._shards.index(shard))
    return 0


def canary_group(layer: Any, shard: int) -> str:
    """A new group name of the watch's own that the layer puts on ``shard``."""
    while True:
        group = f"layerwatch.{uuid.uuid4().hex}"
        if shard_of(layer, group) == shard:
            return group


@dataclass
class Canary:
    """The watch's group on one shard, and what its probes found."""

    shard: int
    group: str
    joined: float = 0.0
    rejoined: bool = False  # the sockets joined their groups again since a probe came back
    closed_at: float = -CLOSE_PAUSE


class LayerWatch:
    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.consumers: weakref.WeakSet[JsonFrameConsumer] = weakref.WeakSet()
        #: when each socket last joined its groups (monotonic seconds)
        self.joined: weakref.WeakKeyDictionary[JsonFrameConsumer, float] = (
            weakref.WeakKeyDictionary()
        )
        self.task: asyncio.Task[None] | None = None
        self.sent = 0
        self.awaited: set[int] = set()  # probes under way
        self.heard: set[int] = set()  # of those, the ones that came back
        self.arrived = asyncio.Event()
        self.rejoins = 0  # how often the sockets joined their groups again after a loss
        self.closes = 0  # how often the sockets were closed because that did not help

    # ---- sockets -----------------------------------------------------------------------------

    def add(self, consumer: JsonFrameConsumer) -> None:
        self.consumers.add(consumer)
        self.joined[consumer] = time.monotonic()
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run())

    def discard(self, consumer: JsonFrameConsumer) -> None:
        self.consumers.discard(consumer)
        self.joined.pop(consumer, None)
        if not self.consumers and self.task is not None:
            self.task.cancel()
            self.task = None

    # ---- the watch ---------------------------------------------------------------------------

    def refresh_after(self) -> float | None:
        """Seconds after which a socket's memberships are renewed; None if they never expire."""
        try:
            expiry = getattr(self.layer, "group_expiry", None)
        except Exception:
            return None
        return expiry / 2 if isinstance(expiry, int | float) and expiry > 0 else None

    async def run(self) -> None:
        channel: str | None = None
        canaries: list[Canary] = []
        receiver: asyncio.Task[None] | None = None
        try:
            while True:
                if channel is None:
                    try:
                        # the sockets' own kind of channel: the standard layer reads a process's
                        # channels of one kind from one list, in one loop
                        channel = await self.layer.new_channel()
                        canaries = [
                            Canary(shard, canary_group(self.layer, shard))
                            for shard in range(shard_count(self.layer))
                        ]
                        for canary in canaries:
                            await self.layer.group_add(canary.group, channel)
                            canary.joined = time.monotonic()
                        receiver = asyncio.get_running_loop().create_task(self.listen(channel))
                    except Exception:
                        LAYER_ERRORS.labels("watch").inc()
                        logger.warning("The channel layer is unavailable", exc_info=True)
                        channel = None
                        await asyncio.sleep(PROBE_EVERY)
                        continue
                started = time.monotonic()
                found = await asyncio.gather(*(self.probe(c.group) for c in canaries))
                for canary, came_back in zip(canaries, found, strict=True):
                    if await self.check(canary, came_back, channel, len(canaries)):
                        started = time.monotonic()  # a whole interval before the next probe
                refresh = self.refresh_after()
                if refresh is not None:
                    now = time.monotonic()
                    due = [c for c in self.consumers if now - self.joined.get(c, now) >= refresh]
                    if due:
                        await self.rejoin(due)
                    for canary in canaries:
                        if now - canary.joined >= refresh:
                            with contextlib.suppress(Exception):
                                await self.layer.group_add(canary.group, channel)
                                canary.joined = now
                await asyncio.sleep(max(0.0, PROBE_EVERY - (time.monotonic() - started)))
        finally:
            if receiver is not None:
                receiver.cancel()

    async def check(
        self, canary: Canary, came_back: bool | None, channel: str, shards: int
    ) -> bool:
        """Act on what one shard's probe found; True if the sockets joined their groups
        there again or were closed."""
        # None: the shard refuses sends; the sockets' own receives fail too and their
        # clients reconnect: nothing to join until it is back
        if came_back:
            canary.rejoined = False
            return False
        if came_back is None:
            return False
        where = f" (shard {canary.shard + 1} of {shards})" if shards > 1 else ""
        if not canary.rejoined:
            logger.warning("The channel layer lost its groups: joining them again%s", where)
            self.rejoins += 1
            LAYER_REPAIRS.labels("rejoin").inc()
            canary.rejoined = True
            await self.rejoin(list(self.consumers), canary.shard if shards > 1 else None)
            with contextlib.suppress(Exception):
                await self.layer.group_add(canary.group, channel)
                canary.joined = time.monotonic()
            return True
        if time.monotonic() - canary.closed_at < CLOSE_PAUSE:
            return False
        logger.warning("The channel layer still does not deliver: closing sockets%s", where)
        self.closes += 1
        LAYER_REPAIRS.labels("close").inc()
        canary.closed_at = time.monotonic()
        canary.rejoined = False
        await self.close_all(canary.shard if shards > 1 else None)
        # a new group too (a new subscription on the pub/sub layer): its first probe tells
        # whether the shard works again
        old, canary.group = canary.group, canary_group(self.layer, canary.shard)
        with contextlib.suppress(Exception):
            await self.layer.group_discard(old, channel)
            await self.layer.group_add(canary.group, channel)
            canary.joined = time.monotonic()
        return True

    async def listen(self, canary: str) -> None:
        """Note every probe that comes back on the canary channel."""
        while True:
            try:
                message = await self.layer.receive(canary)
            except asyncio.CancelledError:
                raise
            except Exception:
                await asyncio.sleep(1)
                continue
            number = message.get("probe")
            if number in self.awaited:
                self.heard.add(number)
                self.arrived.set()

    async def probe(self, group: str) -> bool | None:
        """Send a probe through a canary's group: True if it came back in time, False if not,
        None if the layer refused the send."""
        self.sent += 1
        number = self.sent
        self.awaited.add(number)
        try:
            try:
                await self.layer.group_send(group, {"type": "layerwatch.probe", "probe": number})
            except Exception:
                LAYER_ERRORS.labels("watch").inc()
                return None
            deadline = time.monotonic() + PROBE_WAIT
            while number not in self.heard:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.arrived.wait(), remaining)
            return True
        finally:
            self.awaited.discard(number)
            self.heard.discard(number)

    async def rejoin(self, consumers: list[JsonFrameConsumer], shard: int | None = None) -> None:
        """Each socket joins its groups again (``live_groups``): those on ``shard``, or all."""
        wanted = {
            consumer: [g for g in consumer.live_groups() if self.on(g, shard)]
            for consumer in consumers
        }
        pairs = [(group, c.channel_name) for c, groups in wanted.items() for group in groups]
        try:
            await self.join(pairs)
        except Exception:
            LAYER_ERRORS.labels("watch").inc()
            logger.warning("Sockets could not join their groups again", exc_info=True)
            return
        now = time.monotonic()
        for consumer, groups in wanted.items():
            still_open = consumer in self.consumers
            if still_open and shard is None:
                self.joined[consumer] = now
            # a group the socket left meanwhile (an unsubscribe, a removal from a room, the
            # socket's end) is left again, so the join cannot bring it back
            current = set(consumer.live_groups()) if still_open else set()
            for group in set(groups) - current:
                with contextlib.suppress(Exception):
                    await self.layer.group_discard(group, consumer.channel_name)

    async def join(self, pairs: list[tuple[str, str]]) -> None:
        """``group_add`` for every (group, channel): on channels_redis' standard layer in
        pipelines of ``JOIN_BATCH`` memberships (what its ``group_add`` sends, without a round
        trip for each command), elsewhere ``JOIN_CONCURRENCY`` at a time."""
        layer = self.layer
        if isinstance(layer, RedisChannelLayer):
            shards: dict[int, list[tuple[str, str]]] = {}
            for group, channel in pairs:
                shards.setdefault(layer.consistent_hash(group), []).append((group, channel))
            for index, members in shards.items():
                connection = layer.connection(index)
                for start in range(0, len(members), JOIN_BATCH):
                    async with connection.pipeline(transaction=False) as pipe:
                        for group, channel in members[start : start + JOIN_BATCH]:
                            key = layer._group_key(group)
                            pipe.zadd(key, {channel: time.time()})
                            pipe.expire(key, layer.group_expiry)
                        await pipe.execute()
            return
        limit = asyncio.Semaphore(JOIN_CONCURRENCY)

        async def one(group: str, channel: str) -> None:
            async with limit:
                await layer.group_add(group, channel)

        await asyncio.gather(*(one(group, channel) for group, channel in pairs))

    async def close_all(self, shard: int | None = None) -> None:
        """Close the sockets (those with a group on ``shard``) so that their clients reconnect."""
        from core.protocol import CLOSE_RECONNECT

        for consumer in list(self.consumers):
            if shard is None or any(self.on(g, shard) for g in consumer.live_groups()):
                with contextlib.suppress(Exception):
                    await consumer.close(code=CLOSE_RECONNECT)

    def on(self, group: str, shard: int | None) -> bool:
        """Whether ``group`` lives on ``shard`` (any group when it is None)."""
        return shard is None or shard_of(self.layer, group) == shard


_watches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LayerWatch] = (
    weakref.WeakKeyDictionary()
)


def watch(layer: Any) -> LayerWatch:
    """The running event loop's watch over ``layer``."""
    loop = asyncio.get_running_loop()
    current = _watches.get(loop)
    if current is None or current.layer is not layer:
        current = _watches[loop] = LayerWatch(layer)
    return current
