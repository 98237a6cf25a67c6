"""Several test processes on one Redis (``pytest -n 2``, pytest-xdist).

Each process has its own test database (pytest-django adds ``_gw0``, ``_gw1`` … to its name), so
the same user and room numbers exist in every process: on one shared Redis database their rate
limits, rights versions, cache entries and channel-layer groups would mix. Each process therefore
uses the Redis database after the one before's: ``redis://…/3`` is ``/3`` for ``gw0`` and ``/4``
for ``gw1``. The publish channels of the pub/sub layer carry the database number in their names
(``config.settings``), so they are apart as well.

Loaded with ``-p tests.workers`` before Django reads its settings; the daphne processes the tests
start inherit the changed environment.
"""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from config.env import redis_database

#: the variables that name Redis servers (``config.settings``)
REDIS_VARIABLES = ("REDIS_URL", "REDIS_LAYER_URLS", "REDIS_CACHE_URL")


def _moved(url: str, by: int) -> str:
    """``url`` with its database number raised by ``by`` (``redis://host:port/N``, or
    ``unix://path?db=N``)."""
    parts = urlsplit(url.strip())
    number = str(redis_database(url.strip()) + by)
    if parts.scheme == "unix":
        query = [(key, value) for key, value in parse_qsl(parts.query) if key != "db"]
        return f"unix://{parts.path}?{urlencode([*query, ('db', number)])}"
    return urlunsplit(parts._replace(path=f"/{number}"))


def _worker_number() -> int | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    match = re.fullmatch(r"gw(\d+)", worker)
    return int(match.group(1)) if match else None


_number = _worker_number()
if _number:
    for _name in REDIS_VARIABLES:
        if os.environ.get(_name):
            os.environ[_name] = ",".join(_moved(u, _number) for u in os.environ[_name].split(","))
