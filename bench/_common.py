"""What the benchmarks share: a throw-away PostgreSQL database, percentiles, BENCHMARKS.md.

Kept free of Django imports so that a benchmark can prepare its database and environment
before ``django.setup()`` reads the settings.
"""

from __future__ import annotations

import math
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = BASE_DIR / "docs" / "BENCHMARKS.md"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/wijkplatform_bench"


def cpu_reference_ms() -> float:
    """How fast this machine runs Python: ten million integer additions in a plain loop, the
    best of three, in ms. Machines of the same size differ; with this figure beside them,
    results from different machines can be compared."""
    best = math.inf
    for _round in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(10_000_000):
            total += number
        best = min(best, time.perf_counter() - started)
    return best * 1000


def settle_database() -> float:
    """``VACUUM ANALYZE`` and ``CHECKPOINT`` on Django's connection, in seconds. After a bulk load
    PostgreSQL writes the new pages out over the following minutes; measured meanwhile, every
    figure shares the machine with that flush (seen: searches a sixth slower than on the same data
    an hour later)."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")
    return time.perf_counter() - started


def _maintenance_conninfo(url: str) -> tuple[str, str]:
    """(conninfo of the server's ``postgres`` database, name of the benchmark database)."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"Benchmarks need a PostgreSQL URL, not {parts.scheme!r}.")
    name = parts.path.lstrip("/")
    if "bench" not in name:
        # This database is dropped and recreated: never point it at one with real data.
        raise SystemExit(f"Refusing to use {name!r}: a benchmark database name contains 'bench'.")
    return parts._replace(path="/postgres").geturl(), name


def table_count(url: str, table: str) -> int | None:
    """Rows in ``table`` of the database at ``url``; None if the database or table is missing."""
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            exists = conn.execute("SELECT to_regclass(%s)", [table]).fetchone()
            if not exists or exists[0] is None:
                return None
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            row = conn.execute(query).fetchone()
            return int(row[0]) if row else 0
    except psycopg.OperationalError:
        return None


def recreate_database(url: str) -> None:
    """Drop the benchmark database at ``url`` if it exists and create it empty."""
    maintenance, name = _maintenance_conninfo(url)
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure_django(database_url: str) -> None:
    """Point the settings at the benchmark database; call before ``django.setup()``."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = database_url
    # Without Redis the cache and channel layer are in-process; a benchmark must never touch a
    # shared Redis that tests may be flushing.
    os.environ.pop("REDIS_URL", None)
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))


def percentile(values: Sequence[float], fraction: float) -> float:
    """Percentile with linear interpolation between closest ranks (as numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(name: str, body: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->`` in ``path``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _match: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
