"""A Redis cache whose connection pool is shared by the whole process.

Django keeps one cache backend object per thread *and per asyncio task* (``asgiref.local``),
and its Redis backend builds its own connection pool per object. Under daphne every websocket
is a task of its own, so each open socket that touched the cache held a Redis connection for
as long as it stayed open, and every ASGI request opened a new one. redis-py's pools are
thread- and fork-safe, so one client per set of options serves every thread and task.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple[tuple[str, ...], str], RedisCacheClient] = {}
_lock = threading.Lock()


class SharedRedisCache(RedisCache):
    @cached_property
    def _cache(self) -> Any:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
        return client
